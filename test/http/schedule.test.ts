import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startGateway, waitFor, type TestGateway } from './support.ts';

let gw: TestGateway;
beforeAll(async () => { gw = await startGateway({ runner: true }); });
afterAll(() => gw.close());

const schedule = (body: unknown) => gw.post('/api/gateway/runs/schedule', body);
const summary = async (id: string) => (await gw.json(`/api/gateway/runs/${id}`)).body;

describe('POST /runs/schedule', () => {
  test('repeat_count 2 every 0.1 s: two children in the parent session, then the parent completes', async () => {
    const r = await schedule({ bundle_id: 'quick', flow_id: 'root', start_at: 'now', interval: '0.1s', repeat_count: 2, input_data: { prompt: 'p' } });
    expect(r.status).toBe(200);
    const parent: string = r.body.run_id;
    const s = await summary(parent);
    expect(s.workflow_id).toStartWith('scheduled:');
    expect(s.is_scheduled).toBe(true);
    expect(s.schedule).toMatchObject({ kind: 'scheduled_run', interval: '0.1s', repeat_count: 2, target_workflow_id: 'quick@0.0.1:root',
      target_bundle_ref: 'quick@0.0.1', target_flow_id: 'root', share_context: true });
    await waitFor(() => summary(parent), (x) => x.status === 'completed', 5000);
    const kids = (await gw.json(`/api/gateway/runs?session_id=${parent}&limit=50`)).body.items.filter((i: any) => i.parent_run_id === parent);
    expect(kids.length).toBe(2);
    expect(kids.every((k: any) => k.session_id === parent && k.workflow_id === 'quick@0.0.1:root')).toBe(true);
  });

  test('share_context=false gives each execution its own session', async () => {
    const r = await schedule({ bundle_id: 'quick', flow_id: 'root', interval: '0.1s', repeat_count: 2, share_context: false });
    const parent: string = r.body.run_id;
    await waitFor(() => summary(parent), (x) => x.status === 'completed', 5000);
    const kids = await gw.store.runs.children(parent);
    expect(kids.length).toBe(2);
    const sessions = new Set(kids.map((k) => k.session_id));
    expect(sessions.size).toBe(2);
    expect(sessions.has(parent)).toBe(false);
  });

  test('the wrapper workflow is served by GET /workflows/{id}/flow', async () => {
    const r = await schedule({ bundle_id: 'quick', flow_id: 'root', start_at: '2099-01-01T00:00:00Z' });
    const s = await summary(r.body.run_id);
    const f = await gw.json(`/api/gateway/workflows/${s.workflow_id}/flow`);
    expect(f.status).toBe(200);
    expect(f.body.workflow_id).toBe(s.workflow_id);
    expect(f.body.source).toBe('dynamic');
    expect(f.body.flow.id).toBe(s.workflow_id);
    expect(f.body.flow.nodes.length).toBeGreaterThan(0);
    expect(f.body.flow.edges.length).toBeGreaterThan(0);
    await gw.post('/api/gateway/commands', { command_id: `stop-${r.body.run_id}`, run_id: r.body.run_id, type: 'cancel' });
  });

  test('validation: messages per spec (400), missing field 422, unknown target 404, deprecated 409', async () => {
    const cases: [unknown, string][] = [
      [{ bundle_id: 'quick', flow_id: 'root', repeat_count: 0 }, 'repeat_count must be >= 1'],
      [{ bundle_id: 'quick', flow_id: 'root', repeat_count: 2 }, 'repeat_count > 1 requires interval'],
      [{ bundle_id: 'quick', flow_id: 'root', interval: '1h', repeat_count: 2, repeat_until: '2099-01-01T00:00:00Z' }, 'repeat_until cannot be combined with repeat_count'],
      [{ bundle_id: 'quick', flow_id: 'root', repeat_until: '2099-01-01T00:00:00Z' }, 'repeat_until requires interval'],
      [{ bundle_id: ' ', flow_id: 'root' }, 'bundle_id and flow_id are required'],
      [{ bundle_id: 'quick', flow_id: 'ask:root' }, 'flow_id bundle prefix does not match bundle_id'],
    ];
    for (const [body, detail] of cases) {
      const r = await schedule(body);
      expect(r.status).toBe(400);
      expect(r.body.detail).toBe(detail);
    }
    const missing = await schedule({ bundle_id: 'quick' });
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toContain("'flow_id'");
    const unknown = await schedule({ bundle_id: 'quick', flow_id: 'nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toStartWith("Target workflow 'quick:nope' not found");
    await gw.post('/api/gateway/bundles/quick/deprecate', { reason: 'old' });
    const dep = await schedule({ bundle_id: 'quick', flow_id: 'root' });
    expect(dep.status).toBe(409);
    await gw.post('/api/gateway/bundles/quick/undeprecate', {});
  });
});
