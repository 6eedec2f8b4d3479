// The store contract (src/store/api.ts), the same tests on both backends (test/support/backends.ts): command
// inbox idempotency and cursor, run listing and paging, the ledger's chain, counts, metrics and notifications,
// content-addressed artifacts. SQLite-only behaviour (schema pragmas, fsync mode, query plans) is in store.test.ts.
import { afterEach, describe, expect, test } from 'bun:test';
import type { RunState, WaitState } from '../../src/model/index.ts';
import type { Store } from '../../src/store/index.ts';
import { nowIso } from '../../src/util/time.ts';
import { forEachBackend, openStore } from '../support/backends.ts';

const opened: Store[] = [];
afterEach(async () => { for (const s of opened.splice(0)) await s.close(); });
async function fresh(): Promise<Store> {
  const s = await openStore();
  opened.push(s);
  return s;
}

function run(id: string, over: Partial<RunState> = {}): RunState {
  const now = nowIso();
  return {
    run_id: id, workflow_id: 'w', status: 'running', current_node: 'a', vars: {}, waiting: null, output: null,
    error: null, created_at: now, updated_at: now, actor_id: 'gateway', session_id: id, parent_run_id: null, ...over,
  };
}

forEachBackend(() => {
  describe('commands', () => {
    test('append is idempotent on command_id and seqs are global and increasing', async () => {
      const store = await fresh();
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
      const store = await fresh();
      expect(await store.commands.cursor()).toBe(0);
      await store.commands.saveCursor(7);
      expect(await store.commands.cursor()).toBe(7);
      await store.commands.saveCursor(3);
      expect(await store.commands.cursor()).toBe(7);
    });
  });

  describe('runs', () => {
    test("the runner's lists: due and next until waits, runnable runs, parents of ended children (paused ones left out)", async () => {
      const store = await fresh();
      const wait = (reason: WaitState['reason'], key: string | null, until: string | null): WaitState => ({
        reason, wait_key: key, until, resume_to_node: 'n', result_key: null, prompt: null, choices: null, allow_free_text: true, details: null,
      });
      const waiting = (id: string, w: WaitState, over: Partial<RunState> = {}) => run(id, { status: 'waiting', waiting: w, ...over });
      const paused = { vars: { _runtime: { control: { paused: true } } } };
      await store.tx(async () => {
        for (let i = 0; i < 5; i++) await store.runs.save(waiting(`user-${i}`, wait('user', `user:${i}`, null)));
        await store.runs.save(waiting('t-late', wait('until', null, '2026-03-01T00:00:00.000000+00:00')));
        await store.runs.save(waiting('t-early', wait('until', null, '2026-02-01T00:00:00.000000+00:00')));
        await store.runs.save(waiting('t-paused', wait('until', null, '2026-01-01T00:00:00.000000+00:00'), paused));
        await store.runs.save(run('go-2', { updated_at: '2026-01-02T00:00:00.000000+00:00' }));
        await store.runs.save(run('go-1', { updated_at: '2026-01-01T00:00:00.000000+00:00' }));
        await store.runs.save(run('go-paused', paused));
        await store.runs.save(run('kid-done', { status: 'completed' }));
        await store.runs.save(run('kid-busy'));
        await store.runs.save(waiting('p-done', wait('subworkflow', 'subworkflow:kid-done', null)));
        await store.runs.save(waiting('p-busy', wait('subworkflow', 'subworkflow:kid-busy', null)));
        await store.runs.save(waiting('p-paused', wait('subworkflow', 'subworkflow:kid-done', null), paused));
      });
      expect(await store.runs.nextDueUntil()).toBe('2026-02-01T00:00:00.000000+00:00');
      expect(await store.runs.listDueUntil('2026-02-15T00:00:00.000000+00:00', 10)).toEqual(['t-early']);
      expect(await store.runs.listDueUntil('2026-04-01T00:00:00.000000+00:00', 10)).toEqual(['t-early', 't-late']);
      expect((await store.runs.listRunnable(10, 'gateway')).filter((id) => id.startsWith('go-'))).toEqual(['go-1', 'go-2']);
      expect((await store.runs.listParentsOfEndedChildren(10)).map((r) => r.run_id)).toEqual(['p-done']);
    });

    test('status reads the column a save wrote, null for an unknown run', async () => {
      const store = await fresh();
      expect(await store.runs.status('nope')).toBeNull();
      await store.tx(() => store.runs.save(run('s1', { status: 'waiting' })));
      expect(await store.runs.status('s1')).toBe('waiting');
      await store.tx(() => store.runs.save(run('s1', { status: 'completed' })));
      expect(await store.runs.status('s1')).toBe('completed');
    });

    test('list is newest-updated first, hides internal runs, filters, and pages by cursor without gaps', async () => {
      const store = await fresh();
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

  });

  describe('ledger', () => {
    test('append/listAfter by cursor, count, metrics', async () => {
      const store = await fresh();
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
      const store = await fresh();
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
      const store = await fresh();
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
});
