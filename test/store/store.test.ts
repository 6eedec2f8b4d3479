import { afterEach, describe, expect, test } from 'bun:test';
import { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/index.ts';
import { SCHEMA_VERSION } from '../../src/store/schema.ts';
import { FIND_COMPLETED_SQL } from '../../src/store/ledger.ts';
import { DUE_SQL, ENDED_CHILDREN_SQL, NEXT_DUE_SQL, RUNNABLE_SQL, waitingOnKeysSql } from '../../src/store/runs.ts';
import type { RunState } from '../../src/model/index.ts';
import { nowIso } from '../../src/util/time.ts';
import { tempDir } from '../support/harness.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0)) await c(); });

function openTemp(): { store: SqliteStore; path: string } {
  const dir = tempDir();
  const path = join(dir.path, 'gateway.sqlite3');
  const store = SqliteStore.open(path);
  cleanups.push(async () => { await store.close(); dir.cleanup(); });
  return { store, path };
}

function run(id: string, over: Partial<RunState> = {}): RunState {
  const now = nowIso();
  return {
    run_id: id, workflow_id: 'w', status: 'running', current_node: 'a', vars: {}, waiting: null, output: null,
    error: null, created_at: now, updated_at: now, actor_id: 'gateway', session_id: id, parent_run_id: null, ...over,
  };
}

describe('schema', () => {
  test('migrations apply once, WAL is on, and a newer schema is refused', async () => {
    const { store, path } = openTemp();
    expect((store.db.query('PRAGMA journal_mode').get() as any).journal_mode).toBe('wal');
    expect((store.db.query('PRAGMA user_version').get() as any).user_version).toBe(SCHEMA_VERSION);
    await store.close();
    const again = SqliteStore.open(path);
    expect(await again.runs.count()).toBe(0);
    expect(await again.schemaVersion()).toBe(SCHEMA_VERSION);
    await again.close();
    const raw = new Database(path);
    raw.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => SqliteStore.open(path)).toThrow(/newer than this gateway supports/);
  });
});

describe('durability', () => {
  test('acknowledged means on disk: synchronous=FULL by default (store and config), NORMAL on request', async () => {
    const { store } = openTemp();
    expect((store.db.query('PRAGMA synchronous').get() as any).synchronous).toBe(2); // FULL
    const { loadConfig } = await import('../../src/config.ts');
    expect(loadConfig({}, { dataDir: '/tmp/x' }).synchronous).toBe('FULL');
    expect(loadConfig({ ABSTRACTGATEWAY_SQLITE_SYNCHRONOUS: 'normal' }, { dataDir: '/tmp/x' }).synchronous).toBe('NORMAL');
    const dir = tempDir();
    const normal = SqliteStore.open(join(dir.path, 'n.sqlite3'), { synchronous: 'NORMAL' });
    expect((normal.db.query('PRAGMA synchronous').get() as any).synchronous).toBe(1);
    await normal.close();
    dir.cleanup();
  });
});

describe('runs', () => {
  test('plan for the filtered list uses an index (no full scan)', () => {
    const { store } = openTemp();
    const plan = store.db
      .query(`EXPLAIN QUERY PLAN SELECT run_id FROM runs WHERE status = 'running' AND internal = 0 ORDER BY updated_at DESC, run_id DESC LIMIT 50`)
      .all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX idx_runs_status/);
  });
});

describe('query plans', () => {
  test("the runner's and event delivery's queries read their partial indexes, never every run of a status", () => {
    const { store } = openTemp();
    const queries: [string, unknown[], string][] = [
      [DUE_SQL, ['2030', 10], 'idx_runs_due'], [NEXT_DUE_SQL, [], 'idx_runs_due'],
      [RUNNABLE_SQL, ['gateway', 10], 'idx_runs_runnable'], [ENDED_CHILDREN_SQL, [10], 'idx_runs_wait_key'],
      [waitingOnKeysSql(2), ['k1', 'k2', 10], 'idx_runs_wait_key'],
    ];
    for (const [sql, args, index] of queries) {
      const plan = (store.db.query(`EXPLAIN QUERY PLAN ${sql}`).all(...(args as [])) as { detail: string }[]).map((p) => p.detail).join(' | ');
      expect(plan).toContain(index);
      // A partial index walked in order is fine; sorting the few runs waiting on the given keys is too.
      expect(plan).not.toMatch(/idx_runs_status|SCAN (runs|p|c)(?! USING)/);
      if (sql !== waitingOnKeysSql(2)) expect(plan).not.toContain('TEMP B-TREE');
    }
  });

  test('effect de-duplication looks up the idempotency index, not a scan of the run', () => {
    const { store } = openTemp();
    const plan = store.db
      .query(`EXPLAIN QUERY PLAN ${FIND_COMPLETED_SQL}`)
      .all('a', 'k') as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toContain('idx_ledger_idem');
  });
});
