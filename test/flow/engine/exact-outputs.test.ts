// The reference's exact outputs (issue 14 §3): Python floats survive persistence and child-run boundaries,
// a failed child reaches its parent as `{result: null, success: false, error}`, flow outputs carry no
// gateway-only keys, a failed code node's run output is `{error, success: false, node}`, and a run ending on a
// terminal effect records `{success: true, result}` as its output.
import { describe, expect, test } from 'bun:test';
import { pyStr } from '../../../src/flow/values.ts';
import { end, flow, flowHarness, lit, n, recursiveCountdown, runFlow, setVar, start } from './helpers.ts';

const recursive = recursiveCountdown();

describe('Python floats across persistence and subflows', () => {
  test('a recursive subflow subtracting then concatenating prints 0.0 like the reference', async () => {
    const h = flowHarness([recursive]);
    const three = await h.start('rec', { number: 3 });
    expect(three.status).toBe('completed');
    const deepest = (await Promise.all((await h.runtime.tree(three.run_id)).map((id) => h.run(id)))).find((r) => r.vars.number !== undefined && pyStr(r.vars.number) === '0.0')!;
    expect(deepest.output).toEqual({ response: 'Final number :  0.0', success: true });
    // {number: 0} is an int from the caller: no float appears.
    expect((await h.start('rec', { number: 0 })).output).toEqual({ response: 'Final number :  0', success: true });
    await h.close();
  });

  test('an integral float set in one step still renders 5.0 after a wait (the checkpoint keeps it)', async () => {
    const doc = flow(
      'wait-float',
      [
        start('s'),
        n('add', 'add', { in: ['a', 'b'], out: ['result'], pinDefaults: { a: 2, b: 3 } }),
        setVar('sv', 'total'),
        n('ask', 'ask_user', { in: ['exec-in', 'prompt'], out: ['exec-out', 'response'], pinDefaults: { prompt: 'go?' } }),
        n('gv', 'get_var', { in: ['name:string'], out: ['value'], pinDefaults: { name: 'total' } }),
        n('cc', 'concat', { in: ['a', 'b'], out: ['result'], pinDefaults: { a: 'total:' } }),
        end('e', ['response']),
      ],
      ['s.exec-out>sv.exec-in', 'add.result>sv.value', 'sv.exec-out>ask.exec-in', 'ask.exec-out>e.exec-in', 'gv.value>cc.b', 'cc.result>e.response'],
    );
    const h = flowHarness([doc]);
    const run = await h.start('wait-float');
    expect(run.status).toBe('waiting');
    // The run was reloaded from SQLite: the float marker survived the checkpoint.
    expect(pyStr((await h.store.runs.get(run.run_id))!.vars.total)).toBe('5.0');
    const done = await h.answer(run.run_id, { response: 'yes' });
    expect(done.output).toEqual({ response: 'total: 5.0', success: true });
    // The ledger stays plain wire JSON with an intact hash chain.
    expect((await h.store.ledger.verify(run.run_id)).ok).toBe(true);
    expect(JSON.stringify(await h.ledger(run.run_id))).not.toContain('$py_float');
    await h.close();
  });
});

