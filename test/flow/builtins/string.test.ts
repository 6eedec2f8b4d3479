import { describe, expect, test } from 'bun:test';
import { BUILTINS } from '../../../src/flow/builtins/index.ts';
import { pyFloat } from '../../../src/flow/values.ts';

const run = (type: string, inputs: Record<string, unknown> = {}, data?: Record<string, unknown>) => BUILTINS[type]!(inputs, data);

describe('concat', () => {
  test('probe: add(3,2) piped into concat renders "n= 5.0"', () => {
    const sum = BUILTINS.add!({ a: 3, b: 2 });
    expect(run('concat', { a: 'n=', b: sum, _pin_order: ['a', 'b'] })).toBe('n= 5.0');
  });
  test('recursive example: float 0.0 vs int 0 after a default ending in a space', () => {
    const pins = { _pin_order: ['a', 'b'] };
    expect(run('concat', { ...pins, a: 'Final number : ', b: BUILTINS.subtract!({ a: 1, b: 1 }) })).toBe('Final number :  0.0');
    expect(run('concat', { ...pins, a: 'Final number : ', b: 0 })).toBe('Final number :  0');
  });
  test('declared pin order, only present pins, null → "", Python str() of others', () => {
    expect(run('concat', { c: 'C', a: 'A', b: null, _pin_order: ['a', 'b', 'c', 'd'] })).toBe('A  C');
    expect(run('concat', { b: true, a: [1, 'x'], _pin_order: ['b', 'a'] })).toBe("True [1, 'x']");
  });
  test('separator from concatConfig has escapes decoded; pin values do not', () => {
    const data = { concatConfig: { separator: '\\n' } };
    expect(run('concat', { a: 'x', b: '\\n', _pin_order: ['a', 'b'] }, data)).toBe('x\n\\n');
    expect(run('concat', { a: 'x', b: 'y', _pin_order: ['a', 'b'] }, { concatConfig: { separator: '' } })).toBe('xy');
  });
  test('without pin metadata: single letters sorted, then other keys sorted; private keys ignored', () => {
    expect(run('concat', { foo: 'F', b: '2', z: 'Z', a: '1', bar: 'B', _literalValue: 'L' })).toBe('1 2 Z B F');
  });
});

describe('split', () => {
  const cases: [Record<string, unknown>, string[]][] = [
    [{ text: 'A@@B@@', delimiter: '@@' }, ['A', 'B']],
    [{ text: ' a , b ,, c ' }, ['a', 'b', 'c']],
    [{ text: ' a , b ,, c ', trim: false, drop_empty: false }, [' a ', ' b ', '', ' c ']],
    [{ text: 'a,b,c', maxsplit: 1 }, ['a', 'b,c']],
    [{ text: 'x\ny', delimiter: '\\n' }, ['x', 'y']],
    [{ text: 'abc', delimiter: '' }, ['abc']],
    [{ text: '', delimiter: '' }, []],
    [{ text: null }, []],
    [{ text: 5 }, ['5']],
    [{ text: 'a, ,b', drop_empty: 'false' }, ['a', '', 'b']],
  ];
  for (const [inputs, want] of cases) test(JSON.stringify(inputs), () => expect(run('split', inputs)).toEqual(want));
});

describe('join', () => {
  test('str() of items, null → "", escapes decoded', () => {
    expect(run('join', { items: [1, null, pyFloat(2), 'x', true] })).toBe('1,,2.0,x,True');
    expect(run('join', { items: ['a', 'b'], delimiter: '\\n' })).toBe('a\nb');
    expect(run('join', { items: [[1, 2], { k: 'v' }], delimiter: ' | ' })).toBe("[1, 2] | {'k': 'v'}");
    expect(run('join', { items: null })).toBe('');
    expect(run('join', { items: 'solo' })).toBe('solo');
  });
});

describe('format', () => {
  test('str.format(**values)', () => {
    expect(run('format', { template: '{name} is {age}', values: { name: 'Al', age: 30 } })).toBe('Al is 30');
    expect(run('format', { template: '{x:.2f} {x!r} {{x}}', values: { x: 3.14159 } })).toBe('3.14 3.14159 {x}');
    expect(run('format', { template: '{v} {d[k]} {l[1]}', values: { v: null, d: { k: true }, l: [1, pyFloat(2)] } })).toBe('None True 2.0');
  });
  test('non-object values leave the template unchanged', () => {
    expect(run('format', { template: 'Hi {name}', values: 'x' })).toBe('Hi {name}');
    expect(run('format', { template: 'Hi {name}' })).toBe('Hi {name}');
  });
  test('errors: missing key, positional fields, stray braces', () => {
    expect(() => run('format', { template: 'Hi {name}', values: {} })).toThrow("no value for field 'name'");
    expect(() => run('format', { template: 'Hi {}', values: {} })).toThrow('Replacement index 0 out of range');
    expect(() => run('format', { template: 'Hi }', values: {} })).toThrow("Single '}' encountered");
    expect(() => run('format', { template: 'Hi {x', values: { x: 1 } })).toThrow("expected '}' before end of string");
    expect(() => run('format', { template: '{x.y}', values: { x: {} } })).toThrow("'dict' object has no attribute 'y'");
  });
});

