// Deterministic fault injection (issue 12 §3): the runner process SIGKILLs itself at the n-th pass of a named
// commit boundary, for EVERY n until a run completes without reaching it (so every commit of the workload is
// hit), and at each named boundary of the multi-write paths. After a clean restart on the same data dir: no
// command re-applied (its outcome is the one first recorded), no event delivered twice, no subflow child executed
// twice, every chain verifies (see test/support/fault-workload.ts).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFault } from '../../src/store/fault.ts';
import { Store } from '../../src/store/index.ts';
import { buildRuntime, outcomes, seed, violations } from '../support/fault-workload.ts';
import { tempDir } from '../support/harness.ts';

const dir = tempDir('ag-faults-');
const seedDb = join(dir.path, 'seed.sqlite3');
const worker = join(import.meta.dir, '../support/fault-worker.ts');
afterAll(() => dir.cleanup());

beforeAll(async () => {
  const store = Store.open(seedDb, { fault: null });
  await seed(store, buildRuntime(store));
  store.close(); // checkpoints the WAL: the file alone is the seeded state
});

let caseNo = 0;
async function runWorker(db: string, fault: string | null): Promise<number | 'killed'> {
  const env = { ...process.env, ABSTRACTGATEWAY_TEST_FAULT: fault ?? '' };
  const p = Bun.spawn([process.execPath, worker, db], { env, stdout: 'inherit', stderr: 'inherit' });
  const code = await p.exited;
  return p.signalCode === 'SIGKILL' ? 'killed' : code;
}

/** Kill at `fault`, snapshot what a client could have read, restart clean, check. False when the fault never fired. */
async function killAndRecover(fault: string): Promise<boolean> {
  const db = join(dir.path, `case-${++caseNo}.sqlite3`);
  copyFileSync(seedDb, db);
  const first = await runWorker(db, fault);
  if (first !== 'killed') {
    expect(first).toBe(0);
    return false;
  }
  const s1 = Store.open(db, { fault: null });
  const firstOutcomes = outcomes(s1);
  s1.close();
  expect(await runWorker(db, null)).toBe(0);
  const s2 = Store.open(db, { fault: null });
  try {
    expect({ fault, violations: violations(s2, firstOutcomes) }).toEqual({ fault, violations: [] });
  } finally {
    s2.close();
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

test('without a fault the workload settles and every invariant holds', async () => {
  const db = join(dir.path, 'clean.sqlite3');
  copyFileSync(seedDb, db);
  expect(await runWorker(db, null)).toBe(0);
  const s = Store.open(db, { fault: null });
  expect(violations(s, {})).toEqual([]);
  s.close();
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
});

test('a kill after EVERY commit of the workload, and before a sample of them', async () => {
  // Three cases at a time (each its own data dir and processes); the sweep ends at the first n never reached.
  let fired = 0;
  for (let n = 1; n < 200; n += 3) {
    const hits = await Promise.all([n, n + 1, n + 2].map((k) => killAndRecover(`commit:${k}`)));
    fired += hits.filter(Boolean).length;
    if (!hits.every(Boolean)) break;
  }
  expect(fired).toBeGreaterThan(10);
  await Promise.all([1, 3, 7, 12].map((n) => killAndRecover(`precommit:${n}`)));
}, 240_000);
