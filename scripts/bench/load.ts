// Load figures against the real gateway in its own process (synchronous=FULL, the default): the 3-step workflow's
// latency and throughput, start latency under a 200-client mixed load, memory over a long session, and how start
// cost grows with the number of runs already in the database. Each figure carries a reference from the same run.
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/index.ts';
import { nowIso } from '../../src/util/time.ts';
import {
  AUTH, fmt, get, ms, pct, post, q, rawInsertTx, readSse, ref, rssMiB, startServer, timesRatio, writeBenchBundles,
  type BenchServer, type Figure,
} from './common.ts';

const CLIENTS = Number(process.env.AG_BENCH_CLIENTS ?? 32);

/** Closed-loop clients calling `op` until `seconds` pass; returns each call's latency (ms). */
async function closedLoop(clients: number, seconds: number, op: () => Promise<unknown>): Promise<number[]> {
  const lat: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < deadline) {
      const t = performance.now();
      await op();
      lat.push(performance.now() - t);
    }
  }));
  return lat.sort((a, b) => a - b);
}

/** Waits until no run is running (the runner has drained what was started). */
async function drained(server: BenchServer): Promise<void> {
  for (;;) {
    const running = await get(`${server.url}/api/gateway/runs?status=running&limit=1&include_ledger_len=false`);
    if (!running.items.length) return;
    await Bun.sleep(5);
  }
}

/** Start → `done` on the run's SSE stream (the completion record committed and delivered). */
async function startToDone(server: BenchServer, bundleId: string): Promise<void> {
  const { run_id } = await post(`${server.url}/api/gateway/runs/start`, { bundle_id: bundleId });
  await readSse(`${server.url}/api/gateway/runs/${run_id}/ledger/stream?after=0`, () => {});
}

/** One raw SQLite commit at synchronous=FULL (insert tx), p50 in ms: what one fsynced commit costs on this disk. */
function rawFullCommitMs(dir: string): number {
  return 1000 / rawInsertTx(dir, 500, 'FULL');
}

/** The 3-step flow: start→completion p50 with one client, and runs/s with 32 clients. */
export async function threeStep(dir: string): Promise<Figure[]> {
  writeBenchBundles(join(dir, 'flows'));
  const server = await startServer(dir);
  try {
    for (let i = 0; i < 20; i++) await startToDone(server, 'threestep'); // warm-up
    const one: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await startToDone(server, 'threestep');
      one.push(performance.now() - t);
    }
    one.sort((a, b) => a - b);
    const commit = rawFullCommitMs(dir);
    const t0 = performance.now();
    const starts = await closedLoop(CLIENTS, 5, () => post(`${server.url}/api/gateway/runs/start`, { bundle_id: 'threestep' }));
    await drained(server);
    const rate = starts.length / ((performance.now() - t0) / 1000);
    const rawFull = rawInsertTx(dir, 2000, 'FULL');
    return [
      {
        name: '3-step flow start → completion (SSE done), one client, p50 / p99',
        value: q(pct(one, 50), 'ms', `${ms(pct(one, 50))} / ${ms(pct(one, 99))}`),
        reference: ref('one raw SQLite commit at FULL', commit, 'ms', `one raw SQLite one-row commit at FULL: ${ms(commit)}`),
        ratio: timesRatio(pct(one, 50), commit, ' at p50'),
        target: 'p50 ≤ 2 ms',
        ok: pct(one, 50) <= 2,
      },
      {
        name: `3-step flow runs started+completed/s (HTTP, ${CLIENTS} clients)`,
        value: q(rate, 'runs/s', `${fmt(rate)} runs/s`),
        reference: ref('raw SQLite one-row insert tx/s at FULL', rawFull, 'tx/s', `raw SQLite one-row insert tx/s at FULL: ${fmt(rawFull)}`),
        ratio: { value: rate / rawFull, text: `${((rate / rawFull) * 100).toFixed(1)} %` },
        target: '≥ 1,500 runs/s',
        ok: rate >= 1500,
      },
    ];
  } finally {
    await server.stop();
  }
}

