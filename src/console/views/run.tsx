// One run: summary (polled every 2 s and re-read on every new ledger record), the ledger as a live timeline
// over SSE, the flow graph with visited/current nodes, input/output/error, child runs, schedule details,
// the hash-chain fields, and the actions (answer a wait, approve/deny tool calls, pause/resume/cancel, emit an
// event, change a schedule's interval) with each command's durable outcome (GET /commands/{id}).
import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, type ApiError, awaitOutcome, type ChainReport, type CommandType, type RunSummary, type StepRecord } from '../api.ts';
import { followLedger, type Cursored } from '../sse.ts';
import { CopyButton, ErrorBox, Field, Json, Panel, runHref, ShortId, Status, TERMINAL, Time, useAsync, useInterval } from '../ui.tsx';
import { FlowGraph } from './graph.tsx';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null);

interface Sent { command_id: string; type: string; label: string; status: 'sending' | 'pending' | 'applied' | 'rejected' | 'failed'; reason: string | null; duplicate?: boolean }

export function RunView({ runId }: { runId: string }) {
  const [run, setRun] = useState<RunSummary | null>(null);
  const [runError, setRunError] = useState<unknown>(null);
  const [records, setRecords] = useState<Cursored[]>([]);
  const [live, setLive] = useState<string>('replaying');
  const [sent, setSent] = useState<Sent[]>([]);

  // One summary request at a time; calls while one is in flight coalesce into one follow-up (records can stream
  // in faster than summaries need refreshing).
  const inflight = useRef<{ busy: boolean; again: boolean }>({ busy: false, again: false });
  const loadRun = async (): Promise<void> => {
    const f = inflight.current;
    if (f.busy) { f.again = true; return; }
    f.busy = true;
    try {
      const r = await api.run(runId);
      setRun(r);
      setRunError(null);
    } catch (e) { setRunError(e); } finally { f.busy = false; }
    if (f.again) { f.again = false; void loadRun(); }
  };
  useEffect(() => { void loadRun(); }, [runId]);
  useInterval(() => void loadRun(), run && TERMINAL.has(run.status) ? null : 2000);

  useEffect(() => followLedger(runId, (items) => {
    setRecords((rs) => [...rs, ...items]);
    void loadRun();
  }, { onState: (s) => setLive(s) }), [runId]);

  const input = useAsync(() => api.inputData(runId), [runId]);
  const chain = useAsync(() => api.verify(runId), [runId, run ? TERMINAL.has(run.status) : false]); // again once it ends
  const flow = useAsync(async () => (run ? (await api.workflowFlow(run.workflow_id)).flow : null), [run?.workflow_id]);

  const send = async (type: CommandType, payload: Obj, label: string) => {
    const entry: Sent = { command_id: '', type, label, status: 'sending', reason: null };
    setSent((s) => [entry, ...s].slice(0, 20));
    const update = (patch: Partial<Sent>) => setSent((s) => s.map((x) => (x === entry ? Object.assign(entry, patch) : x)));
    try {
      const r = await api.command(runId, type, payload);
      update({ command_id: r.command_id, status: 'pending', duplicate: r.duplicate });
      const o = await awaitOutcome(r.command_id);
      update({ status: o.status, reason: o.reason });
      void loadRun();
    } catch (e) {
      update({ status: 'failed', reason: (e as Error).message });
    }
  };

  const visited = useMemo(() => new Set(records.map((r) => r.record.node_id).filter(Boolean)), [records]);
  const output = useMemo(() => {
    for (let i = records.length - 1; i >= 0; i--) {
      const res = obj(records[i]!.record.result);
      if (res?.completed) return res.output ?? null;
    }
    return undefined;
  }, [records]);

  if (runError && !run) return <div class="page"><ErrorBox error={runError} title={`Run ${runId}`} /><a href="#/runs">← All runs</a></div>;
  if (!run) return <div class="page"><p class="muted" aria-busy="true">Loading run…</p></div>;

  const terminal = TERMINAL.has(run.status);
  const w = run.status === 'waiting' ? run.waiting : null;
  const isPauseWait = obj(w?.details)?.kind === 'pause';

  return (
    <div class="page run-page" data-run-status={run.status}>
      <div class="page-h">
        <div>
          <a href="#/runs" class="muted small-link">← Runs</a>
          <h1>Run <ShortId id={run.run_id} /> <CopyButton text={run.run_id} label="Copy id" />
            <span class="run-status" aria-live="polite" id="run-status"><Status status={run.status} paused={run.paused} /></span></h1>
        </div>
      </div>

      <dl class="facts">
        <div><dt>Workflow</dt><dd title={run.workflow_id}>{run.workflow_id}</dd></div>
        <div><dt>Session</dt><dd><ShortId id={run.session_id} /></dd></div>
        <div><dt>Started</dt><dd><Time iso={run.created_at} /></dd></div>
        <div><dt>Updated</dt><dd><Time iso={run.updated_at} /></dd></div>
        <div><dt>Current node</dt><dd>{run.current_node ?? '—'}</dd></div>
        {run.parent_run_id ? <div><dt>Parent</dt><dd><a href={runHref(run.parent_run_id)}><ShortId id={run.parent_run_id} /></a></dd></div> : null}
        {run.paused ? <div><dt>Paused</dt><dd><Time iso={run.paused_at} />{run.pause_reason ? ` — ${run.pause_reason}` : ''}</dd></div> : null}
      </dl>
      {run.error ? <div class="error" role="alert"><strong>Error: </strong>{run.error}</div> : null}

      <Panel title="Graph" id="graph" actions={<span class="legend small"><i class="lg visited" /> visited <i class="lg current" /> current <i class="lg waiting" /> waiting</span>}>
        {flow.error && (flow.error as ApiError).status === 404
          ? <p class="muted">No VisualFlow graph for this workflow (built into the gateway, or its bundle was removed).</p>
          : flow.error ? <ErrorBox error={flow.error} title="Flow" /> : null}
        {flow.error ? null : <FlowGraph flow={flow.value ?? null} visited={visited} current={terminal ? null : run.current_node} waiting={run.status === 'waiting'} />}
      </Panel>
      <div class="run-grid">
        <div class="col-main">
          {w && !isPauseWait && !run.paused ? <WaitPanel key={w.wait_key ?? w.reason} run={run} onSend={send} /> : null}
          <Controls run={run} onSend={send} />
          <CommandLog sent={sent} />
          <Panel title="Timeline" id="timeline" actions={<span class={`live live-${live}`} aria-live="polite">{liveLabel(live, terminal)}</span>}>
            <Timeline records={records} nodeLabels={flow.value ?? null} />
          </Panel>
        </div>
        <div class="col-side">
          <Panel title="Input" id="input">
            {input.error ? <ErrorBox error={input.error} /> : input.value ? <Json value={input.value.input_data} /> : <span class="muted">…</span>}
          </Panel>
          <Panel title="Output" id="output">
            {output === undefined ? <span class="muted">{terminal ? 'No output recorded.' : 'Not completed yet.'}</span> : <Json value={output} />}
          </Panel>
          {run.schedule ? <SchedulePanel run={run} onSend={send} /> : null}
          <ChildRuns runId={run.run_id} active={!terminal} />
          <Panel title="Hash chain" id="chain" actions={<button type="button" class="small" onClick={chain.reload} disabled={chain.loading}>Verify again</button>}>
            <ChainResult chain={chain} />
          </Panel>
        </div>
      </div>
    </div>
  );
}

