import { describe, expect, test } from 'bun:test';
import { PyFloat, pyStr } from '../../../src/flow/values.ts';
import { end, flow, flowHarness, getVar, lit, n, runFlow, setVar, start } from './helpers.ts';

// `visited = array_append(get_var(visited), <item pin>)` as a set_var node fed by `src.pin`.
function appendTo(id: string, list: string, src: string, edges: string[]) {
  edges.push(`${id}_get.value>${id}_app.array`, `${src}>${id}_app.item`, `${id}_app.result>${id}.value`);
  return [setVar(id, list), getVar(`${id}_get`, list), n(`${id}_app`, 'array_append', { in: ['array', 'item'], out: ['result'] })];
}

describe('if / switch', () => {
  const ifFlow = (cond: unknown, connectFalse = true) =>
    flow(
      'f',
      [start('s'), lit('c', cond), n('if', 'if', { in: ['exec-in', 'condition'], out: ['true', 'false'] }), end('t', ['r'], { pinDefaults: { r: 'T' } }), end('f', ['r'], { pinDefaults: { r: 'F' } })],
      ['s.exec-out>if.exec-in', 'c.value>if.condition', 'if.true>t.exec-in', ...(connectFalse ? ['if.false>f.exec-in'] : [])],
    );

  test.each([
    ['false', 'T'], // a non-empty string is truthy (Python), probe 4
    [[], 'F'],
    [0, 'F'],
    [{ a: 1 }, 'T'],
    [null, 'F'],
  ])('condition %p takes the %s branch', async (cond, expected) => {
    expect((await runFlow(ifFlow(cond))).output).toEqual({ r: expected, success: true });
  });

  test('an unconnected chosen branch completes cleanly with the branch record', async () => {
    const run = await runFlow(ifFlow(false, false));
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ branch: 'false', condition: false, success: true });
  });

  const switchFlow = (value: unknown, withDefault: boolean) =>
    flow(
      'sw',
      [
        start('s'),
        lit('v', value),
        n('sw', 'switch', { in: ['exec-in', 'value'], out: ['case:a', 'case:b', 'default'], switchConfig: { cases: [{ id: 'a', value: 'x' }, { id: 'b', value: 2 }, { id: 'z', value: null }] } }),
        end('ea', ['r'], { pinDefaults: { r: 'A' } }),
        end('eb', ['r'], { pinDefaults: { r: 'B' } }),
        end('ed', ['r'], { pinDefaults: { r: 'D' } }),
      ],
      ['s.exec-out>sw.exec-in', 'v.value>sw.value', 'sw.case:a>ea.exec-in', 'sw.case:b>eb.exec-in', ...(withDefault ? ['sw.default>ed.exec-in'] : [])],
    );

  test.each([
    ['x', 'A'],
    [2, 'B'], // matched on str(value)
    ['2', 'B'],
    ['nope', 'D'],
  ])('switch %p → %s', async (value, expected) => {
    expect((await runFlow(switchFlow(value, true))).output).toEqual({ r: expected, success: true });
  });

  test('switch with no match and no default edge completes with branch "default"', async () => {
    expect((await runFlow(switchFlow('nope', false))).output).toEqual({ branch: 'default', value: 'nope', success: true });
  });
});

