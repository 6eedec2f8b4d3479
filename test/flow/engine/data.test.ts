import { describe, expect, test } from 'bun:test';
import { end, flow, getVar, lit, n, runFlow, setVar, start } from './helpers.ts';

describe('data-pin resolution (docs/flows.md "Executing")', () => {
  test('probe 1: a declared pin default beats the ambient _last_output key (HEAD)', async () => {
    const f = flow('p1', [start('s', ['msg']), end('e', ['msg'], { pinDefaults: { msg: 'DEFAULT' } })], ['s.exec-out>e.exec-in']);
    expect((await runFlow(f, { msg: 'AMBIENT' })).output).toEqual({ msg: 'DEFAULT', success: true });
  });

  test('unconnected pins without defaults pick up same-named ambient keys', async () => {
    const f = flow('amb', [start('s', ['greeting', 'extra']), end('e', ['greeting', 'missing'])], ['s.exec-out>e.exec-in']);
    expect((await runFlow(f, { greeting: 'hi', extra: 1 })).output).toEqual({ greeting: 'hi', missing: null, success: true });
  });

  test('a connected null overrides the ambient value', async () => {
    const f = flow('null', [start('s', ['v']), lit('z', null), end('e', ['v'])], ['s.exec-out>e.exec-in', 'z.value>e.v']);
    expect((await runFlow(f, { v: 'ambient' })).output).toEqual({ v: null, success: true });
  });

  test('probe 3: on_flow_start pinDefaults are outputs, not run vars', async () => {
    const f = flow(
      'p3',
      [start('s', ['x'], { pinDefaults: { x: 'DEF' } }), getVar('g', 'x'), end('e', ['fromvar', 'fromstart'])],
      ['s.exec-out>e.exec-in', 'g.value>e.fromvar', 's.x>e.fromstart'],
    );
    expect((await runFlow(f)).output).toEqual({ fromvar: null, fromstart: 'DEF', success: true });
  });

  test('probe 5: math floats render Python-style; a missing source key leaves the pin unset', async () => {
    const f = flow(
      'p5',
      [
        start('s'),
        n('add', 'add', { in: ['a', 'b'], out: ['result'], pinDefaults: { a: 3, b: 2 } }),
        n('cc', 'concat', { in: ['a', 'b'], out: ['result'], pinDefaults: { a: 'n=' } }),
        lit('obj', { other: 1 }),
        n('len', 'length', { in: ['text'], out: ['result'] }),
        end('e', ['s', 'len']),
      ],
      ['s.exec-out>e.exec-in', 'add.result>cc.b', 'cc.result>e.s', 'obj.nope>len.text', 'len.result>e.len'],
    );
    expect((await runFlow(f)).output).toEqual({ s: 'n= 5.0', len: 0, success: true });
  });

  test('a pure node read twice in one step is computed once (per-step memo)', async () => {
    const f = flow(
      'memo',
      [start('s'), n('r', 'random_int', { in: ['min', 'max'], out: ['result'], pinDefaults: { min: 0, max: 1_000_000_000 } }), end('e', ['a', 'b'])],
      ['s.exec-out>e.exec-in', 'r.result>e.a', 'r.result>e.b'],
    );
    const out = (await runFlow(f)).output!;
    expect(out.a).toBe(out.b);
  });

  test('pure nodes are recomputed on every step (get_var is never stale)', async () => {
    const f = flow(
      'fresh',
      [start('s'), setVar('a', 'x', { pinDefaults: { name: 'x', value: 1 } }), setVar('b', 'y'), getVar('g', 'x'), setVar('c', 'x', { pinDefaults: { name: 'x', value: 2 } }), getVar('g2', 'x'), end('e', ['first', 'second'])],
      ['s.exec-out>a.exec-in', 'a.exec-out>b.exec-in', 'g.value>b.value', 'b.exec-out>c.exec-in', 'c.exec-out>e.exec-in', 'g2.value>e.second', 'b.value>e.first'],
    );
    expect((await runFlow(f)).output).toEqual({ first: 1, second: 2, success: true });
  });

  test('a data cycle between pure nodes fails the run with a clear error', async () => {
    const f = flow(
      'cycle',
      [start('s'), n('a', 'add', { in: ['a', 'b'], out: ['result'] }), n('b', 'add', { in: ['a', 'b'], out: ['result'] }), n('ans', 'answer_user', { in: ['exec-in', 'message'], out: ['exec-out'] })],
      ['s.exec-out>ans.exec-in', 'a.result>b.a', 'b.result>a.a', 'a.result>ans.message'],
    );
    const run = await runFlow(f);
    expect(run.status).toBe('failed');
    expect(run.error).toContain("Data edge cycle detected at 'a'");
  });

  test('builtins get node config (concat separator) and _pin_order (declared order)', async () => {
    const f = flow(
      'cfg',
      [start('s'), n('cc', 'concat', { in: ['b', 'a'], out: ['result'], pinDefaults: { a: 'A', b: 'B' }, concatConfig: { separator: '-' } }), end('e', ['r'])],
      ['s.exec-out>e.exec-in', 'cc.result>e.r'],
    );
    expect((await runFlow(f)).output).toEqual({ r: 'B-A', success: true });
  });

  test('a builtin wired with exec pins runs as a visual function node and sets _last_output', async () => {
    const f = flow(
      'fn',
      [start('s'), n('mo', 'make_object', { in: ['exec-in', 'k'], out: ['exec-out', 'result'], pinDefaults: { k: 'v' } }), end('e')],
      ['s.exec-out>mo.exec-in', 'mo.exec-out>e.exec-in'],
    );
    expect((await runFlow(f)).output).toEqual({ k: 'v', success: true });
  });
});

