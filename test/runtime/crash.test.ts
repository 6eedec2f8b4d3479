// kill -9 at random moments: after restart every run completes, nothing acknowledged is lost, no ledger record
// is duplicated, and every hash chain verifies.
import { afterAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/index.ts';
import { tempDir } from '../support/harness.ts';

const dir = tempDir('ag-crash-');
afterAll(() => dir.cleanup());
const RUNS = 20;
const STEPS = 60;

test('runs survive repeated SIGKILL of the runner process', async () => {
  const db = join(dir.path, 'gateway.sqlite3');
  const worker = join(import.meta.dir, '../support/crash-worker.ts');
  const spawn = () => Bun.spawn([process.execPath, worker, db, String(RUNS), String(STEPS)], { stdout: 'inherit', stderr: 'inherit' });
  let kills = 0;
  for (let round = 0; round < 6; round++) {
    const p = spawn();
    await Bun.sleep(60 + Math.floor(Math.random() * 200));
    if (p.exitCode === null) {
      p.kill('SIGKILL');
      kills++;
    }
    await p.exited;
  }
  const last = spawn();
  expect(await last.exited).toBe(0);
  expect(kills).toBeGreaterThan(0);

  const store = SqliteStore.open(db);
  try {
    const runs = store.db.query('SELECT run_id, status, run_json FROM runs').all() as { run_id: string; status: string; run_json: string }[];
    expect(runs.length).toBe(RUNS);
    const expectedSum = Array.from({ length: STEPS }, (_, i) => i * 2).reduce((a, b) => a + b, 0);
    for (const r of runs) {
      expect(r.status).toBe('completed');
      expect(JSON.parse(r.run_json).output).toEqual({ sum: expectedSum, i: STEPS });
      const recs = await store.ledger.listAfter(r.run_id, 0, 100_000);
      // Each effect completes exactly once (a kill may leave an extra `started` attempt, never a second completion).
      const completedKeys = recs.filter((x) => x.status === 'completed' && x.idempotency_key).map((x) => x.idempotency_key);
      expect(new Set(completedKeys).size).toBe(completedKeys.length);
      expect(recs.filter((x) => x.effect?.type === 'work' && x.status === 'completed').length).toBe(STEPS);
      expect(recs.filter((x) => x.effect?.type === 'answer_user' && x.status === 'completed').length).toBe(STEPS / 5);
      expect(recs.at(-1)!.idempotency_key).toBe('system:terminal_status:completed');
      expect((await store.ledger.verify(r.run_id)).ok).toBe(true);
    }
  } finally {
    await store.close();
  }
}, 60_000);
