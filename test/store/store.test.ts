import { afterEach, describe, expect, test } from 'bun:test';
import { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/index.ts';
import { SCHEMA_VERSION } from '../../src/store/schema.ts';
import { FIND_COMPLETED_SQL } from '../../src/store/ledger.ts';
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

describe('commands', () => {
  test('append is idempotent on command_id and seqs are global and increasing', async () => {
    const { store } = openTemp();
    expect(await store.commands.append({ command_id: 'c1', run_id: 'r', type: 'pause' })).toEqual({ accepted: true, duplicate: false, seq: 1 });
    expect((await store.commands.append({ command_id: 'c2', run_id: 'r2', type: 'cancel' })).seq).toBe(2);
    expect(await store.commands.append({ command_id: 'c1', run_id: 'other', type: 'cancel', payload: { x: 1 } })).toEqual({ accepted: false, duplicate: true, seq: 1 });
    expect((await store.commands.listAfter(0, 10)).map((c) => c.command_id)).toEqual(['c1', 'c2']);
    expect((await store.commands.listPending(10)).map((c) => c.command_id)).toEqual(['c1', 'c2']);
    expect(await store.commands.get('c1')).toMatchObject({ run_id: 'r', type: 'pause', status: 'pending', reason: null });
    await store.commands.setOutcome(1, 'rejected', 'Run not found');
    expect(await store.commands.get('c1')).toMatchObject({ status: 'rejected', reason: 'Run not found' });
    expect((await store.commands.listPending(10)).map((c) => c.command_id)).toEqual(['c2']);
    await expect(store.commands.append({ run_id: ' ', type: 'pause' })).rejects.toThrow(/run_id/);
    const gen = await store.commands.append({ command_id: '', run_id: 'r', type: 'pause' });
    expect(gen.accepted).toBe(true);
    expect((await store.commands.listAfter(2, 10))[0]!.command_id).toMatch(/^[0-9a-f]{32}$/);
    expect(await store.commands.lastSeq()).toBe(gen.seq);
  });

  test('cursor round-trips and never moves backwards', async () => {
    const { store } = openTemp();
    expect(await store.commands.cursor()).toBe(0);
    await store.commands.saveCursor(7);
    expect(await store.commands.cursor()).toBe(7);
    await store.commands.saveCursor(3);
    expect(await store.commands.cursor()).toBe(7);
  });
});

describe('runs', () => {
  test('list is newest-updated first, hides internal runs, filters, and pages by cursor without gaps', async () => {
    const { store } = openTemp();
    await store.tx(async () => {
      for (let i = 0; i < 25; i++) {
        await store.runs.save(run(`r${String(i).padStart(2, '0')}`, { status: i % 2 ? 'waiting' : 'running', updated_at: `2026-01-01T00:00:${String(i).padStart(2, '0')}.000000+00:00` }));
      }
      await store.runs.save(run('session_memory_x', { workflow_id: '__session_memory__', status: 'completed' }));
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { run_id: string }[]; next_cursor: string | null } = await store.runs.list({ limit: 10, cursor });
      seen.push(...page.items.map((r) => r.run_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.length).toBe(25);
    expect(seen[0]).toBe('r24');
    expect(seen.at(-1)).toBe('r00');
    expect((await store.runs.list({ limit: 100, status: 'waiting' })).items.every((r) => r.status === 'waiting')).toBe(true);
    expect((await store.runs.list({ limit: 100, workflowId: '__session_memory__' })).items.length).toBe(1);
  });

  test('plan for the filtered list uses an index (no full scan)', () => {
    const { store } = openTemp();
    const plan = store.db
      .query(`EXPLAIN QUERY PLAN SELECT run_id FROM runs WHERE status = 'running' AND internal = 0 ORDER BY updated_at DESC, run_id DESC LIMIT 50`)
      .all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX idx_runs_status/);
  });
});

describe('ledger', () => {
  test('append/listAfter by cursor, count, metrics', async () => {
    const { store } = openTemp();
    const base = { step_id: 's', node_id: 'n', error: null, started_at: nowIso(), ended_at: null, actor_id: null, session_id: null, attempt: 1 };
    await store.tx(async () => {
      await store.ledger.append({ ...base, run_id: 'r', status: 'completed', effect: { type: 'llm_call', payload: {}, result_key: null }, result: { usage: { total_tokens: 12 } }, idempotency_key: 'k1' });
      await store.ledger.append({ ...base, run_id: 'r', status: 'completed', effect: { type: 'tool_calls', payload: { tool_calls: [{}, {}] }, result_key: null }, result: {}, idempotency_key: 'k2' });
      await store.ledger.append({ ...base, run_id: 'r', status: 'started', effect: { type: 'llm_call', payload: {}, result_key: null }, result: null, idempotency_key: 'k3' });
    });
    expect(await store.ledger.count('r')).toBe(3);
    expect((await store.ledger.listAfter('r', 1, 10)).map((x) => x.idempotency_key)).toEqual(['k2', 'k3']);
    expect(await store.ledger.listAfter('r', 3, 10)).toEqual([]);
    expect((await store.ledger.metricsMany(['r', 'none'])).get('r')).toEqual({ steps: 2, llm_calls: 1, tool_calls: 2, tokens_total: 12 });
    expect((await store.ledger.countMany(['r', 'none'])).get('none')).toBe(0);
    expect(await store.ledger.findCompleted('r', 'k3')).toBeNull();
    expect((await store.ledger.findCompleted('r', 'k1'))!.result).toEqual({ usage: { total_tokens: 12 } });
    const recs = await store.ledger.listAfter('r', 0, 10);
    expect(recs[0]!.prev_hash).toBeNull();
    expect(recs[1]!.prev_hash).toBe(recs[0]!.record_hash);
  });

  test('notifications fire only after commit, never for a rolled-back transaction', async () => {
    const { store } = openTemp();
    const heard: string[] = [];
    store.notifier.onLedger('r', () => heard.push('r'));
    const base = { run_id: 'r', step_id: 's', node_id: 'n', status: 'completed' as const, effect: null, result: null, error: null, started_at: nowIso(), ended_at: null, actor_id: null, session_id: null, attempt: 1, idempotency_key: null };
    await expect(store.tx(async () => { await store.ledger.append(base); throw new Error('rollback'); })).rejects.toThrow('rollback');
    expect(heard).toEqual([]);
    expect(await store.ledger.count('r')).toBe(0);
    await store.tx(async () => { await store.ledger.append(base); expect(heard).toEqual([]); });
    expect(heard).toEqual(['r']);
  });
});

describe('artifacts', () => {
  test('content-addressed blobs deduplicate across runs; ids are per run', async () => {
    const { store } = openTemp();
    const a = await store.artifacts.put(Buffer.from('hello'), { runId: 'r1', contentType: 'text/plain', tags: { k: 'v' } });
    const b = await store.artifacts.put(Buffer.from('hello'), { runId: 'r2' });
    expect(a.artifact_id).not.toBe(b.artifact_id);
    expect(a.blob_id).toBe(b.blob_id);
    expect(await (await store.artifacts.content(a.artifact_id))!.text()).toBe('hello');
    expect(await store.artifacts.content('missing')).toBeNull();
    expect((await store.artifacts.listByRun('r1', 10)).map((m) => m.tags)).toEqual([{ k: 'v' }]);
    await expect(store.artifacts.put(Buffer.from('x'), { artifactId: '../etc/passwd' })).rejects.toThrow(/Invalid artifact id/);
  });
});

describe('query plans', () => {
  test('effect de-duplication looks up the idempotency index, not a scan of the run', () => {
    const { store } = openTemp();
    const plan = store.db
      .query(`EXPLAIN QUERY PLAN ${FIND_COMPLETED_SQL}`)
      .all('a', 'k') as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toContain('idx_ledger_idem');
  });
});