describe('schedulers', () => {
  test('sequence runs connected branches in pin order, parallel then goes to completed', async () => {
    for (const kind of ['sequence', 'parallel'] as const) {
      const edges = ['s.exec-out>seq.exec-in', 'seq.then:0>a.exec-in', 'seq.then:2>c.exec-in', 'seq.then:1>b.exec-in'];
      const nodes = [
        start('s'),
        n('seq', kind, { in: ['exec-in'], out: ['then:0', 'then:1', 'then:2', 'then:3', ...(kind === 'parallel' ? ['completed'] : [])] }),
        ...appendTo('a', 'visited', 'la.value', edges), lit('la', 'A'),
        ...appendTo('b', 'visited', 'lb.value', edges), lit('lb', 'B'),
        ...appendTo('c', 'visited', 'lc.value', edges), lit('lc', 'C'),
        getVar('gv', 'visited'),
        end('e', ['visited']),
      ];
      edges.push('gv.value>e.visited');
      if (kind === 'parallel') edges.push('seq.completed>e.exec-in');
      const run = await runFlow(flow(kind, nodes, edges));
      if (kind === 'parallel') expect(run.output).toEqual({ visited: ['A', 'B', 'C'], success: true });
      else {
        expect(run.status).toBe('completed');
        expect(run.vars.visited).toEqual(['A', 'B', 'C']);
        expect(run.output!.success).toBe(true); // nothing left: `{success, result: _last_output}`
      }
    }
  });

  test('nested ForEach loops: each body end returns to the innermost loop', async () => {
    const edges = ['s.exec-out>outer.exec-in', 'lo.value>outer.items', 'outer.loop>inner.exec-in', 'li.value>inner.items', 'inner.loop>add.exec-in', 'outer.done>e.exec-in'];
    edges.push('outer.item>cc.a', 'inner.item>cc.b', 'gv.value>e.visited');
    const nodes = [
      start('s'),
      lit('lo', [1, 2]),
      lit('li', ['a', 'b']),
      n('outer', 'loop', { in: ['exec-in', 'items'], out: ['loop', 'done', 'item', 'index'] }),
      n('inner', 'loop', { in: ['exec-in', 'items'], out: ['loop', 'done', 'item', 'index'] }),
      n('cc', 'concat', { in: ['a', 'b'], out: ['result'], concatConfig: { separator: '' } }),
      ...appendTo('add', 'visited', 'cc.result', edges),
      getVar('gv', 'visited'),
      end('e', ['visited']),
    ];
    const run = await runFlow(flow('nested', nodes, edges));
    expect(run.output).toEqual({ visited: ['1a', '1b', '2a', '2b'], success: true });
    expect(run.vars._temp._control.stack).toEqual([]);
  });

  test('For emits [index, i] end-exclusive and exposes total', async () => {
    const edges = ['s.exec-out>for.exec-in', 'for.loop>add.exec-in', 'for.done>e.exec-in', 'for.index>pair.a', 'for.i>pair.b', 'gv.value>e.visited'];
    const nodes = [
      start('s'),
      n('for', 'for', { in: ['exec-in', 'start', 'end', 'step'], out: ['loop', 'done', 'i', 'index'], pinDefaults: { start: 0, end: 3 } }),
      n('pair', 'make_array', { in: ['a', 'b'], out: ['result'] }),
      ...appendTo('add', 'visited', 'pair.result', edges),
      getVar('gv', 'visited'),
      end('e', ['visited']),
    ];
    // `i` is a Python float (rendered 0.0, 1.0, …), `index` an int.
    expect((await runFlow(flow('for', nodes, edges))).output).toEqual({ visited: [[0, new PyFloat(0)], [1, new PyFloat(1)], [2, new PyFloat(2)]], success: true });
  });

  test.each([
    [{ start: 0, end: 3, step: 0 }, 'For step must not be 0'],
    [{ start: 0, end: 50_000 }, 'For would run 50000 iterations (max 10000)'],
    [{ start: 'abc', end: 3 }, 'could not convert string to float'],
    [{ end: 3 }, 'For needs both start and end'],
  ])('For with %p completes with an error', async (defaults, message) => {
    const run = await runFlow(
      flow('for', [start('s'), n('for', 'for', { in: ['exec-in', 'start', 'end', 'step'], out: ['loop', 'done'], pinDefaults: defaults }), end('e')], ['s.exec-out>for.exec-in', 'for.loop>e.exec-in']),
    );
    expect(run.status).toBe('completed');
    expect(run.output).toMatchObject({ success: false, node: 'for' });
    expect(String(run.output!.error)).toContain(message);
  });

  test('While counts down with state in vars; done edge taken when the condition turns false', async () => {
    const edges = ['s.exec-out>w.exec-in', 'cmp.result>w.condition', 'gn.value>cmp.a', 'w.loop>dec.exec-in', 'gn2.value>sub.a', 'sub.result>dec.value', 'w.done>e.exec-in', 'w.index>e.last_index'];
    const nodes = [
      start('s', ['n']),
      n('w', 'while', { in: ['exec-in', 'condition'], out: ['loop', 'done', 'item', 'index'] }),
      n('cmp', 'compare', { in: ['a', 'op', 'b'], out: ['result'], pinDefaults: { op: '>', b: 0 } }),
      getVar('gn', 'n'),
      getVar('gn2', 'n'),
      n('sub', 'subtract', { in: ['a', 'b'], out: ['result'], pinDefaults: { b: 1 } }),
      setVar('dec', 'n'),
      end('e', ['last_index']),
    ];
    const run = await runFlow(flow('while', nodes, edges), { n: 3 });
    expect(run.output).toEqual({ last_index: 2, success: true });
    // `subtract` returns a Python float, and it stays one in the stored vars.
    expect(pyStr(run.vars.n)).toBe('0.0');
  });

  test('While stops with an error after 10 000 iterations', async () => {
    const f = flow(
      'spin',
      [start('s'), lit('t', true), n('w', 'while', { in: ['exec-in', 'condition'], out: ['loop', 'done'] }), setVar('b', 'x', { pinDefaults: { name: 'x', value: 1 } }), end('e')],
      ['s.exec-out>w.exec-in', 't.value>w.condition', 'w.loop>b.exec-in', 'w.done>e.exec-in'],
    );
    expect((await runFlow(f)).output).toEqual({ error: 'While exceeded 10000 iterations', success: false, node: 'w' });
  });

  test('While false without a done edge completes with {success, result: _last_output}', async () => {
    const run = await runFlow(flow('w0', [start('s', ['x']), n('w', 'while', { in: ['exec-in', 'condition'], out: ['loop', 'done'] }), end('e')], ['s.exec-out>w.exec-in', 'w.loop>e.exec-in']), { x: 1 });
    expect(run.output).toEqual({ success: true, result: { x: 1 } });
  });

  test('an error inside a loop body does not stop the loop (docs/flows.md "Executing", probe 2)', async () => {
    // divide(10, item) as an exec node: item 0 raises "Division by zero"; the loop continues.
    const edges = ['s.exec-out>loop.exec-in', 'items.value>loop.items', 'loop.loop>div.exec-in', 'loop.item>div.b', 'div.exec-out>inc.exec-in', 'gv.value>e.ok', 'loop.done>e.exec-in'];
    edges.push('gok.value>plus.a', 'plus.result>inc.value');
    const nodes = [
      start('s'),
      lit('items', [1, 0, 2, 5]),
      n('loop', 'loop', { in: ['exec-in', 'items'], out: ['loop', 'done', 'item', 'index'] }),
      n('div', 'divide', { in: ['exec-in', 'a', 'b'], out: ['exec-out', 'result'], pinDefaults: { a: 10 } }),
      setVar('inc', 'ok'),
      getVar('gok', 'ok'),
      n('plus', 'add', { in: ['a', 'b'], out: ['result'], pinDefaults: { b: 1 } }),
      getVar('gv', 'ok'),
      end('e', ['ok']),
    ];
    const run = await runFlow(flow('errloop', nodes, edges), { ok: 0 });
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ ok: new PyFloat(3), success: true });
    expect(pyStr(run.output!.ok)).toBe('3.0');
    expect(run.vars._flow_error).toContain('Division by zero');
    expect(run.vars._flow_error_node).toBe('div');
  });

  test('an error outside any control block completes the run with success:false', async () => {
    const run = await runFlow(flow('err', [start('s'), n('div', 'divide', { in: ['exec-in', 'a', 'b'], out: ['exec-out', 'result'], pinDefaults: { a: 1, b: 0 } }), end('e')], ['s.exec-out>div.exec-in', 'div.exec-out>e.exec-in']));
    expect(run.status).toBe('completed');
    expect(run.output).toMatchObject({ success: false, node: 'div' });
    expect(String(run.output!.error)).toContain('Division by zero');
  });
});

