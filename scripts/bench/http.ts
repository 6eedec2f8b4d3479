// HTTP-level figures against the real gateway in its own process (see common.ts).
import { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/index.ts';
import { seedRuns } from './load.ts';
import { nowIso } from '../../src/util/time.ts';
import { AUTH, fmt, get, ms, pct, percentRatio, post, q, rawInsertTx, rawSseClient, readSse, ref, startServer, timesRatio, writeBenchBundles, type Figure } from './common.ts';

const CLIENTS = Number(process.env.AG_BENCH_CLIENTS ?? 32);

/** Trivial runs started and completed per second, N keep-alive clients, vs raw one-row insert tx/s. */
export async function trivialRuns(dir: string, seconds = 5): Promise<Figure> {
  writeBenchBundles(join(dir, 'flows'));
  const server = await startServer(dir);
  try {
    const ids: string[] = [];
    const t0 = performance.now();
    const deadline = t0 + seconds * 1000;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < deadline) ids.push((await post(`${server.url}/api/gateway/runs/start`, { bundle_id: 'trivial' })).run_id);
      }),
    );
    // Completion: every started run must be completed (checked through the API).
    for (;;) {
      const waiting = await get(`${server.url}/api/gateway/runs?status=running&limit=1&include_ledger_len=false`);
      if (!waiting.items.length) break;
      await Bun.sleep(5);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const sample = await get(`${server.url}/api/gateway/runs/${ids.at(-1)}`);
    if (sample.status !== 'completed') throw new Error(`trivial run not completed: ${sample.status}`);
    const rate = ids.length / elapsed;
    const raw = rawInsertTx(dir);
    return {
      name: `trivial flow runs started+completed/s (HTTP, ${CLIENTS} keep-alive clients)`,
      value: q(rate, 'runs/s', `${fmt(rate)} runs/s`),
      reference: ref('raw SQLite one-row insert tx/s (synchronous=NORMAL)', raw, 'tx/s', `raw SQLite one-row insert tx/s at NORMAL: ${fmt(raw)}`),
      ratio: percentRatio(rate, raw),
      target: '≥ 25 %',
      ok: rate / raw >= 0.25,
    };
  } finally {
    await server.stop();
  }
}

/** ask_user resume → resume record on SSE, p50/p99, vs /api/health round trip. */
export async function resumeLatency(dir: string, iterations = 200): Promise<Figure> {
  writeBenchBundles(join(dir, 'flows'));
  const server = await startServer(dir);
  try {
    const health: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t = performance.now();
      await (await fetch(`${server.url}/api/health`)).text();
      health.push(performance.now() - t);
    }
    const { run_id } = await post(`${server.url}/api/gateway/runs/start`, { bundle_id: 'askloop' });
    let waits = 0;
    let onWaiting: (() => void) | null = null;
    let onResume: ((at: number) => void) | null = null;
    const ctrl = new AbortController();
    const stream = readSse(`${server.url}/api/gateway/runs/${run_id}/ledger/stream?after=0`, (_cursor, rec, at) => {
      if (rec.status === 'waiting' && rec.type === 'ask_user') {
        waits++;
        onWaiting?.();
      }
      if (rec.type === 'resume') onResume?.(at);
    }, ctrl.signal);
    const lat: number[] = [];
    for (let i = 0; i < iterations; i++) {
      while (waits <= i) await new Promise<void>((r) => (onWaiting = r));
      const seen = new Promise<number>((r) => (onResume = r));
      const t = performance.timeOrigin + performance.now();
      await post(`${server.url}/api/gateway/commands`, { command_id: crypto.randomUUID(), run_id, type: 'resume', payload: { payload: { response: `a${i}` } } });
      lat.push((await seen) - t);
    }
    ctrl.abort();
    await stream.catch(() => {});
    lat.sort((a, b) => a - b);
    health.sort((a, b) => a - b);
    return {
      name: `ask_user resume: command POST → resume record on SSE (${iterations} resumes), p50 / p99`,
      value: q(pct(lat, 50), 'ms', `${ms(pct(lat, 50))} / ${ms(pct(lat, 99))}`),
      reference: ref('GET /api/health round trip p50', pct(health, 50), 'ms', `GET /api/health round trip p50 / p99: ${ms(pct(health, 50))} / ${ms(pct(health, 99))}`),
      ratio: timesRatio(pct(lat, 50), pct(health, 50), ' at p50'),
      target: 'p50 ≤ 3× the /api/health round trip',
      ok: pct(lat, 50) <= 3 * pct(health, 50),
    };
  } finally {
    await server.stop();
  }
}