/** The gateway's verification of the run's hash chain (GET /runs/{id}/ledger/verify). */
function ChainResult({ chain }: { chain: { value?: ChainReport; error?: Error; loading: boolean } }) {
  if (chain.error) return <ErrorBox error={chain.error} />;
  const r = chain.value;
  if (!r) return <span class="muted">Verifying…</span>;
  if (r.ok) {
    return (
      <p class="small chain-ok" data-testid="chain-result">✓ Chain intact: {r.count} records, each <code>prev_hash</code> linking to the
        previous <code>record_hash</code>. Head: <code class="id">{(r.head_hash ?? '—').slice(0, 16)}…</code></p>
    );
  }
  return (
    <div class="small chain-bad" data-testid="chain-result" role="alert">
      <p>✗ Chain broken at record {r.first_bad_seq} ({r.count} records checked).</p>
      <ul>{r.errors.slice(0, 5).map((e) => <li key={e.seq}>#{e.seq} {e.type}: {e.detail}</li>)}</ul>
    </div>
  );
}

const liveLabel = (s: string, terminal: boolean) =>
  s === 'live' ? '● live' : s === 'done' ? (terminal ? 'complete' : 'stopped') : s === 'reconnecting' ? 'reconnecting…' : 'loading…';

function recordSummary(r: StepRecord): string {
  const eff = obj(r.effect);
  const p = obj(eff?.payload);
  const res = obj(r.result);
  const wait = obj(res?.wait);
  if (r.error) return r.error;
  if (wait) return `waiting (${String(wait.reason)})${wait.prompt ? `: ${String(wait.prompt)}` : ''}`;
  if (eff?.type === 'resume') {
    const pp = obj(p?.payload);
    return `resumed${pp?.response !== undefined ? `: “${String(pp.response)}”` : pp?.approved !== undefined ? (pp.approved ? ': approved' : ': denied') : ''}`;
  }
  if (eff?.type === 'emit_event') return `event ${String(p?.name ?? '')}${obj(p?.payload)?.text ? `: ${String(obj(p?.payload)!.text)}` : ''}`;
  if (eff?.type === 'answer_user') return `says: ${String(p?.message ?? p?.text ?? '')}`;
  if (eff?.type === 'ask_user') return `asks: ${String(p?.prompt ?? '')}`;
  if (eff?.type === 'llm_call' && res) {
    const calls = Array.isArray(res.tool_calls) ? res.tool_calls.length : 0;
    const text = typeof res.content === 'string' ? res.content.replace(/\s+/g, ' ').slice(0, 140) : '';
    return `llm${res.model ? ` ${String(res.model)}` : ''}: ${calls ? `asks for ${calls} tool call${calls > 1 ? 's' : ''}` : text ? `“${text}”` : 'done'}`;
  }
  if (eff?.type === 'tool_calls' && Array.isArray(res?.results)) {
    const rs = res!.results as Obj[];
    return `tools: ${rs.map((x) => `${String(x.name ?? 'tool')} ${x.success ? 'ok' : 'failed'}`).join(', ')}`;
  }
  if (res?.completed) return 'run completed';
  return eff?.type ? String(eff.type) : '';
}

const WINDOW = 300;

function Timeline({ records, nodeLabels }: { records: Cursored[]; nodeLabels: Obj | null }) {
  const box = useRef<HTMLOListElement>(null);
  const [shown, setShown] = useState(WINDOW); // long ledgers: render the newest records, earlier ones on demand
  const stick = useRef(true);
  const labels = useMemo(() => {
    const m = new Map<string, string>();
    const nodes = Array.isArray(nodeLabels?.nodes) ? (nodeLabels!.nodes as { id: string; data?: { label?: string } }[]) : [];
    for (const n of nodes) if (n.data?.label) m.set(n.id, n.data.label);
    return m;
  }, [nodeLabels]);
  useEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [records.length]);
  if (!records.length) return <p class="muted">No records yet.</p>;
  const hidden = Math.max(0, records.length - shown);
  return (
    <ol class="timeline" ref={box} aria-label="Ledger records" aria-live="off"
      onScroll={(e) => { const el = e.currentTarget; stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24; }}>
      {hidden ? (
        <li class="rec-more"><button type="button" class="ghost small" onClick={() => { stick.current = false; setShown((n) => n + WINDOW); }}>
          Show {Math.min(WINDOW, hidden)} earlier of {hidden}</button></li>
      ) : null}
      {records.slice(hidden).map(({ cursor, record: r }) => (
        <li key={cursor} class={`rec rec-${r.status}`} data-cursor={cursor} data-status={r.status}>
          <details>
            <summary>
              <span class="rec-n">#{cursor}</span>
              <Time iso={r.started_at} withDate={false} />
              <span class={`badge s-${r.status}`}>{r.status}</span>
              <span class="rec-node" title={r.node_id}>{labels.get(r.node_id) ?? r.node_id ?? ''}</span>
              <span class="rec-text">{recordSummary(r)}</span>
            </summary>
            <Json value={r} />
          </details>
        </li>
      ))}
    </ol>
  );
}

type SendFn = (type: CommandType, payload: Obj, label: string) => Promise<void>;

function WaitPanel({ run, onSend }: { run: RunSummary; onSend: SendFn }) {
  const w = run.waiting!;
  const [text, setText] = useState('');
  const [choice, setChoice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const details = obj(w.details);
  const toolCalls = Array.isArray(details?.tool_calls) ? (details!.tool_calls as Obj[]) : [];
  const choices = (w.choices ?? []).map((c) => (typeof c === 'string' ? c : JSON.stringify(c)));
  const run1 = async (payload: Obj, label: string) => {
    setBusy(true);
    try { await onSend('resume', { wait_key: w.wait_key, payload }, label); } finally { setBusy(false); }
  };

  if (w.reason === 'subworkflow') {
    const sub = details?.sub_run_id;
    return <Panel title="Waiting for a child run" id="wait"><p>This run continues when its child finishes:{' '}
      {typeof sub === 'string' ? <a href={runHref(sub)}>open <ShortId id={sub} /></a> : 'see child runs'}.</p></Panel>;
  }
  if (toolCalls.length) {
    return (
      <Panel title="Approve tool calls" id="wait">
        <p>{w.prompt ?? 'The run wants to call these tools:'}</p>
        <ol class="tool-calls">
          {toolCalls.map((c) => <li><strong>{String(c.name ?? 'tool')}</strong> <Json value={c.arguments ?? c.args ?? c} /></li>)}
        </ol>
        <div class="row">
          <button type="button" class="primary" disabled={busy} onClick={() => run1({ approved: true }, 'approve tool calls')}>Approve</button>
          <button type="button" class="danger" disabled={busy} onClick={() => run1({ approved: false, reason: 'Denied in the console' }, 'deny tool calls')}>Deny</button>
        </div>
      </Panel>
    );
  }
  if (w.reason === 'user' || (w.reason === 'event' && w.prompt)) {
    const answer = choice ?? text;
    return (
      <Panel title="Waiting for your answer" id="wait">
        <form class="answer" onSubmit={(e) => { e.preventDefault(); if (answer.trim() || choice !== null) void run1({ response: answer }, `answer “${answer}”`); }}>
          <p class="prompt" id="wait-prompt">{w.prompt ?? 'The run is waiting for input.'}</p>
          {choices.length ? (
            <div class="choices" role="radiogroup" aria-labelledby="wait-prompt">
              {choices.map((c) => (
                <label class="check"><input type="radio" name="choice" value={c} checked={choice === c} onChange={() => { setChoice(c); setText(''); }} /> {c}</label>
              ))}
            </div>
          ) : null}
          {w.allow_free_text !== false ? (
            <Field label={choices.length ? 'Or type an answer' : 'Your answer'}>
              <input type="text" name="answer" value={text} autoFocus
                onInput={(e) => { setText((e.target as HTMLInputElement).value); setChoice(null); }} />
            </Field>
          ) : null}
          <button type="submit" class="primary" disabled={busy || (!answer.trim() && choice === null)}>Send answer</button>
        </form>
      </Panel>
    );
  }
  return (
    <Panel title={`Waiting (${w.reason})`} id="wait">
      {w.until ? <p>Until <Time iso={w.until} /></p> : null}
      {w.wait_key ? <p class="small">Wait key <code>{w.wait_key}</code> — deliver it with “Emit event” below.</p> : null}
    </Panel>
  );
}

function Controls({ run, onSend }: { run: RunSummary; onSend: SendFn }) {
  const terminal = TERMINAL.has(run.status);
  const [showEmit, setShowEmit] = useState(false);
  const [name, setName] = useState('');
  const [scope, setScope] = useState('session');
  const [payload, setPayload] = useState('{}');
  const [emitErr, setEmitErr] = useState<string | null>(null);
  const emit = (e: Event) => {
    e.preventDefault();
    let p: unknown;
    try { p = JSON.parse(payload || '{}'); } catch { return setEmitErr('Payload must be JSON.'); }
    setEmitErr(null);
    const body: Obj = { name, scope, payload: p };
    if (scope === 'session') body.session_id = run.session_id ?? run.run_id;
    if (scope === 'run') body.run_id = run.run_id;
    if (scope === 'workflow') body.workflow_id = run.workflow_id;
    void onSend('emit_event', body, `emit ${name}`);
  };
  return (
    <div class="controls" role="toolbar" aria-label="Run actions">
      {run.paused
        ? <button type="button" disabled={terminal} onClick={() => onSend('resume', {}, 'resume')}>Resume</button>
        : <button type="button" disabled={terminal} onClick={() => onSend('pause', { reason: 'paused in the console' }, 'pause')}>Pause</button>}
      <button type="button" class="danger" disabled={terminal}
        onClick={() => { if (confirm('Cancel this run (and its child runs)?')) void onSend('cancel', { reason: 'cancelled in the console' }, 'cancel'); }}>Cancel</button>
      <button type="button" class="ghost" aria-expanded={showEmit} onClick={() => setShowEmit((s) => !s)}>Emit event…</button>
      {showEmit ? (
        <form class="emit" onSubmit={emit} aria-label="Emit an event">
          <Field label="Event name"><input type="text" required value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} placeholder="e.g. chat.message" /></Field>
          <Field label="Scope">
            <select value={scope} onChange={(e) => setScope((e.target as HTMLSelectElement).value)}>
              <option value="session">session (this run's session)</option><option value="run">run</option>
              <option value="workflow">workflow</option><option value="global">global</option>
            </select>
          </Field>
          <Field label="Payload (JSON)"><textarea rows={3} value={payload} onInput={(e) => setPayload((e.target as HTMLTextAreaElement).value)} /></Field>
          {emitErr ? <div class="error" role="alert">{emitErr}</div> : null}
          <button type="submit" class="primary">Emit</button>
        </form>
      ) : null}
    </div>
  );
}

function CommandLog({ sent }: { sent: Sent[] }) {
  if (!sent.length) return null;
  return (
    <ul class="commands" aria-label="Commands sent" aria-live="polite">
      {sent.map((c) => (
        <li data-command-status={c.status} data-command-type={c.type}>
          <span class={`badge c-${c.status}`}>{c.status}</span> {c.label}
          {c.duplicate ? <span class="muted"> (duplicate)</span> : null}
          {c.reason ? <span class="muted"> — {c.reason}</span> : null}
          {c.command_id ? <span class="muted small"> · <ShortId id={c.command_id} /></span> : null}
        </li>
      ))}
    </ul>
  );
}

function SchedulePanel({ run, onSend }: { run: RunSummary; onSend: SendFn }) {
  const s = run.schedule as Obj;
  const [interval, setIv] = useState(String(s.interval ?? ''));
  const fires = Array.isArray(s.upcoming_fires) ? (s.upcoming_fires as string[]) : [];
  return (
    <Panel title="Schedule" id="schedule">
      <dl class="facts compact">
        <div><dt>Target</dt><dd>{String(s.target_workflow_id ?? '—')}</dd></div>
        <div><dt>Every</dt><dd>{s.cron ? `cron ${String(s.cron)} (${String(s.timezone ?? 'UTC')})` : String(s.interval ?? 'once')}</dd></div>
        <div><dt>Executions</dt><dd>{String(s.executions ?? 0)}{s.repeat_count ? ` of ${String(s.repeat_count)}` : ''}</dd></div>
        <div><dt>Next fires</dt><dd>{fires.length ? fires.slice(0, 3).map((f) => <div><Time iso={f} /></div>) : '—'}</dd></div>
      </dl>
      {s.interval && !TERMINAL.has(run.status) ? (
        <form class="row" onSubmit={(e) => { e.preventDefault(); void onSend('update_schedule', { interval, apply_immediately: true }, `interval → ${interval}`); }}>
          <Field label="New interval" hint="e.g. 30s, 15m, 1h"><input type="text" value={interval} onInput={(e) => setIv((e.target as HTMLInputElement).value)} /></Field>
          <button type="submit">Change interval</button>
        </form>
      ) : null}
    </Panel>
  );
}

function ChildRuns({ runId, active }: { runId: string; active: boolean }) {
  const tree = useAsync(async () => {
    const h = await api.tree(runId);
    const ids = Object.keys(h.ledgers).filter((id) => id !== runId).slice(0, 100);
    const runs = await Promise.all(ids.map((id) => api.run(id).catch(() => null)));
    return runs.filter((r): r is RunSummary => r !== null);
  }, [runId]);
  useInterval(() => tree.reload(), active ? 5000 : null);
  const kids = tree.value ?? [];
  const byParent = new Map<string, RunSummary[]>();
  for (const r of kids) byParent.set(r.parent_run_id ?? '', [...(byParent.get(r.parent_run_id ?? '') ?? []), r]);
  const branch = (parent: string, depth: number): JSX.Element | null => {
    const list = byParent.get(parent);
    if (!list?.length || depth > 8) return null;
    return (
      <ul class="tree">
        {list.map((r) => (
          <li><a href={runHref(r.run_id)}><ShortId id={r.run_id} /></a> <Status status={r.status} paused={r.paused} />{' '}
            <span class="muted wf">{r.workflow_id}</span>{branch(r.run_id, depth + 1)}</li>
        ))}
      </ul>
    );
  };
  return (
    <Panel title={`Child runs${kids.length ? ` (${kids.length})` : ''}`} id="children">
      {tree.error ? <ErrorBox error={tree.error} /> : kids.length ? branch(runId, 0) : <span class="muted">None.</span>}
    </Panel>
  );
}