/** Start POST latency under a mixed load of 200 clients: starts of two flows, run lists, and SSE readers. */
export async function mixedLoad(dir: string, seconds = 5): Promise<Figure> {
  writeBenchBundles(join(dir, 'flows'));
  const server = await startServer(dir);
  try {
    const alone = await closedLoop(1, 2, () => post(`${server.url}/api/gateway/runs/start`, { bundle_id: 'trivial' }));
    await drained(server);
    const starts: number[] = [];
    const deadline = performance.now() + seconds * 1000;
    const startClient = async (bundle: string) => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await post(`${server.url}/api/gateway/runs/start`, { bundle_id: bundle });
        starts.push(performance.now() - t);
      }
    };
    const listClient = async () => {
      while (performance.now() < deadline) await get(`${server.url}/api/gateway/runs?limit=50`);
    };
    const sseClient = async () => {
      while (performance.now() < deadline) await startToDone(server, 'threestep');
    };
    await Promise.all([
      ...Array.from({ length: 150 }, (_, i) => startClient(i % 2 ? 'trivial' : 'threestep')),
      ...Array.from({ length: 30 }, listClient),
      ...Array.from({ length: 20 }, sseClient),
    ]);
    await drained(server);
    starts.sort((a, b) => a - b);
    return {
      name: `start POST under a mixed load of 200 clients (150 starting, 30 listing, 20 start+SSE), p50 / p99`,
      value: q(pct(starts, 99), 'ms', `${ms(pct(starts, 50))} / ${ms(pct(starts, 99))} (${fmt(starts.length)} starts)`),
      reference: ref('one client alone, p99', pct(alone, 99), 'ms', `one client alone p50 / p99: ${ms(pct(alone, 50))} / ${ms(pct(alone, 99))}`),
      ratio: timesRatio(pct(starts, 99), pct(alone, 99), ' at p99'),
      target: 'p99 ≤ 300 ms',
      ok: pct(starts, 99) <= 300,
    };
  } finally {
    await server.stop();
  }
}

/** Server RSS over a long session of trivial runs: after 2,000 runs and after `total`; it must level off. */
export async function memory(dir: string, total = Number(process.env.AG_BENCH_MEMORY_RUNS ?? 100_000)): Promise<Figure[]> {
  writeBenchBundles(join(dir, 'flows'));
  const server = await startServer(dir);
  try {
    const samples: [number, number][] = [];
    let started = 0;
    const batch = async (upTo: number) => {
      await Promise.all(Array.from({ length: CLIENTS }, async () => {
        while (started < upTo) {
          started++;
          await post(`${server.url}/api/gateway/runs/start`, { bundle_id: 'trivial' });
        }
      }));
      await drained(server);
      Bun.gc(true);
      samples.push([started, rssMiB(server.pid)]);
      process.stderr.write(`${fmt(started)} runs: ${fmt(samples.at(-1)![1], 1)} MiB … `);
    };
    await batch(2000);
    const early = samples[0]![1];
    for (let n = 20_000; n <= total; n += 20_000) await batch(n);
    if (started < total) await batch(total);
    const late = samples.at(-1)![1];
    const series = samples.map(([n, r]) => `${fmt(n / 1000)}k: ${fmt(r)}`).join(', ');
    return [
      {
        name: 'server RSS after 2,000 trivial runs',
        value: q(early, 'MiB', `${fmt(early, 1)} MiB`),
        reference: null,
        ratio: null,
        target: '≤ 80 MiB',
        ok: early <= 80,
      },
      {
        name: `server RSS after ${fmt(total)} trivial runs (MiB by runs: ${series})`,
        value: q(late, 'MiB', `${fmt(late, 1)} MiB`),
        reference: ref('after 2,000 runs', early, 'MiB', `after 2,000 runs: ${fmt(early, 1)} MiB`),
        ratio: timesRatio(late, early),
        target: '≤ 80 MiB and ≤ 1.15× (flat)',
        ok: late <= 80 && late / early <= 1.15,
      },
    ];
  } finally {
    await server.stop();
  }
}

