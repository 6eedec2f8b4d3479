// Deterministic fault injection (issue 12 §3): the runner process SIGKILLs itself at the n-th pass of a named
// commit boundary, for EVERY n until a run completes without reaching it (so every commit of the workload is
// hit), and at each named boundary of the multi-write paths. After a clean restart on the same data dir: no
// command re-applied (its outcome is the one first recorded), no event delivered twice, no subflow child executed
// twice, every chain verifies (see test/support/fault-workload.ts).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFault } from '../../src/store/fault.ts';
import { SqliteStore } from '../../src/store/index.ts';
import { buildCompactRuntime, compactViolations, seedCompact, SUMMARY } from '../support/fault-compact.ts';
import { buildRuntime, outcomes, seed, violations } from '../support/fault-workload.ts';
import { tempDir } from '../support/harness.ts';
import { cloneDatabase, describePg, freshDatabase, type FreshDatabase } from '../support/pg.ts';
import { PostgresStore } from '../../src/store/postgres/index.ts';
import { startStubLlm, type StubLlm } from '../support/stub-llm.ts';

const dir = tempDir('ag-faults-');
const worker = join(import.meta.dir, '../support/fault-worker.ts');
let stub: StubLlm;

interface Workload {
  seedDb: string;
  args: () => string[];
  /** What a client could have read right after the kill. */
  snapshot: (s: SqliteStore) => Promise<any>;
  violations: (s: SqliteStore, first: any) => Promise<string[]>;
}
const main: Workload = { seedDb: join(dir.path, 'seed.sqlite3'), args: () => [], snapshot: outcomes, violations };
const compact: Workload = {
  seedDb: join(dir.path, 'seed-compact.sqlite3'),
  args: () => ['compact', stub.url],
  snapshot: async (s) => {
    const c = (await s.commands.get('cm1'))!;
    return c.status === 'pending' ? null : { status: c.status, reason: c.reason };
  },
  violations: compactViolations,
};

beforeAll(async () => {
  stub = startStubLlm();
  stub.respond = () => ({ content: SUMMARY });
  let store = SqliteStore.open(main.seedDb, { fault: null });
  await seed(store, buildRuntime(store));
  await store.close(); // checkpoints the WAL: the file alone is the seeded state
  store = SqliteStore.open(compact.seedDb, { fault: null });
  await seedCompact(store, buildCompactRuntime(store, stub.url));
  await store.close();
});
afterAll(() => {
  stub?.stop();
  dir.cleanup();
});

let caseNo = 0;
async function runWorker(w: Workload, db: string, fault: string | null): Promise<number | 'killed'> {
  const env = { ...process.env, ABSTRACTGATEWAY_TEST_FAULT: fault ?? '' };
  const p = Bun.spawn([process.execPath, worker, db, ...w.args()], { env, stdout: 'inherit', stderr: 'inherit' });
  const code = await p.exited;
  return p.signalCode === 'SIGKILL' ? 'killed' : code;
}

/** Kill at `fault`, snapshot what a client could have read, restart clean, check. False when the fault never fired. */
async function killAndRecover(fault: string, w: Workload = main): Promise<boolean> {
  const db = join(dir.path, `case-${++caseNo}.sqlite3`);
  copyFileSync(w.seedDb, db);
  const first = await runWorker(w, db, fault);
  if (first !== 'killed') {
    expect(first).toBe(0);
    return false;
  }
  const s1 = SqliteStore.open(db, { fault: null });
  const snapshot = await w.snapshot(s1);
  await s1.close();
  expect(await runWorker(w, db, null)).toBe(0);
  const s2 = SqliteStore.open(db, { fault: null });
  try {
    expect({ fault, violations: await w.violations(s2, snapshot) }).toEqual({ fault, violations: [] });
  } finally {
    await s2.close();
  }
  return true;
}

test('the fault spec is validated', () => {
  expect(parseFault('commit:3')).toEqual({ point: 'commit', n: 3, action: 'kill' });
  expect(parseFault('subflow.child_created:1:throw')).toEqual({ point: 'subflow.child_created', n: 1, action: 'throw' });
  expect(parseFault('')).toBeNull();
  expect(() => parseFault('commit')).toThrow(/expected <point>:<n>/);
  expect(() => parseFault('commit:0')).toThrow(/expected <point>:<n>/);
});

