import { describe, expect, test } from 'bun:test';
import { isoToMs, normalizeIso, nowIso } from '../../src/util/time.ts';
import { canonicalJson } from '../../src/util/json.ts';

describe('time', () => {
  test('nowIso has the Python isoformat shape and increases strictly', () => {
    const a = nowIso(), b = nowIso();
    expect(a).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00$/);
    expect(b > a).toBe(true);
  });
  test('normalizeIso accepts Z, offsets and ms precision', () => {
    expect(normalizeIso('2026-01-02T03:04:05Z')).toBe('2026-01-02T03:04:05.000000+00:00');
    expect(normalizeIso('2026-01-02T03:04:05.123Z')).toBe('2026-01-02T03:04:05.123000+00:00');
    expect(normalizeIso('2026-01-02T05:04:05.123456+02:00')).toBe('2026-01-02T03:04:05.123456+00:00');
    expect(normalizeIso('not a date')).toBeNull();
    expect(isoToMs('2026-01-02T03:04:05.5Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5, 500));
  });
});

describe('canonicalJson', () => {
  test('sorts keys, no spaces, ensure_ascii on demand', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'é'] })).toBe('{"a":[true,null,"é"],"b":1}');
    expect(canonicalJson({ a: 'é' }, true)).toBe('{"a":"\\u00e9"}');
  });
});

describe('canonicalJson (Python json.dumps compatibility)', () => {
  test('control characters, quotes and astral keys', () => {
    expect(canonicalJson('a"b\\c\n\t\u0001')).toBe('"a\\"b\\\\c\\n\\t\\u0001"');
    expect(canonicalJson('😀', true)).toBe('"\\ud83d\\ude00"');
    expect(canonicalJson({ '\uffff': 1, '😀': 2 })).toBe('{"\uffff":1,"😀":2}');
    expect(canonicalJson([1.5, -0, 1e21, { b: undefined, a: null }])).toBe('[1.5,0,1e+21,{"a":null}]');
  });
});

test('canonicalJson writes boxed whole floats the Python way', () => {
  expect(canonicalJson({ a: new Number(5), b: 5, c: new Number(2.5) })).toBe('{"a":5.0,"b":5,"c":2.5}');
});
