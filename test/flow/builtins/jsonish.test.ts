import { describe, expect, test } from 'bun:test';
import { parseJsonStrict, parseJsonish, parsePyLiteral } from '../../../src/flow/builtins/jsonish.ts';
import { PyFloat, pyStr } from '../../../src/flow/values.ts';

const ok = (r: ReturnType<typeof parseJsonStrict>) => {
  if (!r.ok) throw new Error(r.error);
  return r.value as any;
};

describe('strict JSON (json.loads)', () => {
  test('numbers keep int/float identity; NaN/Infinity accepted', () => {
    expect(ok(parseJsonStrict('5'))).toBe(5);
    expect(ok(parseJsonStrict('5.0'))).toBeInstanceOf(PyFloat);
    expect(pyStr(ok(parseJsonStrict('[1e2, -0.5, -Infinity]')))).toBe('[100.0, -0.5, -inf]');
    expect(ok(parseJsonStrict(' {"a": "\\u00e9\\n"} '))).toEqual({ a: 'é\n' });
  });
  test('rejects what Python rejects', () => {
    for (const bad of ['[1,]', "'a'", '"a\nb"', '01', '{"a" 1}', '[1] x', 'True', '']) {
      expect(parseJsonStrict(bad).ok).toBe(false);
    }
    const r = parseJsonStrict('{"a": }');
    expect(r.ok ? '' : r.error).toContain('position 6');
  });
});

describe('Python literals (ast.literal_eval subset)', () => {
  const cases: [string, unknown][] = [
    ["'a' \"b\"", 'ab'], ['(1,)', [1]], ['(1)', 1], ['()', []], ['{1, 2}', [1, 2]], ["{1: 'a', 'k': [True, None]}", { '1': 'a', k: [true, null] }],
    ['0x1f', 31], ['-1.5', -1.5], ["r'\\n'", '\\n'], ["'''tri\nple'''", 'tri\nple'], ['[1, 2,]', [1, 2]], ["'\\x41\\u00e9'", 'Aé'],
  ];
  for (const [src, want] of cases) test(src, () => expect(ok(parsePyLiteral(src))).toEqual(want));
  test('rejects names and calls', () => {
    expect(parsePyLiteral('foo').ok).toBe(false);
    expect(parsePyLiteral('f(1)').ok).toBe(false);
  });
});

describe('parseJsonish', () => {
  test('fence → strict → embedded candidate → Python literal', () => {
    expect(ok(parseJsonish('```\n[1]\n```'))).toEqual([1]);
    expect(ok(parseJsonish('The answer is {"ok": true}.'))).toEqual({ ok: true });
    expect(ok(parseJsonish("{'ok': False}"))).toEqual({ ok: false });
    expect(parseJsonish('nothing here').ok).toBe(false);
  });
});