describe('return to the active scheduler', () => {
  test('terminal waits inside sequence branches resume into the sequence', async () => {
    const ask = (id: string, prompt: string) => n(id, 'ask_user', { in: ['exec-in', 'prompt'], out: ['exec-out', 'response'], pinDefaults: { prompt } });
    const h = flowHarness([flow('seqask', [start('s'), n('q', 'sequence', { in: ['exec-in'], out: ['then:0', 'then:1'] }), ask('a1', 'first?'), ask('a2', 'second?')], ['s.exec-out>q.exec-in', 'q.then:0>a1.exec-in', 'q.then:1>a2.exec-in'])]);
    const run = await h.start('seqask');
    expect(run.waiting).toMatchObject({ prompt: 'first?', resume_to_node: 'q' });
    expect((await h.answer(run.run_id, { response: '1' })).waiting).toMatchObject({ prompt: 'second?', resume_to_node: 'q' });
    const done = await h.answer(run.run_id, { response: '2' });
    expect(done.status).toBe('completed');
    expect(done.vars._temp.effects).toMatchObject({ a1: { response: '1' }, a2: { response: '2' } });
    await h.close();
  });

  test('an explicit exec edge back into a While starts a fresh frame (HEAD re-entry rule)', async () => {
    // while(n > 0): n = n - 1, then explicitly back to the while; index restarts at 0 on every pass.
    const edges = ['s.exec-out>w.exec-in', 'gn.value>cmp.a', 'cmp.result>w.condition', 'w.loop>dec.exec-in', 'gn.value>sub.a', 'sub.result>dec.value', 'dec.exec-out>rec.exec-in', 'w.index>rec.value', 'rec.exec-out>w.exec-in', 'w.done>e.exec-in'];
    const nodes = [
      start('s'),
      n('w', 'while', { in: ['exec-in', 'condition'], out: ['loop', 'done', 'index'] }),
      getVar('gn', 'n'),
      n('cmp', 'compare', { in: ['a', 'op', 'b'], out: ['result'], pinDefaults: { op: '>', b: 0 } }),
      n('sub', 'subtract', { in: ['a', 'b'], out: ['result'], pinDefaults: { b: 1 } }),
      setVar('dec', 'n'),
      setVar('rec', 'max_index'),
      end('e'),
    ];
    const run = await runFlow(flow('reentry', nodes, edges), { n: 3 });
    expect(run.status).toBe('completed');
    expect(pyStr(run.vars.n)).toBe('0.0');
    expect(run.vars.max_index).toBe(0);
  });
});

