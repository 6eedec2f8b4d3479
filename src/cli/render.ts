// One ledger record → one human line for `runs tail` (the JSON stays available with --json).
import { type RunState, type StepRecord, isPaused } from '../model/index.ts';
import { c } from './common.ts';

const short = (v: unknown, max = 160): string => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
};

export function renderRecord(seq: number, r: StepRecord): string | null {
  const time = (r.ended_at ?? r.started_at ?? '').slice(11, 23);
  const head = `${c.dim(`${String(seq).padStart(4)} ${time}`)} ${c.cyan(r.node_id || '-')}`;
  const type = r.effect?.type ?? null;
  const p = r.effect?.payload ?? {};
  if (r.status === 'started') return `${head} ${c.dim(`${type ?? 'step'} started`)}`;
  if (r.status === 'failed') return `${head} ${c.red('failed')}: ${r.error ?? short(r.result)}`;
  if (r.status === 'waiting') {
    const w = (r.result?.wait ?? {}) as Record<string, any>;
    if (w.reason === 'until') return `${head} ${c.yellow('waiting')} until ${w.until}`;
    if (w.reason === 'user') return `${head} ${c.yellow('asks')}: ${w.prompt ?? ''}${Array.isArray(w.choices) && w.choices.length ? ` [${w.choices.join(' / ')}]` : ''}`;
    return `${head} ${c.yellow('waiting')} (${w.reason ?? '?'}) on ${w.wait_key ?? '?'}`;
  }
  // completed
  if (type === 'answer_user') return `${head} ${c.green('says')}: ${p.message ?? ''}`;
  if (type === 'resume') return `${head} resumed with ${short(p.payload)}`;
  if (type === 'emit_event') {
    if (p.name === 'abstract.status') return `${head} ${c.dim(`status: ${p.payload?.text ?? ''}`)}`;
    return `${head} emitted ${p.name} (${p.scope ?? 'session'})`;
  }
  if (!type && r.result?.completed) return `${head} ${c.green('completed')} output ${short(r.result.output)}`;
  return `${head} ${type ?? 'step'} ${c.green('done')}${r.result ? ` ${c.dim(short(r.result, 100))}` : ''}`;
}

export function renderRunSummary(run: RunState, ledgerLen: number): string {
  const paused = isPaused(run);
  const lines = [
    `${c.bold(run.run_id)}  ${statusText(run.status)}${paused ? c.yellow(' (paused)') : ''}`,
    `  workflow   ${run.workflow_id}`,
    `  node       ${run.current_node || '-'}`,
    `  created    ${run.created_at}`,
    `  updated    ${run.updated_at}`,
    `  session    ${run.session_id ?? '-'}${run.parent_run_id ? `  parent ${run.parent_run_id}` : ''}`,
    `  ledger     ${ledgerLen} records`,
  ];
  const w = run.waiting;
  if (run.status === 'waiting' && w) {
    lines.push(`  waiting    ${w.reason}${w.until ? ` until ${w.until}` : ''}${w.wait_key ? ` (${w.wait_key})` : ''}`);
    if (w.prompt) lines.push(`  prompt     ${w.prompt}${w.choices?.length ? ` [${w.choices.join(' / ')}]` : ''}`);
    if (w.reason === 'user') lines.push(c.dim(`  answer it: abstractgateway commands answer ${run.run_id} "<text>"`));
  }
  if (run.output) lines.push(`  output     ${short(run.output, 400)}`);
  if (run.error) lines.push(`  error      ${c.red(run.error)}`);
  return lines.join('\n');
}

export function statusText(s: string): string {
  return s === 'completed' ? c.green(s) : s === 'failed' || s === 'cancelled' ? c.red(s) : s === 'waiting' ? c.yellow(s) : c.cyan(s);
}
