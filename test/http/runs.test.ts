import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, type TestGateway } from './support.ts';

let gw: TestGateway;
beforeAll(async () => { gw = await startGateway(); });
afterAll(() => gw.close());

const start = (body: unknown) => gw.post('/api/gateway/runs/start', body);

describe('POST /runs/start', () => {
  test('starts a bundle entrypoint: running at the entry node, session defaults to the run id', async () => {
    const r = await start({ bundle_id: 'ask', input_data: { prompt: 'Hello' } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ run_id: expect.any(String) });
    const run = (await gw.store.runs.get(r.body.run_id))!;
    expect(run.workflow_id).toBe('ask@0.0.1:root');
    expect(run.status).toBe('running');
    expect(run.actor_id).toBe('gateway');
    expect(run.session_id).toBe(run.run_id);
    expect(run.vars.prompt).toBe('Hello');
    // a private workspace under the data dir (the directory is created on first use by file nodes and tools)
    expect(run.vars.workspace_root.startsWith(join(gw.dataDir, 'workspaces'))).toBe(true);
  });

  test('flow_id as namespaced bundle:flow resolves too', async () => {
    const r = await start({ flow_id: 'quick@0.0.1:root' });
    expect(r.status).toBe(200);
    expect((await gw.store.runs.get(r.body.run_id))!.workflow_id).toBe('quick@0.0.1:root');
  });

  test('neither flow_id nor bundle_id → 400 with the spec message', async () => {
    const r = await start({ input_data: {} });
    expect(r.status).toBe(400);
    expect(r.body.detail).toBe('flow_id is required (or provide bundle_id to start a bundle entrypoint)');
  });

  test('multiple bundles loaded and a bare flow_id → 400 prefixed "Failed to start run: "', async () => {
    const r = await start({ flow_id: 'root' });
    expect(r.status).toBe(400);
    expect(r.body.detail).toStartWith('Failed to start run: ');
  });

  test('a contradictory reference → 400 "Failed to start run: <reason>" with code bad_request', async () => {
    const r = await start({ bundle_id: 'quick@0.0.1', bundle_version: '9.9.9' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      detail: "Failed to start run: bundle_version conflicts with bundle_id (bundle_id already includes '@version')",
      code: 'bad_request',
    });
  });

  test('unknown bundle → 404; unknown flow → 404', async () => {
    expect((await start({ bundle_id: 'nope' })).status).toBe(404);
    const r = await start({ bundle_id: 'ask', flow_id: 'missing' });
    expect(r.status).toBe(404);
    expect(r.body.detail).toContain("Flow 'missing' not found");
  });

  test('input_data must be an object: 422 naming the field', async () => {
    const r = await start({ bundle_id: 'ask', input_data: [1, 2] });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('validation_error');
    expect(r.body.detail).toContain('input_data');
  });

  test('deprecated entrypoint → 409, undeprecate → startable again', async () => {
    const d = await gw.post('/api/gateway/bundles/quick/deprecate', { flow_id: 'root', reason: 'retired' });
    expect(d.status).toBe(200);
    const r = await start({ bundle_id: 'quick' });
    expect(r.status).toBe(409);
    expect(r.body.detail).toBe("Workflow 'quick:root' is deprecated: retired");
    expect((await gw.post('/api/gateway/bundles/quick/undeprecate', { flow_id: 'root' })).body.removed).toBe(true);
    expect((await start({ bundle_id: 'quick' })).status).toBe(200);
  });

  test('session_id creates the hidden session-memory owner run once', async () => {
    const a = await start({ bundle_id: 'quick', session_id: 'chat-1' });
    const b = await start({ bundle_id: 'quick', session_id: 'chat-1' });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const owner = (await gw.store.runs.get('session_memory_chat-1'))!;
    expect(owner.workflow_id).toBe('__session_memory__');
    expect(owner.status).toBe('completed');
    expect(owner.actor_id).toBeNull();
    expect((await gw.store.runs.get(a.body.run_id))!.session_id).toBe('chat-1');
    const list = await gw.json('/api/gateway/runs?session_id=chat-1');
    expect(list.body.items.map((i: any) => i.run_id).sort()).toEqual([a.body.run_id, b.body.run_id].sort());
    // odd characters → hashed owner id
    await start({ bundle_id: 'quick', session_id: 'a b/c' });
    const hashed = await gw.json('/api/gateway/runs?workflow_id=__session_memory__&limit=500');
    expect(hashed.body.items.some((i: any) => /^session_memory_sha_[0-9a-f]{32}$/.test(i.run_id))).toBe(true);
  });

  test('workspace policy: outside roots dropped, camelCase normalised, all_except_ignored downgraded', async () => {
    const inside = join(gw.dataDir, 'workspaces', 'mine');
    const r1 = await start({ bundle_id: 'quick', input_data: { workspaceRoot: inside, workspace_access_mode: 'all_except_ignored' } });
    const v1 = (await gw.store.runs.get(r1.body.run_id))!.vars;
    expect(v1.workspace_root).toBe(inside);
    expect(v1.workspaceRoot).toBeUndefined();
    expect(v1.workspace_access_mode).toBe('workspace_only');
    const r2 = await start({ bundle_id: 'quick', input_data: { workspace_root: '/etc', workspace_allowed_paths: ['/etc', join(gw.dataDir, 'workspaces', 'x')] } });
    const v2 = (await gw.store.runs.get(r2.body.run_id))!.vars;
    expect(v2.workspace_root).not.toBe('/etc');
    expect(v2.workspace_root.startsWith(join(gw.dataDir, 'workspaces'))).toBe(true);
    expect(v2.workspace_allowed_paths).toEqual([join(gw.dataDir, 'workspaces', 'x')]);
  });
});