describe('string_template', () => {
  test('AbstractFlow fixture: paths, trim/join/json filters, missing → ""', () => {
    const template = 'Hello {{ user.name | trim }} age={{ user.age }} tags={{ tags | join }} json={{ user | json }} missing={{ nope }}';
    const vars = { user: { name: ' Alice ', age: 30 }, tags: ['a', 'b'] };
    expect(run('string_template', { template, vars })).toBe('Hello Alice age=30 tags=a, b json={"age": 30, "name": " Alice "} missing=');
  });
  test('bracket paths, quoted join separators containing a pipe, upper/lower, unknown filters ignored', () => {
    const vars = { items: [{ n: 'x' }, { n: 'y' }], t: ['a', 'b'], ok: true, f: pyFloat(1), s: 'MiXed' };
    const template = '{{items[1].n}}|{{ t | join(" | ") }}|{{ t | join(-) }}|{{ok}}|{{f}}|{{ s | lower }}{{ s | upper | bogus }}|{{ items.0.n }}';
    expect(run('string_template', { template, vars })).toBe('y|a | b|a-b|True|1.0|mixedMIXED|x');
  });
  test('null and non-object vars render empty; json keeps non-ASCII', () => {
    expect(run('string_template', { template: '[{{ a }}]', vars: { a: null } })).toBe('[]');
    expect(run('string_template', { template: '[{{ a }}]', vars: 'nope' })).toBe('[]');
    expect(run('string_template', { template: '{{ a | json }}', vars: { a: { z: 'é', b: [1] } } })).toBe('{"b": [1], "z": "é"}');
  });
});

describe('simple string nodes', () => {
  test('case and trim operate on str(text)', () => {
    expect(run('uppercase', { text: 'abc' })).toBe('ABC');
    expect(run('uppercase', { text: null })).toBe('NONE');
    expect(run('lowercase', { text: true })).toBe('true');
    expect(run('uppercase', {})).toBe('');
    expect(run('trim', { text: '\x1c a \u3000' })).toBe('a');
  });
  test('substring uses Python slices', () => {
    expect(run('substring', { text: 'hello', start: -3 })).toBe('llo');
    expect(run('substring', { text: 'hello', start: 1, end: -1 })).toBe('ell');
    expect(run('substring', { text: 'hello', start: '2', end: null })).toBe('llo');
    expect(run('substring', { text: 'hello', start: 2.9, end: 100 })).toBe('llo');
    expect(() => run('substring', { text: 'hello', start: 'x' })).toThrow("invalid literal for int() with base 10: 'x'");
  });
  test('length is len(str(text)): None counts 4', () => {
    expect(run('length', { text: 'abc' })).toBe(3);
    expect(run('length', { text: null })).toBe(4);
    expect(run('length', {})).toBe(0); // probe: an unset pin (missing source key) → 0
    expect(run('length', { text: pyFloat(5) })).toBe(3);
    expect(run('length', { text: ['a'] })).toBe(5);
    expect(run('length', { text: 'a😀' })).toBe(2);
  });
  test('is_empty_string', () => {
    expect(run('is_empty_string', { text: '' })).toBe(true);
    expect(run('is_empty_string', {})).toBe(true);
    expect(run('is_empty_string', { text: null })).toBe(true);
    expect(run('is_empty_string', { text: ' ' })).toBe(false);
    expect(run('is_empty_string', { text: 0 })).toBe(false);
  });
  test('contains is case-sensitive; empty/null pattern → false; null text → ""', () => {
    expect(run('contains', { text: 'Hello', pattern: 'ell' })).toBe(true);
    expect(run('contains', { text: 'Hello', pattern: 'hello' })).toBe(false);
    expect(run('contains', { text: 'Hello', pattern: '' })).toBe(false);
    expect(run('contains', { text: 'Hello', pattern: null })).toBe(false);
    expect(run('contains', { text: null, pattern: 'x' })).toBe(false);
    expect(run('contains', { text: 'n=5.0', pattern: pyFloat(5) })).toBe(true);
  });
  test('replace modes', () => {
    const base = { text: 'a-b-c-d', pattern: '-', replacement: '+' };
    expect(run('replace', { ...base, mode: 'all' })).toBe('a+b+c+d');
    expect(run('replace', { ...base, mode: 'first' })).toBe('a+b-c-d');
    expect(run('replace', { ...base, mode: 'once' })).toBe('a+b-c-d');
    expect(run('replace', { ...base, mode: null })).toBe('a+b+c+d');
    expect(run('replace', { ...base, mode: '2' })).toBe('a+b+c-d');
    expect(run('replace', { ...base, mode: -1 })).toBe('a+b+c+d');
    expect(run('replace', { ...base, mode: 0 })).toBe('a-b-c-d');
    expect(run('replace', { ...base, pattern: '' })).toBe('a-b-c-d');
    expect(run('replace', { ...base, pattern: null })).toBe('a-b-c-d');
    expect(run('replace', { ...base, replacement: null })).toBe('abcd');
  });
});
