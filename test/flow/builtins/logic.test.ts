import { describe, expect, test } from 'bun:test';
import { BUILTINS } from '../../../src/flow/builtins/index.ts';
import { pyFloat } from '../../../src/flow/values.ts';

const run = (type: string, inputs: Record<string, unknown> = {}) => BUILTINS[type]!(inputs);

describe('compare', () => {
  const cases: [Record<string, unknown>, boolean][] = [
    [{ a: 1, b: pyFloat(1) }, true], [{ a: 1, op: '==', b: '1' }, false], [{ a: 'a', op: '<', b: 'b' }, true],
    [{ a: 'a', op: '<', b: 1 }, false], [{ a: null, op: '>=', b: 0 }, false], [{ a: 3, op: '>', b: true }, true],
    [{ a: [1, 2], op: '<=', b: [1, 2] }, true], [{ a: { x: 1 }, op: '!=', b: { x: 1 } }, false], [{}, true],
    [{ a: 2, op: null, b: 2 }, true],
  ];
  for (const [inputs, want] of cases) test(`${JSON.stringify(inputs)} → ${want}`, () => expect(run('compare', inputs)).toBe(want));
  test('unknown op is an error', () => expect(() => run('compare', { a: 1, op: 'gt', b: 2 })).toThrow("Unknown comparison operator 'gt'"));
});

describe('boolean nodes use Python truthiness', () => {
  test('not', () => {
    expect(run('not', {})).toBe(true);
    expect(run('not', { value: 'false' })).toBe(false);
    expect(run('not', { value: [] })).toBe(true);
    expect(run('not', { value: pyFloat(0) })).toBe(true);
  });
  test('and / or (missing → false)', () => {
    expect(run('and', { a: 1 })).toBe(false);
    expect(run('and', { a: 'x', b: [0] })).toBe(true);
    expect(run('or', { a: 0, b: '' })).toBe(false);
    expect(run('or', { a: {}, b: 'y' })).toBe(true);
  });
});

describe('coalesce', () => {
  test('first non-null in declared pin order; only present keys count', () => {
    expect(run('coalesce', { a: null, b: 2 })).toBe(2);
    expect(run('coalesce', { a: 1, c: null, b: 2, _pin_order: ['c', 'a', 'b'] })).toBe(1);
    expect(run('coalesce', { c: 5 })).toBeNull(); // default order is [a, b]
    expect(run('coalesce', { a: false, b: 1 })).toBe(false); // false is not null
  });
});

describe('path_mux', () => {
  test('select picks in<idx>, falls back, coerces the selector', () => {
    expect(run('path_mux', { select: 1, in0: 'x', in1: 'y' })).toEqual({ out: 'y' });
    expect(run('path_mux', { select: '1.0', in0: 'x', in1: 'y' })).toEqual({ out: 'y' });
    expect(run('path_mux', { select: true, in0: 'x', in1: 'y' })).toEqual({ out: 'y' });
    expect(run('path_mux', { select: 'bad', in0: 'x', in1: 'y' })).toEqual({ out: 'x' });
    expect(run('path_mux', { select: 1, in1: null, fallback: 'f' })).toEqual({ out: null });
    expect(run('path_mux', { select: 2, fallback: 'f' })).toEqual({ out: 'f' });
    expect(run('path_mux', { select: 2 })).toEqual({ out: null });
  });
});
