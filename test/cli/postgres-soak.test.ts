// The multi-process acceptance test of the PostgreSQL deployment under an external kill (docs/scaling.md; its
// sibling postgres-split.test.ts kills a runner at a commit boundary and times the SSE push): two API processes
// (`serve --no-runner`) and two runners (`runner`) on one fresh database and one shared data dir holding the soak
// bundle (scripts/soak/workload.ts). A few hundred runs of mixed kinds are started on both APIs at once; runner #1
// is SIGKILLed once K runs have completed. Then, read through the store (`openStore`) and the HTTP API: every run
// completed exactly once with the right output, no ledger record is duplicated (run_id+seq, a completed effect
// key twice in a run), seqs are contiguous, every chain verifies, no parent has two subflow children, an `ask`
// run started on API A and answered through API B completed with the answer, and one emit_event command sent
// through API B woke each of several listeners exactly once. Prints one `[figures]` line.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQL } from 'bun';
import { Proc } from '../../scripts/soak/gateway.ts';
import { BUNDLE_ID, BUNDLE_VERSION, EVENT_NAME, LOOP_N, soakBundle } from '../../scripts/soak/workload.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { describePg, freshDatabase, type FreshDatabase } from '../support/pg.ts';

const TOKEN = `split-${crypto.randomUUID()}`;
const BULK = 400; // bulk runs, half started on each API
const ASKS = 6;
const LISTENERS = 24;
const KILL_AFTER = 100; // runner #1 is SIGKILLed once this many runs have completed
const KINDS = ['trivial', 'loop', 'parent', 'wait'] as const;
type Kind = (typeof KINDS)[number];
const TERMINAL = ['completed', 'failed', 'cancelled'];

async function eventually<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(25);
  }
}