describe('exact output keys', () => {
  test('a failed child reaches its parent as {result: null, success: false, error}', async () => {
    const child = flow('boom', [start('s'), n('div', 'divide', { in: ['a', 'b'], out: ['result'], pinDefaults: { a: 1, b: 0 } }), setVar('sv', 'x'), end('e')], ['s.exec-out>sv.exec-in', 'div.result>sv.value', 'sv.exec-out>e.exec-in']);
    // The child's set_var input raises (Division by zero) → the child run fails outright.
    const parent = flow('parent', [start('s'), n('sub', 'subflow', { in: ['exec-in'], out: ['exec-out', 'output'], subflowId: 'boom' }), end('e', ['output'])], ['s.exec-out>sub.exec-in', 'sub.exec-out>e.exec-in']);
    const h = flowHarness([child, parent]);
    const run = await h.start('parent');
    expect(run.status).toBe('completed');
    const childOut = run.vars._temp.effects.sub.output;
    expect(Object.keys(childOut)).toEqual(['result', 'success', 'error']);
    expect(childOut).toMatchObject({ result: null, success: false });
    expect(String(childOut.error)).toContain('Division by zero');
    await h.close();
  });

  test('pinless start/end echo the caller\'s vars, not the gateway-injected workspace keys', async () => {
    const doc = flow('echo', [n('s', 'on_flow_start', { out: ['exec-out'] }), n('e', 'on_flow_end', { in: ['exec-in'] })], ['s.exec-out>e.exec-in']);
    const run = await runFlow(doc, { prompt: 'hi', workspace_root: '/tmp/ws', workspace_access_mode: 'workspace_only' });
    expect(run.output).toEqual({ prompt: 'hi', success: true });
  });

  test.skipIf(!Bun.which('python3'))('a failed code node completes the run with {error, success: false, node} only', async () => {
    const doc = flow('code-fail', [start('s'), n('c', 'code', { in: ['exec-in', 'x'], out: ['exec-out', 'output'], codeBody: 'return 1 / 0' }), end('e')], ['s.exec-out>c.exec-in', 'c.exec-out>e.exec-in']);
    const run = await runFlow(doc);
    expect(Object.keys(run.output!).sort()).toEqual(['error', 'node', 'success']);
    expect(run.output).toMatchObject({ success: false, node: 'c' });
    expect(String(run.output!.error)).toContain('division by zero');
  });

  test('a flow without on_flow_end records {success: true, result} as the run output (terminal effect)', async () => {
    const doc = flow('no-end', [start('s'), n('ans', 'answer_user', { in: ['exec-in', 'message'], out: ['exec-out', 'message'], pinDefaults: { message: 'hello' } })], ['s.exec-out>ans.exec-in']);
    const h = flowHarness([doc]);
    const run = await h.start('no-end');
    expect(run.status).toBe('completed');
    expect((await h.store.runs.get(run.run_id))!.output).toEqual({ success: true, result: { message: 'hello', level: 'message' } });
    await h.close();
  });

  test('a literal float keeps its JSON form; math on ints returns floats', async () => {
    const doc = flow('lit', [start('s'), lit('l', 2), n('m', 'multiply', { in: ['a', 'b'], out: ['result'], pinDefaults: { b: 2 } }), n('cc', 'concat', { in: ['a', 'b'], out: ['result'] }), end('e', ['response'])], ['s.exec-out>e.exec-in', 'l.value>m.a', 'l.value>cc.a', 'm.result>cc.b', 'cc.result>e.response']);
    expect((await runFlow(doc)).output).toEqual({ response: '2 4.0', success: true });
  });
});

test('For emits float i and int index, kept through vars across iterations (reference: [[0, 0.0], [1, 1.0], [2, 2.0]])', async () => {
  const edges = ['s.exec-out>for.exec-in', 'for.loop>add.exec-in', 'for.done>e.exec-in', 'for.index>pair.a', 'for.i>pair.b',
    'add_get.value>add_app.array', 'pair.result>add_app.item', 'add_app.result>add.value', 'gv.value>str.value', 'str.result>e.visited'];
  const nodes = [
    start('s'),
    n('for', 'for', { in: ['exec-in', 'start', 'end', 'step'], out: ['loop', 'done', 'i', 'index'], pinDefaults: { start: 0, end: 3 } }),
    n('pair', 'make_array', { in: ['a', 'b'], out: ['result'] }),
    setVar('add', 'visited'),
    n('add_get', 'get_var', { in: ['name:string'], out: ['value'], pinDefaults: { name: 'visited' } }),
    n('add_app', 'array_append', { in: ['array', 'item'], out: ['result'] }),
    n('gv', 'get_var', { in: ['name:string'], out: ['value'], pinDefaults: { name: 'visited' } }),
    n('str', 'concat', { in: ['a', 'value'], out: ['result'], pinDefaults: { a: 'v:' } }),
    end('e', ['visited']),
  ];
  const run = await runFlow(flow('for-floats', nodes, edges), { visited: [] });
  expect(run.output).toEqual({ visited: 'v: [[0, 0.0], [1, 1.0], [2, 2.0]]', success: true });
});
