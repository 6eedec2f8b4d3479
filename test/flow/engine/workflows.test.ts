// FlowWorkflows: the WorkflowSource joining a VisualFlow JSON source, built-in workflows and the compile cache.
import { FlowCompileError } from '../../../src/model/index.ts';
import { describe, expect, test } from 'bun:test';
import { FlowWorkflows, listenerWorkflowId, parseListenerId } from '../../../src/flow/workflows.ts';
import type { Workflow } from '../../../src/runtime/types.ts';
import type { Vars } from '../../../src/model/index.ts';
import { end, flow, n, setVar, start } from './helpers.ts';

const app = flow(
  'b@1:app',
  [
    start('s'),
    end('e'),
    n('ev', 'on_event', { out: ['exec-out', 'payload'], eventConfig: { name: 'ping' } }),
    setVar('got', 'got'),
    n('tick', 'on_schedule', { in: ['schedule'], out: ['exec-out'], pinDefaults: { schedule: '5m' } }),
  ],
  ['s.exec-out>e.exec-in', 'ev.exec-out>got.exec-in', 'ev.payload>got.value', 'tick.exec-out>got.exec-in'],
);

function source(docs: Vars[]) {
  const calls: string[] = [];
  const byId = new Map(docs.map((d) => [d.id as string, d]));
  return { calls, getWorkflow: (id: string) => (calls.push(id), byId.get(id)) };
}

describe('FlowWorkflows', () => {
  test('compiles once, caches, and lists derived listener workflows of unreachable triggers', async () => {
    const src = source([app]);
    const flows = new FlowWorkflows({ source: src });
    const wf = await flows.get('b@1:app');
    expect(wf!.entry_node).toBe('s');
    expect(wf!.listeners!()).toEqual(['visual_event_listener:b@1:app:ev', 'visual_schedule_listener:b@1:app:tick']);
    expect(await flows.get('b@1:app')).toBe(wf);
    const listener = await flows.get('visual_event_listener:b@1:app:ev');
    expect(listener).toMatchObject({ workflow_id: 'visual_event_listener:b@1:app:ev', entry_node: 'ev' });
    expect(src.calls).toEqual(['b@1:app']);
  });

  test('a fresh instance (another process) resolves a listener id from the flow source alone', async () => {
    const flows = new FlowWorkflows({ source: source([app]) });
    const wf = await flows.get('visual_schedule_listener:b@1:app:tick');
    expect(wf).toMatchObject({ entry_node: 'tick' });
    expect(wf!.listeners!()).toEqual([]);
  });

  test('listener documents served by the source itself (registry-style ids) compile with their entryNode', async () => {
    const pyId = 'visual_event_listener_b_1_app_ev';
    const flows = new FlowWorkflows({ source: source([{ ...app, id: pyId, entryNode: 'ev' }]) });
    expect(await flows.get(pyId)).toMatchObject({ workflow_id: pyId, entry_node: 'ev' });
  });

  test('unknown ids resolve to undefined; built-ins win; compile errors surface as FlowCompileError', async () => {
    const builtin: Workflow = { workflow_id: 'agent', entry_node: 'x', step: () => ({ node_id: 'x', complete_output: {} }) };
    const bad = flow('bad', [start('s'), n('w', 'nope', { in: ['exec-in'] })], ['s.exec-out>w.exec-in']);
    const flows = new FlowWorkflows({ source: source([bad]), builtins: [builtin] });
    expect(await flows.get('missing')).toBeUndefined();
    expect(await flows.get('visual_event_listener:missing:x')).toBeUndefined();
    expect(await flows.get('agent')).toBe(builtin);
    const err = await Promise.resolve(flows.get('bad')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FlowCompileError);
    expect((err as Error).message).toBe("Flow 'bad' cannot be compiled: node 'w' has unknown type 'nope'");
  });

  test('clear() forgets compiled flows', async () => {
    const src = source([app]);
    const flows = new FlowWorkflows({ source: src });
    await flows.get('b@1:app');
    flows.clear();
    await flows.get('b@1:app');
    expect(src.calls).toEqual(['b@1:app', 'b@1:app']);
  });

  test('listener ids round-trip, including namespaced flow ids', () => {
    const id = listenerWorkflowId('bundle@0.0.1:flow', 'on_event', 'node-9');
    expect(id).toBe('visual_event_listener:bundle@0.0.1:flow:node-9');
    expect(parseListenerId(id)).toEqual({ flowId: 'bundle@0.0.1:flow', nodeId: 'node-9' });
    expect(parseListenerId('visual_event_listener:nonode')).toBeNull();
    expect(parseListenerId('plain-flow')).toBeNull();
  });

  test('a code node whose Python does not compile fails compilation of the flow', async () => {
    const bad = flow('imp', [start('s'), n('c', 'code', { in: ['exec-in'], out: ['exec-out'], code: 'def transform(_input):\n    return (1' })], ['s.exec-out>c.exec-in']);
    const flows = new FlowWorkflows({ source: source([bad]) });
    await expect(flows.get('imp')).rejects.toThrow("Flow 'imp' cannot be compiled: code node 'c':");
  });
});

