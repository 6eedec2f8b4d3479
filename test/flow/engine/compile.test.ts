import { describe, expect, test } from 'bun:test';
import { compileVisualFlow } from '../../../src/flow/engine/compile.ts';
import { FlowCompileError } from '../../../src/model/index.ts';
import { end, flow, lit, n, start } from './helpers.ts';

const compileError = (doc: unknown): string => {
  try {
    compileVisualFlow(doc);
  } catch (err) {
    expect(err).toBeInstanceOf(FlowCompileError);
    return (err as Error).message;
  }
  throw new Error('expected a compile error');
};

describe('compile errors name the node and the problem', () => {
  test.each([
    ['not an object', 42, "the VisualFlow document must be a JSON object"],
    ['no id', { nodes: [] }, "the VisualFlow document has no 'id'"],
    ['nodes not a list', { id: 'x', nodes: {} }, "'nodes' must be a list"],
    ['no exec node', flow('x', [lit('a', 1)], []), 'Flow must have an entry node'],
    ['duplicate node id', flow('x', [start('s'), start('s')], []), "duplicate node id 's'"],
  ])('%s', (_name, doc, message) => {
    expect(compileError(doc)).toContain(message);
  });

  test('unknown node types are rejected with node id and type', () => {
    const msg = compileError(flow('x', [start('s'), n('w', 'warp_drive', { in: ['exec-in'], out: ['exec-out'] })], ['s.exec-out>w.exec-in']));
    expect(msg).toBe("Flow 'x' cannot be compiled: node 'w' has unknown type 'warp_drive'");
  });

  test('unsupported reference types are rejected with the reason, also when only read as data', () => {
    expect(compileError(flow('x', [start('s'), n('m', 'memory_note', { in: ['exec-in'], out: ['exec-out'] })], ['s.exec-out>m.exec-in']))).toContain(
      "node 'm' has unsupported type 'memory_note': memory/knowledge-graph effects are not supported by this gateway",
    );
    expect(compileError(flow('x', [start('s'), n('pm', 'provider_models', { in: ['provider'], out: ['models'] }), end('e', ['m'])], ['s.exec-out>e.exec-in', 'pm.models>e.m']))).toContain("node 'pm' has unsupported type 'provider_models'");
  });

  test('unreachable nodes of unsupported types do not block compilation', () => {
    const c = compileVisualFlow(flow('x', [start('s'), end('e'), n('img', 'generate_image', { in: ['exec-in'], out: ['exec-out'] }), n('bogus', 'bogus_pure', { out: ['v'] })], ['s.exec-out>e.exec-in']));
    expect([...c.reachable].sort()).toEqual(['e', 's']);
  });

  test('LLM, agent and tool node types compile without a provider', () => {
    const c = compileVisualFlow(
      flow(
        'x',
        [start('s'), n('l', 'llm_call', { in: ['exec-in'], out: ['exec-out'] }), n('a', 'agent', { in: ['exec-in'], out: ['exec-out'] }), n('t', 'tool_calls', { in: ['exec-in'], out: ['exec-out'] }), n('c', 'call_tool', { in: ['exec-in'], out: ['exec-out'] })],
        ['s.exec-out>l.exec-in', 'l.exec-out>a.exec-in', 'a.exec-out>t.exec-in', 't.exec-out>c.exec-in'],
      ),
    );
    expect(c.reachable.size).toBe(5);
  });

  test('exec fan-out from a plain node is rejected', () => {
    expect(compileError(flow('x', [start('s'), end('a'), end('b')], ['s.exec-out>a.exec-in', 's.exec-out>b.exec-in']))).toContain(
      "node 's' (on_flow_start) has multiple outgoing exec edges (exec-out, exec-out): Branching is not yet supported",
    );
  });

  test('schedulers accept only their own handles', () => {
    const seq = n('q', 'sequence', { in: ['exec-in'], out: ['then:0'] });
    expect(compileError(flow('x', [start('s'), seq, end('a')], ['s.exec-out>q.exec-in', 'q.then:3>a.exec-in']))).toContain("node 'q' (sequence) has an exec edge from unknown handle 'then:3'");
    const loop = n('l', 'loop', { in: ['exec-in', 'items'], out: ['loop', 'done'] });
    expect(compileError(flow('x', [start('s'), loop, end('a')], ['s.exec-out>l.exec-in', 'l.exec-out>a.exec-in']))).toContain("node 'l' (loop) has an exec edge from unknown handle 'exec-out'");
  });

  test('a second data edge into the same input pin is rejected', () => {
    expect(compileError(flow('x', [start('s'), lit('a', 1), lit('b', 2), end('e', ['v'])], ['s.exec-out>e.exec-in', 'a.value>e.v', 'b.value>e.v']))).toContain(
      "input pin 'v' of node 'e' has more than one incoming data edge",
    );
  });

  test('stale entryRoutes are rejected', () => {
    const target = end('e', [], { entryRoutes: [{ key: 'k', sourceNodeId: 'ghost', sourceHandle: 'exec-out' }] });
    const doc = flow('x', [start('s'), n('if', 'if', { in: ['exec-in', 'condition'], out: ['true', 'false'] }), target], ['s.exec-out>if.exec-in', 'if.true>e.exec-in', 'if.false>e.exec-in']);
    expect(compileError(doc)).toContain("entryRoutes mismatch on node 'e'");
  });
});

describe('classification and entry', () => {
  test('a pure entryNode falls back to the first exec node without incoming exec edges', () => {
    const c = compileVisualFlow(flow('x', [lit('l', 1), end('e'), start('s')], ['s.exec-out>e.exec-in'], { entryNode: 'l' }));
    expect(c.entry).toBe('s');
  });

  test('nodes without pin metadata are classified by type; pins win over type', () => {
    const c = compileVisualFlow({
      id: 'x',
      nodes: [
        { id: 's', type: 'on_flow_start', data: {} },
        { id: 'g', type: 'get_var', data: {} },
        { id: 'add', type: 'add', data: {} },
        { id: 'am', type: 'add_message', data: { inputs: [{ id: 'exec-in', type: 'execution' }] } },
        { id: 'legacy', type: 'NodeType.ON_FLOW_END', data: {} },
      ],
      edges: [{ source: 's', sourceHandle: 'exec-out', target: 'am', targetHandle: 'exec-in' }, { source: 'am', sourceHandle: 'exec-out', target: 'legacy', targetHandle: 'exec-in' }],
    });
    expect([...c.pure].sort()).toEqual(['add', 'g']);
    expect([...c.reachable].sort()).toEqual(['am', 'legacy', 's']);
    expect(c.nodes.get('legacy')!.type).toBe('on_flow_end');
  });

  test('malformed edges are dropped, not fatal', () => {
    const c = compileVisualFlow({ id: 'x', nodes: [start('s'), end('e')], edges: [{ source: 's', target: 'e' }, { source: 's', sourceHandle: 'exec-out', target: 'e', targetHandle: 'exec-in' }, 'junk'] });
    expect(c.routes.get('s')).toEqual({ kind: 'linear', next: 'e' });
  });
});