describe('GET /runs/{id}', () => {
  test('unknown run → 404 "Run \'x\' not found"', async () => {
    const r = await gw.json('/api/gateway/runs/nope');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ detail: "Run 'nope' not found", code: 'run_not_found' });
  });

  test('summary: no vars, paused fields, waiting without resume_to_node/result_key, limits', async () => {
    const run = await gw.seedRun({
      status: 'waiting',
      current_node: 'node-2',
      vars: {
        secret: 'do not leak',
        _runtime: { control: { paused: true, paused_at: '2026-01-01T00:00:00.000000+00:00', pause_reason: 'operator' } },
        _limits: { max_tokens: 32768, max_input_tokens: 28000, estimated_tokens_used: 7000, warn_tokens_pct: 80 },
      },
      waiting: {
        reason: 'user', wait_key: 'user:x:node-2', until: null, resume_to_node: 'node-3', result_key: '_temp.x',
        prompt: 'who are you ?', choices: [], allow_free_text: true, details: null,
      },
    });
    const r = await gw.json(`/api/gateway/runs/${run.run_id}`);
    expect(r.status).toBe(200);
    expect(r.body.vars).toBeUndefined();
    expect(JSON.stringify(r.body)).not.toContain('do not leak');
    expect(r.body.paused).toBe(true);
    expect(r.body.pause_reason).toBe('operator');
    expect(r.body.waiting).toEqual({ reason: 'user', wait_key: 'user:x:node-2', until: null, prompt: 'who are you ?',
      choices: [], allow_free_text: true, details: null });
    expect(r.body.limits.tokens).toEqual({ estimated_used: 7000, max_tokens: 32768, max_input_tokens: 28000, pct: 0.25, warn_tokens_pct: 80 });
    expect(r.body.is_scheduled).toBe(false);
    expect(r.body.flow_warnings).toBeNull();
  });

  test('output (extension): a completed run shows what it returned; other runs show null', async () => {
    const done = await gw.seedRun({ status: 'completed', output: { answer: 'I am Albou' } });
    expect((await gw.json(`/api/gateway/runs/${done.run_id}`)).body.output).toEqual({ answer: 'I am Albou' });
    const running = await gw.seedRun({ status: 'running', output: null });
    expect((await gw.json(`/api/gateway/runs/${running.run_id}`)).body.output).toBeNull();
  });

  test('flow warnings recorded by the engine are surfaced', async () => {
    const run = await gw.seedRun({ vars: { _flow_warnings: ['tool call without call_id'] } });
    expect((await gw.json(`/api/gateway/runs/${run.run_id}`)).body.flow_warnings).toEqual(['tool call without call_id']);
  });

  test('scheduled parent exposes schedule metadata in summary and list', async () => {
    const run = await gw.seedRun({
      workflow_id: 'scheduled:1234', status: 'waiting',
      vars: { _meta: { schedule: { kind: 'scheduled_run', interval: '15m', target_workflow_id: 'quick@0.0.1:root', start_at: 'now', extra: 'x' } } },
      waiting: { reason: 'until', wait_key: null, until: '2030-01-01T00:00:00.000000+00:00', resume_to_node: 'x', result_key: null,
        prompt: null, choices: null, allow_free_text: true, details: null },
    });
    const s = await gw.json(`/api/gateway/runs/${run.run_id}`);
    expect(s.body.is_scheduled).toBe(true);
    expect(s.body.schedule.interval).toBe('15m');
    expect(s.body.schedule.extra).toBeUndefined();
    const l = await gw.json('/api/gateway/runs?workflow_id=scheduled:1234');
    expect(l.body.items[0].schedule.target_workflow_id).toBe('quick@0.0.1:root');
    expect(l.body.items[0].waiting).toEqual({ reason: 'until', until: '2030-01-01T00:00:00.000000+00:00' });
  });
});