/** 1,000 SSE subscribers on one run: record commit (its started_at) → delivery on every stream. */
export async function fanOut(dir: string, subscribers = 1000, resumes = 20): Promise<Figure> {
  writeBenchBundles(join(dir, 'flows'));
  const server = await startServer(dir);
  try {
    const measure = async (n: number) => {
      const { run_id } = await post(`${server.url}/api/gateway/runs/start`, { bundle_id: 'askloop' });
      await waitFor(async () => (await get(`${server.url}/api/gateway/runs/${run_id}`)).status === 'waiting');
      const delays: number[] = [];
      let counted = 0;
      const clients = await Promise.all(
        Array.from({ length: n }, () =>
          rawSseClient(`${server.url}/api/gateway/runs/${run_id}/ledger/stream?after=0`, (at, startedAt) => {
            delays.push(at - startedAt);
            counted++;
          }),
        ),
      );
      await Promise.all(clients.map((c) => c.live));
      for (let i = 0; i < resumes; i++) {
        const before = counted;
        await post(`${server.url}/api/gateway/commands`, { command_id: crypto.randomUUID(), run_id, type: 'resume', payload: { payload: { response: `r${i}` } } });
        await waitFor(async () => counted >= before + n, 30_000);
        await waitFor(async () => (await get(`${server.url}/api/gateway/runs/${run_id}`)).status === 'waiting');
      }
      for (const c of clients) c.close();
      return delays.sort((a, b) => a - b);
    };
    const one = await measure(1);
    const many = await measure(subscribers);
    return {
      name: `SSE fan-out: ${fmt(subscribers)} subscribers on one run, commit → delivery p50 / p99 (${resumes} resumes)`,
      value: q(pct(many, 99), 'ms', `${ms(pct(many, 50))} / ${ms(pct(many, 99))}`),
      reference: ref('one subscriber p99', pct(one, 99), 'ms', `one subscriber p50 / p99: ${ms(pct(one, 50))} / ${ms(pct(one, 99))}`),
      ratio: timesRatio(pct(many, 99), Math.max(pct(one, 99), 0.01), ' at p99'),
      target: 'p99 ≤ 50 ms',
      ok: pct(many, 99) <= 50,
    };
  } finally {
    await server.stop();
  }
}

/** Ledger replay by cursor of a 100,000-record run vs a raw range scan on the same index. */
export async function ledgerReplay(dir: string, records = 100_000, page = 2000): Promise<Figure> {
  writeBenchBundles(join(dir, 'flows'));
  const store = SqliteStore.open(join(dir, 'gateway.sqlite3'));
  const runId = crypto.randomUUID();
  const base = { run_id: runId, node_id: 'n', status: 'completed' as const, error: null, started_at: nowIso(), ended_at: nowIso(), actor_id: 'gateway', session_id: runId, attempt: 1 };
  for (let i = 0; i < records; i += 5000) {
    await store.tx(async () => {
      for (let j = i; j < Math.min(records, i + 5000); j++) {
        await store.ledger.append({ ...base, step_id: crypto.randomUUID(), effect: { type: 'answer_user', payload: { message: `m${j}` }, result_key: null }, result: { message: `m${j}`, level: 'message' }, idempotency_key: String(j) });
      }
    });
  }
  const now = nowIso();
  await store.tx(() => store.runs.save({ run_id: runId, workflow_id: 'bench', status: 'completed', current_node: 'n', vars: {}, waiting: null, output: {}, error: null, created_at: now, updated_at: now, actor_id: 'gateway', session_id: runId, parent_run_id: null }));
  await store.close();
  const raw = new Database(join(dir, 'gateway.sqlite3'), { readonly: true });
  const scan = raw.query('SELECT record_json FROM ledger WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?');
  let t = performance.now();
  let n = 0;
  for (let after = 0; ; after += page) {
    const rows = scan.all(runId, after, page);
    if (!rows.length) break;
    n += rows.length;
  }
  const rawRate = n / ((performance.now() - t) / 1000);
  raw.close();
  const server = await startServer(dir);
  try {
    t = performance.now();
    let pages = 0;
    let got = 0;
    for (let after = 0; ; ) {
      const body = await get(`${server.url}/api/gateway/runs/${runId}/ledger?after=${after}&limit=${page}`);
      if (!body.items.length) break;
      pages++;
      got += body.items.length;
      after = body.next_after;
    }
    const secs = (performance.now() - t) / 1000;
    if (got !== records) throw new Error(`replay returned ${got} of ${records} records`);
    return {
      name: `ledger replay of a ${fmt(records)}-record run by cursor (pages of ${page})`,
      value: q(got / secs, 'records/s', `${fmt(pages / secs)} pages/s, ${fmt(got / secs)} records/s`),
      reference: ref('raw SQLite range scan', rawRate, 'records/s', `raw SQLite range scan: ${fmt(rawRate)} records/s`),
      ratio: percentRatio(got / secs, rawRate),
    };
  } finally {
    await server.stop();
  }
}

/** GET /runs?status=waiting&limit=50 latency with 100,000 runs vs with 1,000 (must stay flat). */
export async function runsList(dirSmall: string, dirLarge: string): Promise<Figure> {
  const seed = async (dir: string, count: number) => {
    writeBenchBundles(join(dir, 'flows'));
    await seedRuns(dir, count, ['completed', 'waiting', 'failed', 'running', 'cancelled']);
  };
  const measure = async (dir: string) => {
    const server = await startServer(dir, { ABSTRACTGATEWAY_RUNNER: '0' });
    try {
      const lat: number[] = [];
      for (let i = 0; i < 300; i++) {
        const t = performance.now();
        const body = await get(`${server.url}/api/gateway/runs?status=waiting&limit=50`);
        lat.push(performance.now() - t);
        if (body.items.length !== 50) throw new Error('expected a full page');
      }
      return lat.sort((a, b) => a - b);
    } finally {
      await server.stop();
    }
  };
  await seed(dirSmall, 1000);
  await seed(dirLarge, 100_000);
  const small = await measure(dirSmall);
  const large = await measure(dirLarge);
  return {
    name: 'GET /runs?status=waiting&limit=50 with 100,000 runs, p50 / p99',
    value: q(pct(large, 50), 'ms', `${ms(pct(large, 50))} / ${ms(pct(large, 99))}`),
    reference: ref('same with 1,000 runs, p50', pct(small, 50), 'ms', `same with 1,000 runs: ${ms(pct(small, 50))} / ${ms(pct(small, 99))}`),
    ratio: timesRatio(pct(large, 50), pct(small, 50), ' at p50'),
    target: '≤ 2×',
    ok: pct(large, 50) / pct(small, 50) <= 2,
  };
}

async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('bench: timed out waiting');
    await Bun.sleep(2);
  }
}

export { AUTH };
