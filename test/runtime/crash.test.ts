// kill -9 at random moments, on both backends: after restart every run completes, nothing acknowledged is lost,
// no ledger record is duplicated, and every hash chain verifies.
import { afterAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.ts';
import { tempDir } from '../support/harness.ts';
import { forEachBackend } from '../support/backends.ts';
import { freshDatabase } from '../support/pg.ts';

const dir = tempDir('ag-crash-');
afterAll(() => dir.cleanup());
const RUNS = 20;
const STEPS = 60;

forEachBackend((backend) => {
  test('runs survive repeated SIGKILL of the runner process', async () => {
    const pgdb = backend === 'postgres' ? await freshDatabase('crash') : null;
    const target = pgdb ? pgdb.url : join(dir.path, 'gateway.sqlite3');
    const worker = join(import.meta.dir, '../support/crash-worker.ts');
    const spawn = () => Bun.spawn([process.execPath, worker, target, String(RUNS), String(STEPS)], { stdout: 'inherit', stderr: 'inherit' });
    let kills = 0;
    for (let round = 0; round < (pgdb ? 4 : 6); round++) {
      const p = spawn();
      await Bun.sleep((pgdb ? 300 : 60) + Math.floor(Math.random() * 200));
      if (p.exitCode === null) {
        p.kill('SIGKILL');
        kills++;
      }
      await p.exited;
    }
    const last = spawn();
    expect(await last.exited).toBe(0);
    expect(kills).toBeGreaterThan(0);

    const store = await openStore(pgdb ? { backend: 'postgres', databaseUrl: pgdb.url, poolMax: 2 } : { dbPath: target });
    try {
      const runs = (await store.runs.list({ limit: 1000 })).items;
      expect(runs.length).toBe(RUNS);
      const expectedSum = Array.from({ length: STEPS }, (_, i) => i * 2).reduce((a, b) => a + b, 0);
      for (const r of runs) {
        expect(r.status).toBe('completed');
        expect((await store.runs.get(r.run_id))!.output).toEqual({ sum: expectedSum, i: STEPS });
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
      await pgdb?.drop();
    }
  }, 90_000);
});