describe('GET /runs', () => {
  test('newest-updated first, internal runs hidden, ledger_len by default, metrics on request', async () => {
    const old = await gw.seedRun({ updated_at: '2020-01-01T00:00:00.000000+00:00' }, [{}, {}]);
    const internal = await gw.seedRun({ workflow_id: '__global_memory__', updated_at: '2099-01-01T00:00:00.000000+00:00' });
    const fresh = await gw.seedRun({}, [
      { effect: { type: 'llm_call', payload: {}, result_key: null }, result: { usage: { total_tokens: 12 } } },
      { effect: { type: 'tool_calls', payload: { tool_calls: [{}, {}] }, result_key: null } },
    ]);
    const r = await gw.json('/api/gateway/runs?limit=500');
    const ids = r.body.items.map((i: any) => i.run_id);
    expect(ids).not.toContain(internal.run_id);
    expect(ids.indexOf(fresh.run_id)).toBeLessThan(ids.indexOf(old.run_id));
    const item = r.body.items.find((i: any) => i.run_id === old.run_id);
    expect(item.ledger_len).toBe(2);
    expect(item.current_node).toBeNull();
    expect(item.steps).toBeUndefined();
    const m = await gw.json('/api/gateway/runs?limit=500&include_metrics=true&include_ledger_len=false');
    const fm = m.body.items.find((i: any) => i.run_id === fresh.run_id);
    expect(fm).toMatchObject({ llm_calls: 1, tool_calls: 2, tokens_total: 12, steps: 2 });
    expect(fm.ledger_len).toBeUndefined();
  });

  test('filters: status (case-insensitive), root_only', async () => {
    const parent = await gw.seedRun({ status: 'failed', error: 'boom' });
    const child = await gw.seedRun({ status: 'failed', parent_run_id: parent.run_id });
    const r = await gw.json('/api/gateway/runs?status=FAILED&limit=500');
    expect(r.body.items.every((i: any) => i.status === 'failed')).toBe(true);
    expect(r.body.items.map((i: any) => i.run_id)).toContain(child.run_id);
    const roots = await gw.json('/api/gateway/runs?status=failed&root_only=yes&limit=500');
    expect(roots.body.items.map((i: any) => i.run_id)).toEqual([parent.run_id]);
  });

  test('bad parameters: status → 400, limit out of range → 422, bad boolean → 422, bad cursor → 400', async () => {
    const s = await gw.json('/api/gateway/runs?status=paused');
    expect(s.status).toBe(400);
    expect(s.body.detail).toBe('Invalid status (expected: running|waiting|completed|failed|cancelled)');
    const l = await gw.json('/api/gateway/runs?limit=501');
    expect(l.status).toBe(422);
    expect(l.body.detail).toContain("'limit'");
    const b = await gw.json('/api/gateway/runs?root_only=maybe');
    expect(b.status).toBe(422);
    expect(b.body.detail).toContain("'root_only'");
    expect((await gw.json('/api/gateway/runs?cursor=garbage')).status).toBe(400);
  });

  test('cursor pagination walks every run exactly once', async () => {
    for (let i = 0; i < 7; i++) await gw.seedRun({ workflow_id: 'page@0.0.1:root' });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/api/gateway/runs?workflow_id=page@0.0.1:root&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const r = await gw.json(q);
      expect(r.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...r.body.items.map((i: any) => i.run_id));
      cursor = r.body.next_cursor;
    } while (cursor);
    expect(seen.length).toBe(7);
    expect(new Set(seen).size).toBe(7);
  });
});

