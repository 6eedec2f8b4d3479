import { describe, expect, test } from 'bun:test';
import { BUILTINS } from '../../../src/flow/builtins/index.ts';
import { pyFloat, pyStr } from '../../../src/flow/values.ts';

const run = (type: string, inputs: Record<string, unknown> = {}, data?: Record<string, unknown>) => BUILTINS[type]!(inputs, data) as any;

describe('get / set / merge', () => {
  const obj = { a: { b: [10, 20], n: null }, 'x.y': 1 };
  test('get walks dotted and bracket paths; missing or null → default', () => {
    expect(run('get', { object: obj, key: 'a.b[1]' })).toEqual({ value: 20 });
    expect(run('get', { object: obj, key: 'a.b.0' })).toEqual({ value: 10 });
    expect(run('get', { object: obj, key: 'a.b[-1]' })).toEqual({ value: 20 });
    expect(run('get', { object: obj, key: 'a.zz', default: 'd' })).toEqual({ value: 'd' });
    expect(run('get', { object: obj, key: 'a.n', default: 'd' })).toEqual({ value: 'd' });
    expect(run('get', { key: 'a' })).toEqual({ value: null });
    expect(run('get', { object: 'str', key: 'a', default: 0 })).toEqual({ value: 0 });
  });
  test('set returns a copy with the dotted key set and leaves the input untouched', () => {
    const input = { a: 1, b: { c: 1 } };
    const out = run('set', { object: input, key: 'b.d', value: 2 });
    expect(out).toEqual({ a: 1, b: { c: 1, d: 2 } });
    expect(input).toEqual({ a: 1, b: { c: 1 } });
    expect(run('set', { object: { b: 5 }, key: 'b.c', value: 1 })).toEqual({ b: { c: 1 } });
    expect(run('set', { key: 'k', value: [1] })).toEqual({ k: [1] });
    expect(run('set', { object: { a: 1 }, key: 'n' })).toEqual({ a: 1, n: null });
  });
  test('set rejects a null or non-object object', () => {
    expect(() => run('set', { object: null, key: 'a', value: 1 })).toThrow("'object' is null");
    expect(() => run('set', { object: [1], key: 'a', value: 1 })).toThrow("'object' must be an object, got list");
  });
  test('merge is a shallow {...a, ...b}', () => {
    expect(run('merge', { a: { x: 1, y: 1 }, b: { y: 2 } })).toEqual({ x: 1, y: 2 });
    expect(run('merge', { a: 'nope', b: { y: 2 } })).toEqual({ y: 2 });
  });
});

describe('builders', () => {
  test('make_object keeps every non-private input key', () => {
    const out = run('make_object', { my_var1: 'hello', my_var2: 42, _pin_order: ['my_var1', 'my_var2'], _literalValue: 1 });
    expect(out).toEqual({ my_var1: 'hello', my_var2: 42 });
  });
  test('make_array: declared order, nulls skipped, no flattening; default order [a, b]', () => {
    expect(run('make_array', { c: [2, 3], a: 1, b: null, _pin_order: ['a', 'b', 'c'] })).toEqual([1, [2, 3]]);
    expect(run('make_array', { b: 2, a: 1, c: 3 })).toEqual([1, 2]);
  });
  test('array_concat flattens one level', () => {
    expect(run('array_concat', { a: [1, [2]], b: 3, c: null, _pin_order: ['a', 'b', 'c'] })).toEqual([1, [2], 3]);
  });
});

