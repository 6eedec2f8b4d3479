// Expected strings produced by CPython 3.11 format().
import { describe, expect, test } from 'bun:test';
import { formatValue, pyFormat } from '../../../src/flow/builtins/format.ts';
import { pyFloat } from '../../../src/flow/values.ts';

describe('format spec mini-language', () => {
  const cases: [unknown, string, string][] = [
    [pyFloat(2), '', '2.0'], [2.675, '.2f', '2.67'], [0.125, '.2f', '0.12'], [-3.14159, '08.2f', '-0003.14'],
    [0.5, '.2%', '50.00%'], [1234567, ',', '1,234,567'], [1234567, '_x', '12_d687'], [255, '#x', '0xff'], [5, 'b', '101'],
    [42, '05d', '00042'], [1234.5678, '.3', '1.23e+03'], [1234.5678, ',.2f', '1,234.57'], [pyFloat(100), '#.3g', '100.'],
    [0.0001234, 'g', '0.0001234'], [1e-7, '.3g', '1e-07'], [1e20, 'g', '1e+20'], [pyFloat(3), '.3', '3.0'],
    [3.5, '>8.3f', '   3.500'], [3.5, '*^9', '***3.5***'], [-2, '=+6', '-    2'], [7, '+', '+7'], ['hello', '^9', '  hello  '],
    ['hello', '.2', 'he'], ['x', '<3', 'x  '], [true, 'd', '1'], [true, '', 'True'], [1e-7, 'e', '1.000000e-07'],
  ];
  for (const [v, spec, want] of cases) test(`format(${String(v)}, '${spec}') = '${want}'`, () => expect(formatValue(v, spec)).toBe(want));

  test('invalid combinations raise Python errors', () => {
    expect(() => formatValue(pyFloat(1), 'd')).toThrow("Unknown format code 'd' for object of type 'float'");
    expect(() => formatValue(5, '.2d')).toThrow('Precision not allowed in integer format specifier');
    expect(() => formatValue('s', '+')).toThrow('Sign not allowed in string format specifier');
    expect(() => formatValue(null, '>5')).toThrow('unsupported format string passed to NoneType.__format__');
    expect(() => formatValue(1, 'zz')).toThrow("Invalid format specifier 'zz'");
  });
  test('nested fields in the spec and conversions', () => {
    expect(pyFormat('{w:{f}}|{s!r:>6}|{n!s}', { w: 3.5, f: '>8.3f', s: 'hi', n: null })).toBe('   3.500|  \'hi\'|None');
    expect(pyFormat('{a[0]}{a[1]}', { a: ['x', 'y'] })).toBe('xy');
    expect(() => pyFormat('{a[5]}', { a: [] })).toThrow('list index out of range');
    expect(() => pyFormat('{a[0]}', { a: { '0': 1 } })).toThrow('no key 0');
  });
});