describe('fan-in (HEAD join semantics)', () => {
  const fanIn = (overrides?: object) =>
    flow(
      'fanin',
      [
        start('s', ['flag']),
        lit('la', 'from-true'),
        lit('lb', 'from-false'),
        n('if', 'if', { in: ['exec-in', 'condition'], out: ['true', 'false'] }),
        n('j', 'on_flow_end', { in: ['exec-in', 'x'], pinDefaults: { x: 'default' }, ...(overrides ? { inputRouteOverrides: overrides } : {}) }),
      ],
      ['s.exec-out>if.exec-in', 's.flag>if.condition', 'if.true>j.exec-in', 'if.false>j.exec-in'],
    );

  test('a join records which route entered; without overrides the pin default applies', async () => {
    const run = await runFlow(fanIn(), { flag: false });
    expect(run.output).toEqual({ x: 'default', success: true });
    expect(run.vars._temp.node_outputs.__internal_join_exec__j).toEqual({ which: 1, from: 'if', from_handle: 'false' });
  });

  test('inputRouteOverrides select the pin value per entry route (path_mux)', async () => {
    const overrides = { x: { 'if::true': { sourceNodeId: 'la', sourceHandle: 'value' } } };
    expect((await runFlow(fanIn(overrides), { flag: true })).output).toEqual({ x: 'from-true', success: true });
    expect((await runFlow(fanIn(overrides), { flag: false })).output).toEqual({ x: 'default', success: true });
  });
});