describe('array nodes', () => {
  const arr = ['a', 'b', 'c'];
  test('get_element: negative, numeric strings, floats truncated, bool → 0, out of range → default', () => {
    expect(run('get_element', { array: arr, index: 1 })).toEqual({ result: 'b', found: true });
    expect(run('get_element', { array: arr, index: -1 })).toEqual({ result: 'c', found: true });
    expect(run('get_element', { array: arr, index: '1' })).toEqual({ result: 'b', found: true });
    expect(run('get_element', { array: arr, index: 1.9 })).toEqual({ result: 'b', found: true });
    expect(run('get_element', { array: arr, index: true })).toEqual({ result: 'a', found: true });
    expect(run('get_element', { array: arr, index: 5, default: 'x' })).toEqual({ result: 'x', found: false });
    expect(run('get_element', { array: arr, index: -4 })).toEqual({ result: null, found: false });
    expect(run('get_element', { array: 'abc' })).toEqual({ result: null, found: false });
  });
  test('get_random_element', () => {
    for (let i = 0; i < 20; i++) {
      const r = run('get_random_element', { array: arr });
      expect(r.found).toBe(true);
      expect(arr).toContain(r.result);
    }
    expect(run('get_random_element', { array: [], default: 'd' })).toEqual({ result: 'd', found: false });
  });
  test('array_map / array_filter', () => {
    expect(run('array_map', { items: [{ n: 1 }, { m: 2 }, 3], key: 'n' })).toEqual([1, null, 3]);
    expect(run('array_map', {})).toEqual([]);
    const items = [{ k: 1 }, { k: '1' }, { k: pyFloat(1) }, 1, 2, { k: true }];
    expect(pyStr(run('array_filter', { items, key: 'k', value: 1 }))).toBe("[{'k': 1}, {'k': 1.0}, 1, {'k': True}]");
    expect(run('array_filter', { items: [null, 0, null], value: null })).toEqual([null, null]);
  });
  test('array_length / has_tools / array_append', () => {
    expect(run('array_length', { array: [1, 2] })).toBe(2);
    expect(run('array_length', { array: 'abc' })).toBe(0);
    expect(run('has_tools', { array: [] })).toBe(false);
    expect(run('has_tools', { array: ['x'] })).toBe(true);
    expect(run('has_tools', { array: null })).toBe(false);
    const src = [1];
    expect(run('array_append', { array: src, item: 2 })).toEqual([1, 2]);
    expect(src).toEqual([1]);
    expect(run('array_append', { array: null, item: 1 })).toEqual([1]);
    expect(run('array_append', { array: 'x', item: 'y' })).toEqual(['x', 'y']);
    expect(run('array_append', { array: [] })).toEqual([null]);
  });
  test('array_dedup: by type+value for scalars, by sorted-key JSON for objects, by key path', () => {
    expect(pyStr(run('array_dedup', { array: [1, 2, 2, 3, pyFloat(4), pyFloat(4)] }))).toBe('[1, 2, 3, 4.0]');
    expect(pyStr(run('array_dedup', { array: [1, pyFloat(1), true, '1', 1] }))).toBe("[1, 1.0, True, '1']");
    expect(run('array_dedup', { array: [{ a: 1, b: 2 }, { b: 2, a: 1 }, { a: 2 }] })).toEqual([{ a: 1, b: 2 }, { a: 2 }]);
    const rows = [{ id: 1, v: 'a' }, { id: 1, v: 'b' }, { id: null, v: 'c' }, { id: null, v: 'c' }, { id: null, v: 'd' }];
    expect(run('array_dedup', { array: rows, key: 'id' })).toEqual([{ id: 1, v: 'a' }, { id: null, v: 'c' }, { id: null, v: 'd' }]);
    expect(run('array_dedup', { array: 'nope' })).toEqual([]);
  });
});

describe('break_object', () => {
  const data = { breakConfig: { selectedPaths: ['data.x.1', 'content', 'missing'] } };
  test('one output per selected path, missing → null', () => {
    const out = run('break_object', { object: { data: { x: [1, 2] }, content: 'hi' } }, data);
    expect(out).toEqual({ 'data.x.1': 2, content: 'hi', missing: null });
  });
  test('a JSON-ish string is parsed first', () => {
    expect(run('break_object', { object: '```json\n{"content": "c"}\n```' }, data)).toEqual({ 'data.x.1': null, content: 'c', missing: null });
    expect(run('break_object', { object: null }, data)).toEqual({ 'data.x.1': null, content: null, missing: null });
  });
  test('garbage text fails like parse_json', () => {
    expect(() => run('break_object', { object: 'not json' }, data)).toThrow('Invalid JSON');
  });
});

describe('tool helpers', () => {
  test('tools_allowlist trims, de-duplicates and keeps order', () => {
    expect(run('tools_allowlist', { _literalValue: [' list_files ', 'read_file', 'list_files', '', 5] })).toEqual({ tools: ['list_files', 'read_file'] });
    expect(run('tools_allowlist', {})).toEqual({ tools: [] });
  });
  test('tool_parameters builds the call from arg pins (nulls dropped from arguments)', () => {
    const inputs = { account: 'me', to: 'x@y', subject: null, body_text: 'b', _pin_order: ['account', 'to', 'subject', 'body_text'] };
    expect(run('tool_parameters', inputs, { toolParametersConfig: { tool: 'send_email' } })).toEqual({
      account: 'me', to: 'x@y', subject: null, body_text: 'b',
      tool_call: { name: 'send_email', arguments: { account: 'me', to: 'x@y', body_text: 'b' } },
    });
  });
  test('edit_json_schema adds only new properties and their required names, without mutating the input', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] };
    const add = { properties: { a: { type: 'number' }, verdict: { enum: ['x', 'y'] } }, required: ['a', 'verdict'], $defs: { D: {} } };
    const out = run('edit_json_schema', { schema, _literalValue: add });
    expect(out).toEqual({ schema: { type: 'object', properties: { a: { type: 'string' }, verdict: { enum: ['x', 'y'] } }, required: ['a', 'verdict'], $defs: { D: {} } } });
    expect(schema).toEqual({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] });
  });
});
