import { describe, expect, test } from 'bun:test';
import { BUILTINS } from '../../../src/flow/builtins/index.ts';
import { PyFloat, pyFloat, pyStr } from '../../../src/flow/values.ts';

const run = (type: string, inputs: Record<string, unknown> = {}) => BUILTINS[type]!(inputs) as any;

describe('parse_json', () => {
  test('strict JSON keeps floats as floats', () => {
    const out = run('parse_json', { text: '{"a": 1.0, "b": [1, 2e0]}' });
    expect(pyStr(out)).toBe("{'a': 1.0, 'b': [1, 2.0]}");
    expect(out.a).toBeInstanceOf(PyFloat);
  });
  test('fences, embedded JSON, and Python literals', () => {
    expect(run('parse_json', { text: '```json\n{"a": 1}\n```' })).toEqual({ a: 1 });
    expect(run('parse_json', { text: 'Sure! Here: {"a": [1, 2]} thanks' })).toEqual({ a: [1, 2] });
    expect(run('parse_json', { text: 'list: [1, 2] and {broken' })).toEqual([1, 2]);
    expect(run('parse_json', { text: "{'a': True, 'b': None, 'c': (1, 2), 'd': 'it\\'s'}" })).toEqual({ a: true, b: null, c: [1, 2], d: "it's" });
  });
  test('scalars wrap as {value} unless wrap_scalar is false; objects pass through', () => {
    expect(run('parse_json', { text: '42' })).toEqual({ value: 42 });
    expect(run('parse_json', { text: '"hi"', wrap_scalar: false })).toBe('hi');
    expect(run('parse_json', { text: 'NaN' }).value).toBeNaN();
    const obj = { k: 1 };
    expect(run('parse_json', { text: obj })).toBe(obj);
    expect(run('parse_json', { text: [1] })).toEqual([1]);
    expect(run('parse_json', { text: true })).toEqual({ value: true });
  });
  test('empty, null and garbage are errors', () => {
    expect(() => run('parse_json', { text: '' })).toThrow("parse_json requires a non-empty 'text'");
    expect(() => run('parse_json', { text: null })).toThrow("requires a non-empty 'text'");
    expect(() => run('parse_json', {})).toThrow("requires a non-empty 'text'");
    expect(() => run('parse_json', { text: 'not json at all' })).toThrow('Invalid JSON');
  });
});

describe('stringify_json', () => {
  const value = { b: 1, a: [1, pyFloat(2)], s: 'é' };
  test('beautify (default) indents by 2 and keeps non-ASCII', () => {
    expect(run('stringify_json', { value })).toBe('{\n  "b": 1,\n  "a": [\n    1,\n    2.0\n  ],\n  "s": "é"\n}');
  });
  test('none = one line with Python separators; minified = no spaces; sort_keys', () => {
    expect(run('stringify_json', { value, mode: 'none' })).toBe('{"b": 1, "a": [1, 2.0], "s": "é"}');
    expect(run('stringify_json', { value, mode: 'minified' })).toBe('{"b":1,"a":[1,2.0],"s":"é"}');
    expect(run('stringify_json', { value, mode: 'minified', sort_keys: true })).toBe('{"a":[1,2.0],"b":1,"s":"é"}');
  });
  test('legacy indent: <= 0 → minified, > 0 → that indent', () => {
    expect(run('stringify_json', { value: [1], indent: 0 })).toBe('[1]');
    expect(run('stringify_json', { value: [1], indent: 4 })).toBe('[\n    1\n]');
  });
  test('JSON-ish strings are parsed first; other strings are dumped as strings', () => {
    expect(run('stringify_json', { value: "{'x': 1}", mode: 'minified' })).toBe('{"x":1}');
    expect(run('stringify_json', { value: 'hello' })).toBe('"hello"');
    expect(run('stringify_json', { value: null })).toBe('null');
    expect(run('stringify_json', {})).toBe('null');
  });
});