/** Inserts completed runs straight into the store (seeding a database of a given size). */
export async function seedRuns(dir: string, count: number, statuses: readonly string[] = ['completed']): Promise<void> {
  const store = SqliteStore.open(join(dir, 'gateway.sqlite3'), { synchronous: 'NORMAL' });
  for (let i = 0; i < count; i += 10_000) {
    await store.tx(async () => {
      for (let j = i; j < Math.min(count, i + 10_000); j++) {
        const id = crypto.randomUUID();
        const now = nowIso();
        const status = statuses[j % statuses.length]! as 'completed';
        await store.runs.save({
          run_id: id, workflow_id: `bench@1.0.0:f${j % 7}`, status, current_node: 'n', vars: { i: j }, output: null, error: null,
          waiting: (status as string) === 'waiting'
            ? { reason: 'user', wait_key: `user:${id}:n`, until: null, resume_to_node: 'n', result_key: null, prompt: 'p', choices: null, allow_free_text: true, details: null }
            : null,
          created_at: now, updated_at: now, actor_id: 'other', session_id: id, parent_run_id: null,
        });
      }
    });
  }
  await store.close();
}

/** Seeded runs for `growth`: a quarter parked on a person (what a long-lived gateway accumulates). */
const GROWTH_STATUSES = ['completed', 'completed', 'completed', 'waiting'] as const;

/**
 * Trivial runs/s and start latency with 1k, 10k, 100k and 1M runs already in the database (GROWTH_STATUSES):
 * neither the runner's queries nor a start may walk the waiting ones.
 */
export async function growth(dir: string, sizes = (process.env.AG_BENCH_GROWTH ?? '1000,10000,100000,1000000').split(',').map(Number)): Promise<Figure[]> {
  writeBenchBundles(join(dir, 'flows'));
  let have = 0;
  const rows: { size: number; rate: number; p50: number; p99: number }[] = [];
  for (const size of sizes) {
    const t = performance.now();
    await seedRuns(dir, size - have, GROWTH_STATUSES);
    process.stderr.write(`seeded ${fmt(size)} runs in ${((performance.now() - t) / 1000).toFixed(1)} s … `);
    const server = await startServer(dir);
    try {
      const single = await closedLoop(1, 1.5, () => post(`${server.url}/api/gateway/runs/start`, { bundle_id: 'trivial' }));
      await drained(server);
      const t0 = performance.now();
      const starts = await closedLoop(CLIENTS, 3, () => post(`${server.url}/api/gateway/runs/start`, { bundle_id: 'trivial' }));
      await drained(server);
      rows.push({ size, rate: starts.length / ((performance.now() - t0) / 1000), p50: pct(single, 50), p99: pct(single, 99) });
      have = size + single.length + starts.length;
    } finally {
      await server.stop();
    }
  }
  const first = rows[0]!;
  return rows.slice(1).flatMap((r) => [
    {
      name: `trivial runs/s with ${fmt(r.size)} runs in the database (¼ waiting on a person)`,
      value: q(r.rate, 'runs/s', `${fmt(r.rate)} runs/s`),
      reference: ref(`with ${fmt(first.size)} runs`, first.rate, 'runs/s', `with ${fmt(first.size)} runs: ${fmt(first.rate)} runs/s`),
      ratio: timesRatio(r.rate, first.rate),
      target: '≥ 0.5×',
      ok: r.rate / first.rate >= 0.5,
    },
    {
      name: `start POST latency (one client) with ${fmt(r.size)} runs in the database (¼ waiting on a person), p50 / p99`,
      value: q(r.p50, 'ms', `${ms(r.p50)} / ${ms(r.p99)}`),
      reference: ref(`with ${fmt(first.size)} runs, p50`, first.p50, 'ms', `with ${fmt(first.size)} runs: ${ms(first.p50)} / ${ms(first.p99)}`),
      ratio: timesRatio(r.p50, first.p50, ' at p50'),
      target: '≤ 2×',
      ok: r.p50 / first.p50 <= 2,
    },
  ]);
}

export { AUTH };
