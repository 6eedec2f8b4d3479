// `npm run soak` — crash soak (issue 12 §7): a real gateway process on a temp data dir runs a mixed workload
// (trivial runs, loops, ask_user answered by commands, wait_until, subflows, emit_event listeners, schedules)
// while it is SIGKILLed at random moments N times and restarted on the same data dir (`--split`: the API stays up
// and the separate runner process is the one killed; `--postgres [url]`: N `serve --no-runner` + M runners on a
// fresh PostgreSQL database (`--apis N --runners M`), each answer sent through another API than the start, a
// random runner killed each time). Afterwards, read from the database through the store contract (`openStore`,
// either backend): every acknowledged run exists and ended as expected, every acknowledged command kept the
// outcome first read, every listener got its event exactly once, no subflow child ran twice, no wait was parked
// twice without a resume, no ledger record is missing or duplicated and every hash chain verifies. Prints a
// summary table (`--json` for the report). Exit 0 = every check held.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SQL } from 'bun';
import { openStore, SqliteStore, type Store } from '../../src/store/index.ts';
import type { RunState, StepRecord } from '../../src/model/index.ts';
import { SoakGateway } from './gateway.ts';
import { BUNDLE_ID, BUNDLE_VERSION, EVENT_NAME, KINDS, LOOP_N, soakBundle, type Kind } from './workload.ts';

export interface SoakOptions {
  kills: number;
  /** Work items started in total (spread over the kill phase). */
  items: number;
  split: boolean;
  /** PostgreSQL: an admin URL; the soak creates a fresh database on that server (and drops it unless `keep`). Implies split. */
  postgres?: string | null;
  /** Split mode: API processes (answers go through another API than the start) and runner processes. */
  apis?: number;
  runners?: number;
  /** Random time each victim process lives before its kill (ms). */
  minAliveMs: number;
  maxAliveMs: number;
  /** How long the final (unkilled) gateway may take to finish everything. */
  settleTimeoutMs: number;
  keep?: boolean;
  log?: (msg: string) => void;
}

export const DEFAULTS: SoakOptions = { kills: 100, items: 1000, split: false, minAliveMs: 150, maxAliveMs: 900, settleTimeoutMs: 120_000 };

interface Item {
  i: number;
  kind: Kind;
  session: string;
  /** Start attempts whose answer was lost (the gateway died mid-request): each retry uses a fresh session. */
  attempt: number;
  /** The API the item's runs are started on; its commands go through the next one. */
  api: number;
  state: 'new' | 'started' | 'await_wait' | 'command' | 'await_outcome' | 'emit' | 'done';
  runId?: string;
  emitRunId?: string;
  listenerId?: string;
  emitLost?: boolean;
  commandId?: string;
  firstOutcome?: { status: string; reason: string | null };
  busy?: boolean;
}

export interface KindRow { kind: Kind; acknowledged: number; ok: number; failed: number }
export interface SoakReport {
  ok: boolean;
  mode: 'single' | 'split' | 'postgres';
  apis: number;
  runners: number;
  kills: number;
  duration_s: number;
  items: number;
  acknowledged_runs: number;
  acknowledged_commands: number;
  runs_in_db: number;
  ledger_records: number;
  chains_verified: number;
  kinds: KindRow[];
  violations: string[];
}

const TOKEN = `soak-${crypto.randomUUID()}`;

