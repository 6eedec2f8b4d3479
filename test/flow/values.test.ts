// Expected values were produced by CPython 3.11 (repr, round, %, slicing, split, json.dumps).
import { describe, expect, test } from 'bun:test';
import {
  PyFloat, decodeEscapes, floatRepr, formatExp, formatFixed, isFloat, isNum, pyCompare, pyEquals, pyFloat,
  pyJsonDumps, pyLen, pyMod, pyRepr, pyRound, pySlice, pySplit, pyStr, pyStrip, strRepr, toFloat, toInt,
  toJsonValue, truthy,
} from '../../src/flow/values.ts';

describe('pyFloat marker', () => {
  test('integral floats are boxed, others stay primitive', () => {
    expect(pyFloat(5)).toBeInstanceOf(PyFloat);
    expect(pyFloat(2.5)).toBe(2.5);
    expect(Number(pyFloat(5)) + 1).toBe(6);
    expect(JSON.stringify({ x: pyFloat(5) })).toBe('{"x":5}');
    expect(isNum(pyFloat(5)) && isFloat(pyFloat(5)) && !isFloat(5) && isFloat(0.5) && !isNum(true)).toBe(true);
  });
  test('toJsonValue unboxes deeply', () => {
    const v = toJsonValue({ a: [pyFloat(1), { b: pyFloat(2) }], c: 'x', d: undefined });
    expect(v).toEqual({ a: [1, { b: 2 }], c: 'x' });
    expect((v as any).a[0]).not.toBeInstanceOf(Number);
  });
});

describe('pyStr / pyRepr', () => {
  const cases: [unknown, string][] = [
    [null, 'None'], [undefined, 'None'], [true, 'True'], [false, 'False'], [5, '5'], [pyFloat(5), '5.0'],
    [2.5, '2.5'], [pyFloat(0.00001), '1e-05'], [0.0001, '0.0001'], [pyFloat(1e16), '1e+16'], [1e16, '10000000000000000'],
    [pyFloat(1e15), '1000000000000000.0'], [1e22, '10000000000000000000000'], [Infinity, 'inf'], [-Infinity, '-inf'],
    [NaN, 'nan'], [-0, '0'], [pyFloat(-0), '-0.0'], [0.1 + 0.2, '0.30000000000000004'], ['text', 'text'],
    [['a', 'b'], "['a', 'b']"], [{ a: 1 }, "{'a': 1}"], [[null, true, pyFloat(2), 'it\'s'], `[None, True, 2.0, "it's"]`],
    [{ k: { n: [] } }, "{'k': {'n': []}}"], [[], '[]'], [{}, '{}'],
  ];
  for (const [v, want] of cases) test(`str(${want})`, () => expect(pyStr(v)).toBe(want));

  test('string repr quoting and escapes match CPython', () => {
    expect(strRepr('a')).toBe("'a'");
    expect(strRepr("it's")).toBe(`"it's"`);
    expect(strRepr(`both ' and "`)).toBe(`'both \\' and "'`);
    expect(strRepr('tab\tnew\nline\\')).toBe("'tab\\tnew\\nline\\\\'");
    expect(strRepr('\x00\x7f\x85\xa0\xad')).toBe("'\\x00\\x7f\\x85\\xa0\\xad'");
    expect(strRepr('é 中文 😀')).toBe("'é 中文 😀'");
    expect(pyRepr(['x'])).toBe("['x']");
  });
  test('floatRepr switches to exponent form where Python does', () => {
    expect(floatRepr(1.5e-7)).toBe('1.5e-07');
    expect(floatRepr(123456789012345678)).toBe('1.2345678901234568e+17');
    expect(floatRepr(5e-324)).toBe('5e-324');
    expect(floatRepr(1.7976931348623157e308)).toBe('1.7976931348623157e+308');
  });
});

describe('truthiness', () => {
  const cases: [unknown, boolean][] = [
    [null, false], [undefined, false], [false, false], [0, false], [pyFloat(0), false], ['', false], [[], false],
    [{}, false], [true, true], [1, true], [NaN, true], ['false', true], ['0', true], [[0], true], [{ a: null }, true],
  ];
  for (const [v, want] of cases) test(`bool(${JSON.stringify(v) ?? v}) = ${want}`, () => expect(truthy(v)).toBe(want));
});