describe('flow output (docs/flows.md "Executing")', () => {
  test('on_flow_start without params echoes non-underscore vars; end without pins copies its input', async () => {
    const f = flow('echo', [n('s', 'on_flow_start', { out: ['exec-out'] }), n('e', 'on_flow_end', { in: ['exec-in'] })], ['s.exec-out>e.exec-in']);
    expect((await runFlow(f, { a: 1, _hidden: 2 })).output).toEqual({ a: 1, success: true });
  });

  test('a wired success=false on on_flow_end is kept', async () => {
    const f = flow('sf', [start('s'), lit('f', false), end('e', ['success'])], ['s.exec-out>e.exec-in', 'f.value>e.success']);
    expect((await runFlow(f)).output).toEqual({ success: false });
  });

  test('a terminal visual function node with a scalar result completes with {response}', async () => {
    const f = flow('sc', [start('s'), n('up', 'uppercase', { in: ['exec-in', 'text'], out: ['exec-out', 'result'], pinDefaults: { text: 'hi' } })], ['s.exec-out>up.exec-in']);
    expect((await runFlow(f)).output).toEqual({ response: 'HI', success: true });
  });

  test('unreachable exec nodes never run', async () => {
    const f = flow('unr', [start('s'), end('e'), setVar('lost', 'x', { pinDefaults: { name: 'x', value: 1 } })], ['s.exec-out>e.exec-in']);
    const run = await runFlow(f);
    expect(run.status).toBe('completed');
    expect(run.vars.x).toBeUndefined();
  });
});

describe('alternative entry nodes', () => {
  test('on_user_request defaults message/context; on_agent_message takes its channel from eventConfig', async () => {
    const ur = flow('ur', [n('u', 'on_user_request', { out: ['exec-out', 'message', 'context'] }), end('e', ['message', 'context'])], ['u.exec-out>e.exec-in']);
    expect((await runFlow(ur, { message: 'hi' })).output).toEqual({ message: 'hi', context: {}, success: true });
    const am = flow('am', [n('a', 'on_agent_message', { out: ['exec-out', 'sender', 'message', 'channel'], eventConfig: { channel: 'ops' } }), end('e', ['sender', 'channel'])], ['a.exec-out>e.exec-in']);
    expect((await runFlow(am)).output).toEqual({ sender: 'unknown', channel: 'ops', success: true });
  });
});