class Api {
  constructor(private readonly gw: SoakGateway, private readonly index: number) {}
  /** One request; null when the gateway is down or the connection died (not acknowledged). */
  async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any } | null> {
    const url = this.gw.urlOf(this.index);
    if (!url) return null;
    try {
      const res = await fetch(`${url}/api/gateway${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(5_000),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    } catch {
      return null;
    }
  }
}

const startBody = (item: Item, flowId: string, input: Record<string, unknown> = {}) => ({
  bundle_id: `${BUNDLE_ID}@${BUNDLE_VERSION}`, flow_id: flowId, input_data: input, session_id: item.session,
});
const FLOW_OF: Record<Kind, string> = { trivial: 'trivial', loop: 'loop', ask: 'ask', wait: 'wait', subflow: 'parent', event: 'listen', schedule: 'trivial' };

/** Advances one item by at most one acknowledged request (starts on its API, commands through the next one). */
async function step(apis: Api[], it: Item): Promise<void> {
  const api = apis[it.api % apis.length]!;
  const other = apis[(it.api + 1) % apis.length]!;
  switch (it.state) {
    case 'new': {
      const r = it.kind === 'schedule'
        ? await api.call('POST', '/runs/schedule', { ...startBody(it, 'trivial', { x: it.i }), start_at: 'now', interval: '1s', repeat_count: 2, overlap: 'queue' })
        : await api.call('POST', '/runs/start', startBody(it, FLOW_OF[it.kind], { x: it.i }));
      if (!r) {
        // Unknown whether the run was created: retry in a fresh session so a possible orphan is not checked.
        it.session = `soak-${it.i}.${++it.attempt}`;
        return;
      }
      if (r.status !== 200) return;
      it.runId = r.body.run_id;
      it.state = it.kind === 'ask' ? 'await_wait' : it.kind === 'event' ? 'await_wait' : 'done';
      return;
    }
    case 'await_wait': {
      if (it.kind === 'ask') {
        const r = await api.call('GET', `/runs/${it.runId}`);
        if (r?.status === 200 && r.body.status === 'waiting') {
          it.commandId = `answer-${it.i}`;
          it.state = 'command';
        }
        return;
      }
      // event: the listener child of the `listen` root must be parked before anything is emitted.
      const r = await api.call('GET', `/runs?session_id=${encodeURIComponent(it.session)}&limit=20`);
      const l = r?.status === 200 ? (r.body.items as any[]).find((x) => String(x.workflow_id).startsWith('visual_event_listener:')) : null;
      if (l?.status === 'waiting') {
        it.listenerId = l.run_id;
        it.commandId = it.i % 2 ? `emit-${it.i}` : undefined;
        it.state = it.i % 2 ? 'command' : 'emit';
      }
      return;
    }
    case 'emit': {
      if (it.emitLost) {
        // The last start's answer was lost: the session's runs say whether it was created (it is durable if so).
        const l = await api.call('GET', `/runs?session_id=${encodeURIComponent(it.session)}&limit=50`);
        if (l?.status !== 200) return;
        const em = (l.body.items as any[]).find((x) => String(x.workflow_id).endsWith(':emit'));
        it.emitLost = false;
        if (em) {
          it.emitRunId = em.run_id;
          it.state = 'done';
          return;
        }
      }
      const r = await api.call('POST', '/runs/start', startBody(it, 'emit', { i: it.i }));
      if (!r) it.emitLost = true;
      if (r?.status !== 200) return;
      it.emitRunId = r.body.run_id;
      it.state = 'done';
      return;
    }
    case 'command': {
      const cmd = it.kind === 'ask'
        ? { command_id: it.commandId, run_id: it.runId, type: 'resume', client_id: 'soak', payload: { payload: { response: `r${it.i}` } } }
        : { command_id: it.commandId, run_id: it.runId, type: 'emit_event', client_id: 'soak', payload: { name: EVENT_NAME, scope: 'session', session_id: it.session, payload: { i: it.i } } };
      const r = await other.call('POST', '/commands', cmd);
      if (r?.status === 200 && (r.body.accepted || r.body.duplicate)) it.state = 'await_outcome';
      return;
    }
    case 'await_outcome': {
      const r = await other.call('GET', `/commands/${it.commandId}`);
      if (r?.status === 200 && r.body.status !== 'pending') {
        it.firstOutcome = { status: r.body.status, reason: r.body.reason ?? null };
        it.state = 'done';
      }
      return;
    }
  }
}

/** Every run in the database, through the store contract (internal runs included). */
async function allRuns(store: Store): Promise<RunState[]> {
  const out: RunState[] = [];
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<Store['runs']['list']>> = await store.runs.list({ includeInternal: true, limit: 500, cursor });
    for (const row of page.items) {
      const r = await store.runs.get(row.run_id);
      if (r) out.push(r);
    }
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

/** Every check, read from the database after the final clean stop. `seqsOf` lists a run's stored ledger seqs. */
async function check(store: Store, seqsOf: (runId: string) => Promise<number[]>, items: Item[]): Promise<{ violations: string[]; kinds: KindRow[]; runs: number; records: number; chains: number }> {
  const violations: string[] = [];
  const runs = await allRuns(store);
  const byId = new Map(runs.map((r) => [r.run_id, r]));
  const children = new Map<string, RunState[]>();
  for (const r of runs) if (r.parent_run_id) children.set(r.parent_run_id, [...(children.get(r.parent_run_id) ?? []), r]);
  const ledger = (id: string): Promise<StepRecord[]> => store.ledger.listAfter(id, 0, 1_000_000);

  const kinds = new Map<Kind, KindRow>(KINDS.map((k) => [k, { kind: k, acknowledged: 0, ok: 0, failed: 0 }]));
  for (const it of items) {
    if (!it.runId) continue;
    const row = kinds.get(it.kind)!;
    row.acknowledged++;
    const bad: string[] = [];
    const run = byId.get(it.runId);
    const kids = children.get(it.runId) ?? [];
    const outcome = it.commandId ? await store.commands.get(it.commandId) : null;
    if (!run) bad.push('acknowledged run is missing');
    else if (run.status !== 'completed') bad.push(`ended ${run.status} (${run.error ?? ''})`);
    else {
      switch (it.kind) {
        case 'trivial':
          if (run.output?.x !== it.i) bad.push(`output ${JSON.stringify(run.output)}`);
          break;
        case 'loop':
          if (JSON.stringify(run.output?.visited) !== JSON.stringify(Array.from({ length: LOOP_N }, (_, k) => k))) bad.push(`output ${JSON.stringify(run.output)}`);
          break;
        case 'ask':
          if (run.output?.name !== `r${it.i}`) bad.push(`output ${JSON.stringify(run.output)}`);
          break;
        case 'subflow':
          if (kids.length !== 1) bad.push(`${kids.length} subflow children (expected 1)`);
          else if (kids[0]!.status !== 'completed' || JSON.stringify(run.output?.out).indexOf(`"x":${it.i}`) < 0) bad.push(`child ${kids[0]!.status}, output ${JSON.stringify(run.output)}`);
          break;
        case 'schedule':
          if (run.output?.executions !== 2 || kids.length !== 2 || kids.some((k) => k.status !== 'completed')) {
            bad.push(`schedule output ${JSON.stringify(run.output)} with ${kids.length} children (expected 2 executions, 2 children)`);
          }
          break;
        case 'event': {
          const l = it.listenerId ? byId.get(it.listenerId) : null;
          const resumes = l ? (await ledger(l.run_id)).filter((r) => r.effect?.type === 'resume') : [];
          if (resumes.length !== 1) bad.push(`listener woke ${resumes.length} times (expected 1)`);
          if (it.emitRunId) {
            const em = byId.get(it.emitRunId);
            if (!em) bad.push('acknowledged emit run is missing');
            else if (em.status !== 'completed' || em.output?.delivered !== 1) bad.push(`emit run ${em.status} ${JSON.stringify(em.output)}`);
          }
          if (it.commandId && outcome?.reason !== 'delivered to 1 run(s)') bad.push(`emit_event command ${outcome?.status}: ${outcome?.reason}`);
          break;
        }
      }
    }
    if (it.commandId && it.firstOutcome) {
      if (!outcome) bad.push(`acknowledged command ${it.commandId} is missing`);
      else if (outcome.status !== it.firstOutcome.status || outcome.reason !== it.firstOutcome.reason) {
        bad.push(`command ${it.commandId} outcome changed from ${JSON.stringify(it.firstOutcome)} to ${JSON.stringify({ status: outcome.status, reason: outcome.reason })}`);
      } else if (outcome.status !== 'applied') bad.push(`command ${it.commandId} ${outcome.status}: ${outcome.reason}`);
    }
    if (bad.length) {
      row.failed++;
      violations.push(...bad.map((b) => `${it.kind} #${it.i} (${it.runId}): ${b}`));
    } else row.ok++;
  }

  // Every run in the database: chain intact, no record missing (seq 1..n) or duplicated (step ids, completions).
  let records = 0;
  let chains = 0;
  for (const r of runs) {
    const recs = await ledger(r.run_id);
    records += recs.length;
    const v = await store.ledger.verify(r.run_id);
    if (v.ok) chains++;
    else violations.push(`chain of ${r.workflow_id} ${r.run_id} broken at seq ${v.first_bad_seq}: ${JSON.stringify(v.errors[0])}`);
    const seqs = await seqsOf(r.run_id);
    if (seqs.length !== recs.length || seqs.some((s, k) => s !== k + 1)) violations.push(`ledger of ${r.run_id} has a gap or a repeated seq`);
    // A step's `started` and end records share its step id; the same (step, status) twice is a duplicate.
    if (new Set(recs.map((x) => `${x.step_id}/${x.status}`)).size !== recs.length) violations.push(`ledger of ${r.run_id} repeats a record`);
    // A wait is parked once per resume: the same key `waiting` twice with no resume between is a duplicated park.
    const parked = new Set<string>();
    for (const x of recs) {
      if (x.effect?.type === 'resume') parked.clear();
      else if (x.status === 'waiting' && x.idempotency_key) {
        if (parked.has(x.idempotency_key)) violations.push(`${r.workflow_id} ${r.run_id} parked twice on ${x.node_id} without a resume`);
        parked.add(x.idempotency_key);
      }
    }
    const done = recs.filter((x) => x.status === 'completed' && x.idempotency_key).map((x) => x.idempotency_key);
    if (new Set(done).size !== done.length) violations.push(`${r.workflow_id} ${r.run_id} completed one effect twice`);
    if (r.status === 'completed' && !r.workflow_id.startsWith('__') && recs.filter((x) => x.idempotency_key === 'system:terminal_status:completed').length !== 1) {
      violations.push(`${r.workflow_id} ${r.run_id} has ${recs.filter((x) => x.idempotency_key === 'system:terminal_status:completed').length} terminal records`);
    }
  }
  return { violations, kinds: [...kinds.values()], runs: runs.length, records, chains };
}

