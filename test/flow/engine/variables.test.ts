import { describe, expect, test } from 'bun:test';
import { end, flow, getVar, lit, n, runFlow, setVar, start } from './helpers.ts';

describe('variables and context', () => {
  test('set_var writes dotted paths and passes the ambient output through', async () => {
    const f = flow('sv', [start('s', ['keep']), setVar('a', 'cfg.inner.x', { pinDefaults: { name: 'cfg.inner.x', value: 5 } }), end('e', ['keep'])], ['s.exec-out>a.exec-in', 'a.exec-out>e.exec-in']);
    const run = await runFlow(f, { keep: 'k' });
    expect(run.vars.cfg).toEqual({ inner: { x: 5 } });
    expect(run.output).toEqual({ keep: 'k', success: true });
  });

  test.each([
    ['_secret', "Invalid variable name '_secret': names starting with '_' are reserved"],
    ['  ', 'Variable name is required'],
  ])('set_var rejects the name %p', async (name, message) => {
    const run = await runFlow(flow('bad', [start('s'), setVar('a', name, { pinDefaults: { name, value: 1 } })], ['s.exec-out>a.exec-in']));
    expect(run.output).toEqual({ error: message, success: false, node: 'a' });
    expect(run.vars._flow_error).toBe(message);
  });

  test('set_var without a value uses the zero value of the value pin type', async () => {
    const f = flow('typed', [start('s'), n('a', 'set_var', { in: ['exec-in', 'name', 'value:boolean'], out: ['exec-out'], pinDefaults: { name: 'flag' } }), n('b', 'set_var', { in: ['exec-in', 'name', 'value:number'], out: ['exec-out'], pinDefaults: { name: 'count' } }), end('e')], ['s.exec-out>a.exec-in', 'a.exec-out>b.exec-in', 'b.exec-out>e.exec-in']);
    const run = await runFlow(f);
    expect([run.vars.flag, run.vars.count]).toEqual([false, 0]);
  });

  test('set_vars (JSON string) and set_var_property', async () => {
    const f = flow(
      'multi',
      [start('s'), n('sv', 'set_vars', { in: ['exec-in', 'updates'], out: ['exec-out', 'updates'], pinDefaults: { updates: '{"a": 1, "b.c": 2}' } }), n('sp', 'set_var_property', { in: ['exec-in', 'name', 'key', 'value'], out: ['exec-out', 'value'], pinDefaults: { name: 'b', key: 'd.e', value: 'x' } }), end('e', ['obj'])],
      ['s.exec-out>sv.exec-in', 'sv.exec-out>sp.exec-in', 'sp.exec-out>e.exec-in', 'sp.value>e.obj'],
    );
    const run = await runFlow(f);
    expect(run.vars.a).toBe(1);
    expect(run.vars.b).toEqual({ c: 2, d: { e: 'x' } });
    expect(run.output).toEqual({ obj: { c: 2, d: { e: 'x' } }, success: true });
  });

  test('set_vars validates every key before writing any', async () => {
    const f = flow('sv', [start('s'), n('sv', 'set_vars', { in: ['exec-in', 'updates'], out: ['exec-out'], pinDefaults: { updates: { ok: 1, _no: 2 } } })], ['s.exec-out>sv.exec-in']);
    const run = await runFlow(f);
    expect(run.output).toMatchObject({ success: false, node: 'sv' });
    expect(run.vars.ok).toBeUndefined();
  });

  test('var_decl and bool_var read typed vars with defaults', async () => {
    const f = flow(
      'decl',
      [
        start('s'),
        n('d1', 'var_decl', { out: ['name', 'value'], literalValue: { name: 'count', type: 'number', default: 7 } }),
        n('d2', 'var_decl', { out: ['name', 'value'], literalValue: { name: 'label', type: 'number', default: 'nope' } }),
        n('b1', 'bool_var', { out: ['name', 'value'], literalValue: { name: 'flag', default: true } }),
        n('b2', 'bool_var', { out: ['name', 'value'], literalValue: 'missing' }),
        end('e', ['count', 'label', 'flag', 'missing']),
      ],
      ['s.exec-out>e.exec-in', 'd1.value>e.count', 'd2.value>e.label', 'b1.value>e.flag', 'b2.value>e.missing'],
    );
    expect((await runFlow(f, { count: true, label: 'text', flag: 'yes' })).output).toEqual({ count: 7, label: 0, flag: true, missing: false, success: true });
  });

  test('add_message appends to context.messages; get_context reads it back', async () => {
    const f = flow(
      'ctx',
      [start('s'), lit('role', 'assistant'), n('am', 'add_message', { in: ['exec-in', 'role', 'content'], out: ['exec-out', 'message'], pinDefaults: { content: 42 } }), n('gc', 'get_context', { out: ['context', 'task', 'messages'] }), end('e', ['messages', 'task'])],
      ['s.exec-out>am.exec-in', 'role.value>am.role', 'am.exec-out>e.exec-in', 'gc.messages>e.messages', 'gc.task>e.task'],
    );
    const run = await runFlow(f, { context: { task: 'T', messages: [{ role: 'user', content: 'hi' }] } });
    const msgs = run.output!.messages;
    expect(msgs).toHaveLength(2);
    expect(msgs[1]).toMatchObject({ role: 'assistant', content: '42' });
    expect(msgs[1].metadata.message_id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(run.output!.task).toBe('T');
  });

  test('get_var reads nested paths and array indexes', async () => {
    const f = flow('gv', [start('s'), getVar('g', 'a.list.1'), end('e', ['v'])], ['s.exec-out>e.exec-in', 'g.value>e.v']);
    expect((await runFlow(f, { a: { list: ['x', 'y'] } })).output).toEqual({ v: 'y', success: true });
  });
});