describe('equality and ordering', () => {
  test('pyEquals', () => {
    expect(pyEquals(1, pyFloat(1))).toBe(true);
    expect(pyEquals(true, 1)).toBe(true);
    expect(pyEquals('1', 1)).toBe(false);
    expect(pyEquals(null, undefined)).toBe(true);
    expect(pyEquals(null, 0)).toBe(false);
    expect(pyEquals(null, '')).toBe(false);
    expect(pyEquals([1, [2]], [pyFloat(1), [2]])).toBe(true);
    expect(pyEquals({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(pyEquals({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(pyEquals(NaN, NaN)).toBe(false);
    expect(pyEquals([], {})).toBe(false);
  });
  const order: [unknown, string, unknown, boolean][] = [
    ['a', '<', 'b', true], ['B', '<', 'a', true], [1, '<', 'a', false], ['a', '>', 1, false], [null, '<', 1, false],
    [null, '>=', null, false], [[1, 2], '<', [1, 3], true], [[1, 2], '<', [1, 2, 0], true], [[1, 'a'], '<', [1, 2], false],
    [2, '>=', pyFloat(2), true], [true, '>', 0, true], [{ a: 1 }, '<=', { a: 1 }, false], ['\uffff', '<', '😀', true],
    [1, '==', pyFloat(1), true], ['1', '!=', 1, true],
  ];
  for (const [a, op, b, want] of order) {
    test(`${JSON.stringify(a)} ${op} ${JSON.stringify(b)} → ${want}`, () => expect(pyCompare(a, op, b)).toBe(want));
  }
  test('unknown operator is an error naming the valid ones', () => {
    expect(() => pyCompare(1, '=~', 2)).toThrow("Unknown comparison operator '=~'");
  });
});

describe('numbers', () => {
  test("round is banker's rounding on the exact binary value and returns a float", () => {
    const cases: [number, number, string][] = [
      [2.5, 0, '2.0'], [3.5, 0, '4.0'], [-2.5, 0, '-2.0'], [0.125, 2, '0.12'], [0.375, 2, '0.38'], [2.675, 2, '2.67'],
      [1234.5, -2, '1200.0'], [-0.4, 0, '-0.0'], [1.0005, 3, '1.0'], [1e300, 2, '1e+300'],
    ];
    for (const [x, n, want] of cases) expect(pyStr(pyRound(x, n))).toBe(want);
  });
  test('% takes the sign of the divisor', () => {
    expect(pyMod(-7, 3)).toBe(2);
    expect(pyMod(7, -3)).toBe(-2);
    expect(pyMod(5.5, 2)).toBe(1.5);
    expect(Object.is(pyMod(0, -5), -0)).toBe(true);
  });
  test('fixed and exponent formatting round half-even on exact ties', () => {
    expect(formatFixed(0.125, 2)).toBe('0.12');
    expect(formatFixed(2.675, 2)).toBe('2.67');
    expect(formatFixed(-1.5, 0)).toBe('-2');
    expect(formatExp(1.25, 1)).toBe('1.2e+00');
    expect(formatExp(9.99, 1)).toBe('1.0e+01');
    expect(formatExp(0, 2)).toBe('0.00e+00');
  });
  test('float() coercion', () => {
    expect(toFloat('3.5')).toBe(3.5);
    expect(toFloat(' 1_000 ')).toBe(1000);
    expect(toFloat('1.e2')).toBe(100);
    expect(toFloat('-Infinity')).toBe(-Infinity);
    expect(toFloat(true)).toBe(1);
    expect(toFloat(pyFloat(2))).toBe(2);
    expect(() => toFloat('abc')).toThrow("could not convert string to float: 'abc'");
    expect(() => toFloat('1__0')).toThrow('could not convert');
    expect(() => toFloat(null)).toThrow("float() argument must be a string or a real number, not 'NoneType'");
    expect(() => toFloat([1])).toThrow("not 'list'");
  });
  test('int() coercion', () => {
    expect(toInt('42')).toBe(42);
    expect(toInt(3.9)).toBe(3);
    expect(toInt(-3.9)).toBe(-3);
    expect(toInt(false)).toBe(0);
    expect(() => toInt('3.5')).toThrow("invalid literal for int() with base 10: '3.5'");
    expect(() => toInt(Infinity)).toThrow('cannot convert float infinity to integer');
    expect(() => toInt(null)).toThrow("not 'NoneType'");
  });
});

describe('strings', () => {
  test('slices use Python semantics on code points', () => {
    expect(pySlice('hello', -3)).toBe('llo');
    expect(pySlice('hello', 1, -1)).toBe('ell');
    expect(pySlice('hello', 10)).toBe('');
    expect(pySlice('hello', -100, 2)).toBe('he');
    expect(pySlice('hello', 3, 1)).toBe('');
    expect(pySlice('a😀b', 1, 2)).toBe('😀');
    expect(pyLen('a😀')).toBe(2);
  });
  test('split with separator, maxsplit and whitespace mode', () => {
    expect(pySplit('a,b,c', ',', 1)).toEqual(['a', 'b,c']);
    expect(pySplit('a,,b', ',')).toEqual(['a', '', 'b']);
    expect(pySplit('', ',')).toEqual(['']);
    expect(pySplit('  a  b \t c  ')).toEqual(['a', 'b', 'c']);
    expect(pySplit('  a  b \t c  ', null, 1)).toEqual(['a', 'b \t c  ']);
    expect(pySplit('', null)).toEqual([]);
    expect(() => pySplit('a', '')).toThrow('empty separator');
  });
  test('strip uses the Python whitespace set', () => {
    expect(pyStrip('\x1c a b \u3000')).toBe('a b');
    expect(pyStrip('\ufeffx')).toBe('\ufeffx');
  });
  test('decodeEscapes handles only \\n, \\t, \\r', () => {
    expect(decodeEscapes('a\\nb\\tc\\rd\\x')).toBe('a\nb\tc\rd\\x');
  });
});

describe('json.dumps', () => {
  const v = { b: 1, a: [null, true, { x: 'é' }], f: pyFloat(3), g: 1e-5 };
  test('default separators and ensure_ascii', () => {
    expect(pyJsonDumps(v)).toBe('{"b": 1, "a": [null, true, {"x": "\\u00e9"}], "f": 3.0, "g": 1e-05}');
  });
  test('sort_keys, ensure_ascii=False', () => {
    expect(pyJsonDumps(v, { sortKeys: true, ensureAscii: false }))
      .toBe('{"a": [null, true, {"x": "é"}], "b": 1, "f": 3.0, "g": 1e-05}');
  });
  test('indent uses "," and ": " and keeps empty containers compact', () => {
    expect(pyJsonDumps({ a: [], b: {}, c: [1] }, { indent: 2 })).toBe('{\n  "a": [],\n  "b": {},\n  "c": [\n    1\n  ]\n}');
  });
  test('compact separators, NaN/Infinity tokens, control characters', () => {
    expect(pyJsonDumps([NaN, Infinity, -Infinity, '\x01\x7f'], { separators: [',', ':'] }))
      .toBe('[NaN,Infinity,-Infinity,"\\u0001\\u007f"]');
  });
});