export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const log = opts.log ?? (() => {});
  const t0 = performance.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'ag-soak-'));
  const flowsDir = join(dataDir, 'flows');
  mkdirSync(flowsDir, { recursive: true });
  writeFileSync(join(flowsDir, `${BUNDLE_ID}@${BUNDLE_VERSION}.flow`), soakBundle());
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('ABSTRACTGATEWAY_') && !k.startsWith('ABSTRACTFLOW_')) env[k] = v;
  Object.assign(env, { NO_COLOR: '1', ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN, ABSTRACTGATEWAY_POLL_S: '0.05' });
  const split = opts.split || !!opts.postgres;
  let pg: { admin: string; url: string; name: string } | null = null;
  if (opts.postgres) {
    const name = `soak_${process.pid}_${Date.now().toString(36)}`;
    await withSql(opts.postgres, (sql) => sql.unsafe(`CREATE DATABASE "${name}"`));
    const u = new URL(opts.postgres);
    u.pathname = `/${name}`;
    pg = { admin: opts.postgres, url: u.toString(), name };
    for (const k of Object.keys(env)) if (k.startsWith('PG')) delete env[k]; // PGDATABASE would override the URL's database
    Object.assign(env, { ABSTRACTGATEWAY_STORE_BACKEND: 'postgres', ABSTRACTGATEWAY_DATABASE_URL: pg.url, ABSTRACTGATEWAY_RUN_CLAIM_MS: '2000' });
  }
  const gw = new SoakGateway(dataDir, { split, apis: opts.apis, runners: opts.runners }, env);
  const apis = Array.from({ length: gw.apiCount }, (_, k) => new Api(gw, k));
  const api = apis[0]!;
  const items: Item[] = [];
  let kills = 0;
  try {
    await gw.start();
    let stop = false;
    let settleStart = 0;
    const driver = (async () => {
      let next = 0;
      while (!stop || items.some((it) => it.state !== 'done')) {
        const active = items.filter((it) => it.state !== 'done');
        // New items are spread evenly over the kill phase (and kept to a bounded number in flight).
        const quota = Math.min(opts.items, Math.ceil(((kills + 1) / Math.max(1, opts.kills)) * opts.items));
        while (!stop && next < quota && active.length < 32) {
          const it: Item = { i: next, kind: KINDS[next % KINDS.length]!, session: `soak-${next}`, attempt: 0, api: next % apis.length, state: 'new' };
          next++;
          items.push(it);
          active.push(it);
        }
        await Promise.all(active.filter((it) => !it.busy).map(async (it) => {
          it.busy = true;
          try { await step(apis, it); } finally { it.busy = false; }
        }));
        await Bun.sleep(gw.url ? 10 : 25);
        if (stop && performance.now() - settleStart > opts.settleTimeoutMs) break;
      }
    })();
    for (; kills < opts.kills; kills++) {
      await Bun.sleep(opts.minAliveMs + Math.random() * (opts.maxAliveMs - opts.minAliveMs));
      await gw.killVictim();
      await gw.restartVictim();
      if ((kills + 1) % 10 === 0) log(`soak: ${kills + 1}/${opts.kills} kills, ${items.length} items`);
    }
    stop = true;
    settleStart = performance.now();
    await driver;
    // The final gateway is never killed: wait until every acknowledged run has ended.
    const roots = () => items.flatMap((it) => [it.runId, it.emitRunId]).filter(Boolean) as string[];
    const deadline = Date.now() + opts.settleTimeoutMs;
    for (;;) {
      const pending = [];
      for (const id of roots()) {
        const r = await api.call('GET', `/runs/${id}`);
        if (!r || r.status !== 200 || !['completed', 'failed', 'cancelled'].includes(r.body.status)) pending.push(id);
        if (pending.length) break;
      }
      if (!pending.length || Date.now() > deadline) break;
      await Bun.sleep(100);
    }
    await gw.stop();
    let res;
    if (pg) {
      const store = await openStore({ backend: 'postgres', databaseUrl: pg.url, poolMax: 4, fault: null });
      const sql = new SQL(pg.url, { max: 1, database: pg.name });
      try {
        res = await check(store, async (id) => (await sql`SELECT seq FROM ledger WHERE run_id = ${id} ORDER BY seq`).map((r: { seq: number }) => Number(r.seq)), items);
      } finally {
        await sql.close();
        await store.close();
      }
    } else {
      const store = SqliteStore.open(join(dataDir, 'gateway.sqlite3'), { fault: null });
      try {
        res = await check(store, async (id) => (store.db.query('SELECT seq FROM ledger WHERE run_id = ? ORDER BY seq').all(id) as { seq: number }[]).map((r) => r.seq), items);
      } finally {
        await store.close();
      }
    }
    const notDone = items.filter((it) => it.state !== 'done' && it.runId);
    for (const it of notDone) res.violations.push(`${it.kind} #${it.i}: the driver never got past '${it.state}'`);
    return {
      ok: res.violations.length === 0,
      mode: pg ? 'postgres' : split ? 'split' : 'single',
      apis: gw.apiCount,
      runners: split ? Math.max(1, opts.runners ?? 1) : 0,
      kills,
      duration_s: Math.round((performance.now() - t0) / 100) / 10,
      items: items.length,
      acknowledged_runs: items.filter((it) => it.runId).length + items.filter((it) => it.emitRunId).length,
      acknowledged_commands: items.filter((it) => it.firstOutcome).length,
      runs_in_db: res.runs,
      ledger_records: res.records,
      chains_verified: res.chains,
      kinds: res.kinds,
      violations: res.violations,
    };
  } finally {
    await gw.stop().catch(() => {});
    if (!opts.keep) {
      rmSync(dataDir, { recursive: true, force: true });
      if (pg) await withSql(pg.admin, (sql) => sql.unsafe(`DROP DATABASE IF EXISTS "${pg!.name}" WITH (FORCE)`)).catch(() => {});
    } else log(`soak: data dir kept at ${dataDir}${pg ? `, database ${pg.url}` : ''}`);
  }
}