describe('GET /runs/{id}/history_bundle', () => {
  test('run tree with tail ledgers, cursors and a timeline; full mode; validation', async () => {
    const root = await gw.seedRun({ vars: { prompt: 'hi', _limits: {} }, session_id: 'hist-1' }, [{ node_id: 'a' }, { node_id: 'b' }, { node_id: 'c' }]);
    const child = await gw.seedRun({ parent_run_id: root.run_id, session_id: 'hist-1' }, [{ node_id: 'x' }]);
    const grandchild = await gw.seedRun({ parent_run_id: child.run_id }, []);
    const r = await gw.json(`/api/gateway/runs/${root.run_id}/history_bundle?ledger_max_items=2&include_session=true`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ version: 1, root_run_id: root.run_id, input_data: { prompt: 'hi' }, workflow_snapshot: null });
    expect(r.body.run.run_id).toBe(root.run_id);
    expect(Object.keys(r.body.ledgers).sort()).toEqual([root.run_id, child.run_id, grandchild.run_id].sort());
    const rl = r.body.ledgers[root.run_id];
    expect(rl).toMatchObject({ total: 3, cursor_start: 1, cursor_end: 3 });
    expect(rl.items.map((i: any) => [i.cursor, i.record.node_id])).toEqual([[2, 'b'], [3, 'c']]);
    expect(r.body.ledgers[grandchild.run_id]).toEqual({ run_id: grandchild.run_id, total: 0, cursor_start: 0, cursor_end: 0, items: [] });
    expect(r.body.timeline.length).toBe(3);
    expect(r.body.session.session_id).toBe('hist-1');
    expect(r.body.session.turns.map((t: any) => t.run_id)).toEqual([root.run_id]);

    const full = await gw.json(`/api/gateway/runs/${root.run_id}/history_bundle?ledger_mode=full&ledger_max_items=1&include_subruns=false`);
    expect(Object.keys(full.body.ledgers)).toEqual([root.run_id]);
    expect(full.body.ledgers[root.run_id].items.length).toBe(3);
    expect(full.body.session).toBeNull();

    expect((await gw.json(`/api/gateway/runs/${root.run_id}/history_bundle?ledger_mode=head`)).status).toBe(400);
    expect((await gw.json(`/api/gateway/runs/${root.run_id}/history_bundle?ledger_max_items=20001`)).status).toBe(422);
    expect((await gw.json('/api/gateway/runs/ghost/history_bundle')).status).toBe(404);
  });
});

describe('GET /runs/{id}/input_data', () => {
  test('bundle run: inputs filtered to the start pins', async () => {
    const r = await start({ bundle_id: 'ask', input_data: { prompt: 'Hi', other: 1 } });
    const d = await gw.json(`/api/gateway/runs/${r.body.run_id}/input_data`);
    expect(d.status).toBe(200);
    expect(d.body).toMatchObject({ bundle_id: 'ask', bundle_version: '0.0.1', flow_id: 'root', pin_ids: ['prompt'], input_data: { prompt: 'Hi' } });
  });

  test('fallback: non-underscore vars, raw workflow prefix; unknown run → 404', async () => {
    const run = await gw.seedRun({ workflow_id: 'gone@1.0.0:root', vars: { a: 1, _limits: {} } });
    const d = await gw.json(`/api/gateway/runs/${run.run_id}/input_data`);
    expect(d.body).toMatchObject({ bundle_id: 'gone@1.0.0', flow_id: 'root', pin_ids: [], input_data: { a: 1 } });
    expect((await gw.json('/api/gateway/runs/nope/input_data')).status).toBe(404);
  });
});