test('without a fault the workloads settle and every invariant holds', async () => {
  for (const w of [main, compact]) {
    const db = join(dir.path, `clean-${++caseNo}.sqlite3`);
    copyFileSync(w.seedDb, db);
    expect(await runWorker(w, db, null)).toBe(0);
    const s = SqliteStore.open(db, { fault: null });
    expect(await w.violations(s, null)).toEqual([]);
    await s.close();
  }
}, 30_000);

describe('a kill at a named boundary of each path', () => {
  const points: [string, number][] = [
    ['command.applied', 1], // the resume's outcome committed, next command not yet
    ['command.applied', 2], // the emit_event command delivered and recorded
    ['effect.atomic_committed', 1], // a node's emit_event delivered with its records
    ['subflow.child_created', 1],
    ['subflow.child_created', 2],
    ['subflow.child_created', 3],
    ['subflow.child_ticked', 1], // the sync child ended, the parent not yet flushed
  ];
  for (const [point, n] of points) {
    test(`${point}:${n}`, async () => {
      expect(await killAndRecover(`${point}:${n}`)).toBe(true);
    }, 30_000);
  }
  for (const [point, n] of [['artifact.blob_written', 1], ['compact.committed', 1]] as const) {
    test(`compaction ${point}:${n}`, async () => {
      expect(await killAndRecover(`${point}:${n}`, compact)).toBe(true);
    }, 30_000);
  }
});

test.each([['the mixed workload', main], ['compaction', compact]] as const)('a kill after EVERY commit of %s, and before a sample of them', async (_, w) => {
  // Three cases at a time (each its own data dir and processes); the sweep ends at the first n never reached.
  let fired = 0;
  for (let n = 1; n < 200; n += 3) {
    const hits = await Promise.all([n, n + 1, n + 2].map((k) => killAndRecover(`commit:${k}`, w)));
    fired += hits.filter(Boolean).length;
    if (!hits.every(Boolean)) break;
  }
  expect(fired).toBeGreaterThan(w === main ? 10 : 4);
  await Promise.all([1, 3, 7].map((n) => killAndRecover(`precommit:${n}`, w)));
}, 240_000);

// The same kills on PostgreSQL (main workload): each case a copy of one seeded database (CREATE DATABASE …
// TEMPLATE). Bounded: the named boundaries and a sample of commits (the SQLite sweep above hits every commit).
describePg('[postgres] a kill at a commit boundary, recovered by a restarted runner', () => {
  let seedDb: FreshDatabase;
  beforeAll(async () => {
    seedDb = await freshDatabase('fseed');
    const store = await PostgresStore.open(seedDb.url, { fault: null, listen: false });
    await seed(store, buildRuntime(store));
    await store.close();
  });
  afterAll(async () => { await seedDb?.drop(); });

  const pgCase = async (fault: string | null): Promise<boolean> => {
    const db = await cloneDatabase(seedDb, 'fcase');
    try {
      const first = await runWorker(main, db.url, fault);
      if (fault && first !== 'killed') {
        expect(first).toBe(0);
        return false;
      }
      const open = () => PostgresStore.open(db.url, { fault: null, listen: false, poolMax: 2 });
      let snapshot = null;
      if (fault) {
        const s1 = await open();
        snapshot = await outcomes(s1);
        await s1.close();
        expect(await runWorker(main, db.url, null)).toBe(0);
      }
      const s2 = await open();
      try {
        expect({ fault, violations: await violations(s2, snapshot) }).toEqual({ fault, violations: [] });
      } finally {
        await s2.close();
      }
      return true;
    } finally {
      await db.drop();
    }
  };

  test('without a fault the workload settles and every invariant holds', async () => {
    expect(await pgCase(null)).toBe(true);
  }, 30_000);

  const points = ['command.applied:1', 'command.applied:2', 'effect.atomic_committed:1', 'subflow.child_created:1', 'subflow.child_ticked:1', 'commit:1', 'commit:4', 'commit:9', 'precommit:3'];
  test(`kills at ${points.join(', ')}`, async () => {
    // Three cases at a time, each its own database and processes.
    for (let i = 0; i < points.length; i += 3) {
      const fired = await Promise.all(points.slice(i, i + 3).map((f) => pgCase(f)));
      expect(fired).toEqual(fired.map(() => true));
    }
  }, 120_000);
});