async function withSql<T>(url: string, fn: (sql: SQL) => Promise<T>): Promise<T> {
  const sql = new SQL(url, { max: 1 });
  try {
    return await fn(sql);
  } finally {
    await sql.close();
  }
}

export function formatReport(r: SoakReport): string {
  const lines = [
    `crash soak (${r.mode} mode${r.mode === 'single' ? '' : `, ${r.apis} API(s), ${r.runners} runner(s)`}): ${r.kills} kill -9, ${r.items} work items, ${r.duration_s} s`,
    '',
    'kind        acknowledged   ok   failed',
    ...r.kinds.map((k) => `${k.kind.padEnd(12)}${String(k.acknowledged).padStart(12)}${String(k.ok).padStart(5)}${String(k.failed).padStart(9)}`),
    '',
    `acknowledged runs ${r.acknowledged_runs}, commands ${r.acknowledged_commands}; runs in db ${r.runs_in_db}, ledger records ${r.ledger_records}, chains verified ${r.chains_verified}/${r.runs_in_db}`,
    r.ok ? 'result: every check held' : `result: ${r.violations.length} violation(s):`,
    ...r.violations.slice(0, 50).map((v) => `  - ${v}`),
  ];
  return lines.join('\n');
}

const HELP = `Usage: npm run soak -- [--kills N] [--items N] [--split] [--postgres [URL]] [--apis N] [--runners N] [--json] [--keep]

Crash soak: a real gateway under a mixed workload, SIGKILLed N times at random moments and restarted on the
same data dir; then every durability invariant is checked against the database. Exit 0 when all hold, 1 if not.

  --kills N   kill -9 count (default ${DEFAULTS.kills})
  --items N   work items started during the kill phase (default ${DEFAULTS.items})
  --split     split mode: serve --no-runner stays up, the separate runner process is the one killed
  --postgres [URL]  split mode on a fresh PostgreSQL database on the server at URL (an admin URL; default
              $ABSTRACTGATEWAY_TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:55432/postgres)
  --apis N    split mode: API processes (default 1; 2 with --postgres); answers go through another API
  --runners N split mode: runner processes (default 1; 2 with --postgres); a random one is killed each time
  --json      print the report as JSON
  --keep      keep the temp data dir for inspection
  -h, --help  this help`;

