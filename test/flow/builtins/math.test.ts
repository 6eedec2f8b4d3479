import { describe, expect, test } from 'bun:test';
import { BUILTINS } from '../../../src/flow/builtins/index.ts';
import { PyFloat, pyFloat, pyStr } from '../../../src/flow/values.ts';

const run = (type: string, inputs: Record<string, unknown> = {}) => BUILTINS[type]!(inputs);
/** Python str() of the node result: makes float-ness visible ("5.0"). */
const s = (type: string, inputs: Record<string, unknown> = {}) => pyStr(run(type, inputs));

describe('arithmetic returns Python floats', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['add', { a: 3, b: 2 }, '5.0'], ['add', {}, '0.0'], ['add', { a: '1.5', b: true }, '2.5'], ['add', { a: ' 7 ' }, '7.0'],
    ['subtract', { a: 3, b: 3 }, '0.0'], ['subtract', { a: 1, b: 0.1 }, '0.9'], ['multiply', { a: 4, b: '2.5' }, '10.0'],
    ['multiply', { a: 1e200, b: 1e200 }, 'inf'], ['divide', { a: 7, b: 2 }, '3.5'], ['divide', { a: 7 }, '7.0'],
    ['divide', { a: 1, b: 3 }, '0.3333333333333333'], ['modulo', { a: -7, b: 3 }, '2.0'], ['modulo', { a: 7, b: -3 }, '-2.0'],
    ['modulo', { a: 5.5, b: 2 }, '1.5'], ['power', { base: 2, exp: 10 }, '1024.0'], ['power', { base: 4, exp: 0.5 }, '2.0'],
    ['power', {}, '0.0'], ['abs', { value: -3 }, '3.0'], ['abs', { value: '-0.5' }, '0.5'],
    ['round', { value: 2.5 }, '2.0'], ['round', { value: 3.5 }, '4.0'], ['round', { value: 2.675, decimals: 2 }, '2.67'],
    ['round', { value: '3.14159', decimals: '2' }, '3.14'], ['round', { value: 1234.5, decimals: -2 }, '1200.0'],
  ];
  for (const [type, inputs, want] of cases) test(`${type}(${JSON.stringify(inputs)}) = ${want}`, () => expect(s(type, inputs)).toBe(want));

  test('integral results carry the float marker', () => {
    expect(run('add', { a: 3, b: 2 })).toBeInstanceOf(PyFloat);
    expect(run('add', { a: pyFloat(3), b: 2 })).toBeInstanceOf(PyFloat);
  });
});

describe('math errors', () => {
  test('division and modulo by zero use the reference messages', () => {
    expect(() => run('divide', { a: 1, b: 0 })).toThrow('Division by zero');
    expect(() => run('divide', { a: 1, b: '0.0' })).toThrow('Division by zero');
    expect(() => run('modulo', { a: 1, b: 0 })).toThrow('Modulo by zero');
  });
  test('a present null is not a missing key: float(None) raises', () => {
    expect(() => run('add', { a: null, b: 1 })).toThrow("float() argument must be a string or a real number, not 'NoneType'");
    expect(() => run('abs', { value: 'abc' })).toThrow("could not convert string to float: 'abc'");
    expect(() => run('round', { value: 1, decimals: '1.5' })).toThrow('invalid literal for int()');
  });
  test('power edge cases', () => {
    expect(() => run('power', { base: 0, exp: -1 })).toThrow('0.0 cannot be raised to a negative power');
    expect(() => run('power', { base: -8, exp: 1 / 3 })).toThrow('complex');
    expect(() => run('power', { base: 10, exp: 400 })).toThrow('Numerical result out of range');
    expect(s('power', { base: -2, exp: 3 })).toBe('-8.0');
  });
});

describe('random', () => {
  test('random_int is an int within inclusive bounds, swapped when reversed, defaults on garbage', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const v = run('random_int', { min: 10, max: 5 }) as number;
      expect(Number.isInteger(v) && v >= 5 && v <= 10).toBe(true);
      seen.add(v);
    }
    expect(seen.size).toBe(6);
    expect(pyStr(run('random_int', { min: '3.9', max: 3 }))).toBe('3');
    const d = run('random_int', { min: 'x', max: null }) as number;
    expect(d >= 0 && d <= 100).toBe(true);
  });
  test('random_float is a float within bounds; equal bounds give min', () => {
    for (let i = 0; i < 50; i++) {
      const v = Number(run('random_float', {}));
      expect(v >= 0 && v <= 1).toBe(true);
    }
    expect(s('random_float', { min: 2, max: 2 })).toBe('2.0');
  });
});