class Api {
  constructor(readonly name: string, readonly url: string) {}
  async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.url}/api/gateway${path}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }
  async start(flowId: string, input: Record<string, unknown>, session: string): Promise<string> {
    const r = await this.call('POST', '/runs/start', { bundle_id: `${BUNDLE_ID}@${BUNDLE_VERSION}`, flow_id: flowId, input_data: input, session_id: session });
    if (r.status !== 200) throw new Error(`${this.name}: start ${flowId} answered ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.run_id as string;
  }
  async command(cmd: Record<string, unknown>): Promise<void> {
    const r = await this.call('POST', '/commands', { client_id: 'split-test', ...cmd });
    if (r.status !== 200 || !r.body.accepted) throw new Error(`${this.name}: command answered ${r.status} ${JSON.stringify(r.body)}`);
  }
}

/** Runs `fn` over `items` with at most `n` in flight. */
async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const k = next++;
      out[k] = await fn(items[k]!);
    }
  }));
  return out;
}

describePg('PostgreSQL: two APIs and two runners on one database, a runner SIGKILLed from outside', () => {
  let db: FreshDatabase;
  let dataDir: string;
  let store: Store;
  let sql: SQL;
  const procs: Proc[] = [];

  beforeAll(async () => {
    db = await freshDatabase('ag_split');
    dataDir = mkdtempSync(join(tmpdir(), 'ag-split-'));
    mkdirSync(join(dataDir, 'flows'), { recursive: true });
    writeFileSync(join(dataDir, 'flows', `${BUNDLE_ID}@${BUNDLE_VERSION}.flow`), soakBundle());
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await store?.close().catch(() => {});
    await sql?.close().catch(() => {});
    await db?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('hundreds of runs on both APIs, one runner SIGKILLed mid-load: every run completes once, nothing duplicated', async () => {
    const t0 = performance.now();
    const env: Record<string, string> = {};
    // No stray ABSTRACTGATEWAY_* or PG* variable of the test's environment reaches the children (PGDATABASE would
    // override the URL's database).
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(ABSTRACTGATEWAY_|ABSTRACTFLOW_|PG)/.test(k)) env[k] = v;
    Object.assign(env, {
      NO_COLOR: '1', ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN, ABSTRACTGATEWAY_STORE_BACKEND: 'postgres', ABSTRACTGATEWAY_DATABASE_URL: db.url,
      ABSTRACTGATEWAY_RUN_CLAIM_MS: '2000', ABSTRACTGATEWAY_POLL_S: '0.05',
    });
    const serve = () => new Proc(['serve', '--no-runner', '--port', '0', '--data-dir', dataDir], env);
    const runner = () => new Proc(['runner', '--data-dir', dataDir], env);
    // API A first (it creates the schema), then the other three at once.
    const apiProcA = serve();
    procs.push(apiProcA);
    const A = new Api('A', (await apiProcA.waitFor(/listening on (http:\/\/\S+)/))[1]!);
    const apiProcB = serve();
    const r1 = runner();
    const r2 = runner();
    procs.push(apiProcB, r1, r2);
    const B = new Api('B', (await apiProcB.waitFor(/listening on (http:\/\/\S+)/))[1]!);
    await Promise.all([r1.waitFor(/runner active/), r2.waitFor(/runner active/)]);
    store = await openStore({ backend: 'postgres', databaseUrl: db.url, poolMax: 4 });
    sql = new SQL(db.url, { max: 2, database: db.name });
    const tReady = performance.now();

    // Listeners and asks first, all on API A.
    const listenRoots = await pool(Array.from({ length: LISTENERS }, (_, k) => k), 8, (k) => (k % 2 ? B : A).start('listen', { k }, 'split-events'));
    const asks = await pool(Array.from({ length: ASKS }, (_, k) => k), ASKS, async (k) => ({ k, runId: await A.start('ask', {}, `split-ask-${k}`) }));

    // The bulk: both APIs at once, mixed kinds.
    const bulk = Array.from({ length: BULK }, (_, i) => ({ i, kind: KINDS[i % KINDS.length]! as Kind, api: i % 2 ? B : A, runId: '' }));
    const startAll = pool(bulk, 24, async (it) => {
      const flowId = it.kind;
      it.runId = await it.api.start(flowId, { x: it.i }, `split-${it.i}`);
    });

    // Meanwhile: kill runner #1 after KILL_AFTER completions; note which runs it held then.
    const pid1 = r1.proc.pid;
    const killer = (async () => {
      await eventually('the first completions', async () => {
        const rows = await store.runs.countByStatus();
        return (rows.find((r) => r.status === 'completed')?.n ?? 0) >= KILL_AFTER;
      }, 40_000);
      await r1.kill('SIGKILL');
      const tKill = performance.now();
      const held = (await sql`SELECT run_id FROM runs WHERE lease_owner LIKE ${`%:${pid1}:%`}`).map((r: { run_id: string }) => r.run_id) as string[];
      // Takeover: every run #1 held that has work is claimed by runner #2 or has ended. A run it parked on an answer
      // or an event just before the kill keeps the stale claim until that arrives, harmlessly: a claim only matters
      // for a runnable run, and an expired one is taken over as soon as the run is runnable again.
      const stillHeld = () => sql`SELECT run_id, workflow_id, status, wait_reason, lease_until, updated_at FROM runs
        WHERE run_id = ANY(${held}) AND lease_owner LIKE ${`%:${pid1}:%`} AND status NOT IN ('completed', 'failed', 'cancelled')
          AND NOT (status = 'waiting' AND wait_reason <> 'until')`;
      await eventually('the takeover of runner #1\'s claims', async () => (await stillHeld()).length === 0, 20_000).catch(async (err) => {
        // What the next occurrence needs to be diagnosed: the runs still held by the dead runner.
        throw new Error(`${(err as Error).message} (now ${Date.now()}): ${JSON.stringify([...await stillHeld()].slice(0, 10))}`);
      });
      return { held: held.length, takeoverMs: held.length ? Math.round(performance.now() - tKill) : 0 };
    })();

    // The asks: waiting (seen through API B), answered through API B.
    await pool(asks, ASKS, async (a) => {
      await eventually(`ask ${a.k} waiting`, async () => (await B.call('GET', `/runs/${a.runId}`)).body?.status === 'waiting');
      await B.command({ command_id: `answer-${a.k}`, run_id: a.runId, type: 'resume', payload: { payload: { response: `answer ${a.k}` } } });
    });

    // The event: every listener parked, then one emit_event command through API B.
    const listeners = await eventually('the listeners parked', async () => {
      const { items } = await store.runs.list({ sessionId: 'split-events', limit: 50, includeInternal: true });
      const ls = items.filter((r) => r.workflow_id.startsWith('visual_event_listener:'));
      return ls.length === LISTENERS && ls.every((r) => r.status === 'waiting') ? ls.map((r) => r.run_id) : null;
    });
    await B.command({ command_id: 'emit-1', run_id: listenRoots[0], type: 'emit_event', payload: { name: EVENT_NAME, scope: 'session', session_id: 'split-events', payload: { hello: 1 } } });

    await startAll;
    const { held, takeoverMs } = await killer;
    // Settle: every started run ends; the commands have outcomes.
    const roots = [...bulk.map((b) => b.runId), ...asks.map((a) => a.runId), ...listenRoots];
    await eventually('every run ended', async () => {
      const rows = await sql`SELECT count(*)::int AS n FROM runs WHERE run_id = ANY(${roots}) AND status IN ('completed', 'failed', 'cancelled')`;
      return rows[0].n === roots.length;
    }, 45_000);
    for (const id of ['emit-1', ...asks.map((a) => `answer-${a.k}`)]) {
      await eventually(`command ${id} applied`, async () => (await store.commands.get(id))?.status !== 'pending');
    }
    const seconds = Math.round((performance.now() - tReady) / 100) / 10;

    // ---- checks --------------------------------------------------------------------------------------------
    const bad: string[] = [];
    for (const it of bulk) {
      const run = await store.runs.get(it.runId);
      if (!run || run.status !== 'completed') { bad.push(`${it.kind} #${it.i}: ${run?.status} ${run?.error ?? ''}`); continue; }
      const kids = await store.runs.children(it.runId);
      if (it.kind === 'trivial' && run.output?.x !== it.i) bad.push(`trivial #${it.i}: output ${JSON.stringify(run.output)}`);
      if (it.kind === 'loop' && JSON.stringify(run.output?.visited) !== JSON.stringify(Array.from({ length: LOOP_N }, (_, k) => k))) bad.push(`loop #${it.i}: output ${JSON.stringify(run.output)}`);
      if (it.kind === 'parent') {
        if (kids.length !== 1) bad.push(`parent #${it.i}: ${kids.length} subflow children`);
        else if (kids[0]!.status !== 'completed' || !JSON.stringify(run.output?.out).includes(`"x":${it.i}`)) bad.push(`parent #${it.i}: child ${kids[0]!.status}, output ${JSON.stringify(run.output)}`);
      } else if (kids.length) bad.push(`${it.kind} #${it.i}: ${kids.length} children`);
    }
    for (const a of asks) {
      const run = await store.runs.get(a.runId);
      if (run?.status !== 'completed' || run.output?.name !== `answer ${a.k}`) bad.push(`ask ${a.k}: ${run?.status} ${JSON.stringify(run?.output)}`);
      const c = await store.commands.get(`answer-${a.k}`);
      if (c?.status !== 'applied') bad.push(`answer-${a.k}: ${c?.status} ${c?.reason}`);
    }
    const emit = await store.commands.get('emit-1');
    if (emit?.status !== 'applied' || emit.reason !== `delivered to ${LISTENERS} run(s)`) bad.push(`emit-1: ${emit?.status} ${emit?.reason}`);
    for (const l of listeners) {
      await eventually(`listener ${l} handled the event`, async () => (await store.runs.get(l))?.status === 'waiting' && (await store.ledger.count(l)) > 2).catch(() => {});
      const recs = await store.ledger.listAfter(l, 0, 100_000);
      const resumes = recs.filter((r) => r.effect?.type === 'resume').length;
      if (resumes !== 1) bad.push(`listener ${l} woke ${resumes} times`);
    }

    // Every run in the database: contiguous seqs, no repeated record, one terminal record, the chain verifies.
    const dup = await sql`SELECT run_id, seq, count(*)::int AS n FROM ledger GROUP BY run_id, seq HAVING count(*) > 1`;
    for (const d of dup) bad.push(`ledger ${d.run_id} seq ${d.seq} stored ${d.n} times`);
    const all = (await sql`SELECT run_id, workflow_id, status, parent_run_id FROM runs`) as { run_id: string; workflow_id: string; status: string; parent_run_id: string | null }[];
    const seqRows = (await sql`SELECT run_id, array_agg(seq ORDER BY seq) AS seqs FROM ledger GROUP BY run_id`) as { run_id: string; seqs: number[] }[];
    const seqsOf = new Map(seqRows.map((r) => [r.run_id, [...r.seqs].map(Number)]));
    let records = 0;
    for (const r of all) {
      const recs = await store.ledger.listAfter(r.run_id, 0, 1_000_000);
      records += recs.length;
      const seqs = seqsOf.get(r.run_id) ?? [];
      if (seqs.length !== recs.length || seqs.some((s, k) => s !== k + 1)) bad.push(`ledger of ${r.run_id} is not contiguous: ${seqs.join(',')}`);
      if (new Set(recs.map((x) => `${x.step_id}/${x.status}`)).size !== recs.length) bad.push(`ledger of ${r.workflow_id} ${r.run_id} repeats a record`);
      const done = recs.filter((x) => x.status === 'completed' && x.idempotency_key).map((x) => x.idempotency_key);
      if (new Set(done).size !== done.length) bad.push(`${r.workflow_id} ${r.run_id} completed one effect twice`);
      // A wait is parked once per resume: a second `waiting` record of one key with no resume between is a
      // duplicated park (two runners ticked the same step).
      const parked = new Set<string>();
      for (const x of recs) {
        if (x.effect?.type === 'resume') parked.clear();
        else if (x.status === 'waiting' && x.idempotency_key) {
          if (parked.has(x.idempotency_key)) bad.push(`${r.workflow_id} ${r.run_id} parked twice on ${x.node_id} without a resume`);
          parked.add(x.idempotency_key);
        }
      }
      const terminals = recs.filter((x) => x.idempotency_key === 'system:terminal_status:completed').length;
      if (r.status === 'completed' && !r.workflow_id.startsWith('__') && terminals !== 1) bad.push(`${r.workflow_id} ${r.run_id} has ${terminals} completion records`);
      const v = await store.ledger.verify(r.run_id);
      if (!v.ok) bad.push(`chain of ${r.run_id} broken at seq ${v.first_bad_seq}`);
    }
    // The HTTP verification agrees (a sample, through both APIs).
    for (const [k, it] of bulk.slice(0, 8).entries()) {
      const r = await (k % 2 ? A : B).call('GET', `/runs/${it.runId}/ledger/verify`);
      if (r.status !== 200 || r.body.ok !== true) bad.push(`HTTP verify of ${it.runId}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    const stuck = all.filter((r) => !TERMINAL.includes(r.status) && !r.workflow_id.startsWith('visual_event_listener:'));
    for (const r of stuck) bad.push(`${r.workflow_id} ${r.run_id} still ${r.status}`);

    const r2Alive = r2.proc.exitCode === null && r2.proc.signalCode === null;
    console.log(`[figures] runs ${roots.length} roots / ${all.length} in db, ledger records ${records}, ${seconds} s from ready to settled (${Math.round((performance.now() - t0) / 100) / 10} s total), runner #1 killed after ${KILL_AFTER} completions holding ${held} claim(s), takeover ${takeoverMs} ms`);
    expect(bad).toEqual([]);
    expect(r2Alive).toBe(true);
    // + one subflow child per parent, one listener per listen root (internal `__*` runs, e.g. session memory, aside).
    expect(all.filter((r) => !r.workflow_id.startsWith('__')).length).toBe(roots.length + BULK / KINDS.length + LISTENERS);
  }, 90_000);
});