if (import.meta.main) {
  let args;
  try {
    args = parseArgs({
      options: {
        kills: { type: 'string' }, items: { type: 'string' }, split: { type: 'boolean' }, json: { type: 'boolean' },
        postgres: { type: 'boolean' }, apis: { type: 'string' }, runners: { type: 'string' },
        keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    console.error(`soak: ${(err as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  // `--postgres` takes an optional URL: a positional right after it.
  const pgUrl = args.values.postgres
    ? (args.positionals[0] ?? process.env.ABSTRACTGATEWAY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:55432/postgres')
    : null;
  if (args.positionals.length > (args.values.postgres ? 1 : 0)) {
    console.error(`soak: unexpected argument ${JSON.stringify(args.positionals.at(-1))}\n\n${HELP}`);
    process.exit(2);
  }
  const values = args.values;
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const int = (name: string, v: string | undefined, d: number) => {
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) {
      console.error(`soak: --${name} must be a whole number >= 0 (got ${JSON.stringify(v)})`);
      process.exit(2);
    }
    return n;
  };
  const opts: SoakOptions = {
    ...DEFAULTS,
    kills: int('kills', values.kills, DEFAULTS.kills),
    items: int('items', values.items, DEFAULTS.items),
    split: !!values.split || !!pgUrl,
    postgres: pgUrl,
    apis: int('apis', values.apis, pgUrl ? 2 : 1),
    runners: int('runners', values.runners, pgUrl ? 2 : 1),
    keep: !!values.keep,
    log: (m) => console.error(m),
  };
  const report = await runSoak(opts);
  console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
  process.exit(report.ok ? 0 : 1);
}
