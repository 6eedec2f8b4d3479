import { describe, expect, test } from 'bun:test';
import { BUILTINS, LITERAL_TYPES, isBuiltin } from '../../../src/flow/builtins/index.ts';

// Pure builtin node types of docs/flows.md "Node families" (B pure helpers, C/D pure builders, E math, F string, G data).
const CATALOGUE = [
  'compare', 'not', 'and', 'or', 'coalesce', 'path_mux', 'make_context', 'add_message', 'system_datetime',
  'tools_allowlist', 'tool_parameters',
  'add', 'subtract', 'multiply', 'divide', 'modulo', 'power', 'abs', 'round', 'random_int', 'random_float',
  'concat', 'split', 'join', 'format', 'string_template', 'uppercase', 'lowercase', 'trim', 'substring', 'length',
  'is_empty_string', 'contains', 'replace',
  'get', 'set', 'merge', 'make_object', 'make_array', 'array_concat', 'get_element', 'get_random_element', 'array_map',
  'array_filter', 'array_length', 'has_tools', 'array_append', 'array_dedup', 'break_object', 'parse_json',
  'stringify_json', 'format_tool_results', 'agent_trace_report', 'make_meta', 'make_scratchpad', 'edit_json_schema',
];

describe('registry', () => {
  test('covers the catalogue and nothing that needs run state or effects', () => {
    for (const t of CATALOGUE) expect(isBuiltin(t)).toBe(true);
    expect(Object.keys(BUILTINS).sort()).toEqual([...CATALOGUE].sort());
    for (const t of ['llm_call', 'get_var', 'code', 'literal_string', 'toString', '__proto__']) expect(isBuiltin(t)).toBe(false);
  });
  test('literal types', () => {
    expect([...LITERAL_TYPES].sort()).toEqual(['json_schema', 'literal_array', 'literal_boolean', 'literal_json', 'literal_number', 'literal_string']);
  });
  test('bad input never crashes: every builtin returns or throws a plain, readable Error', () => {
    const weird: Record<string, unknown>[] = [
      {}, { _pin_order: [] }, { _pin_order: 'x', _literalValue: 5 },
      Object.fromEntries(['a', 'b', 'text', 'items', 'array', 'object', 'key', 'value', 'template', 'values', 'vars', 'schema',
        'scratchpad', 'tool_results', 'select', 'index', 'mode', 'delimiter', 'pattern', 'start', 'end'].map((k) => [k, null])),
      Object.fromEntries(['a', 'b', 'text', 'items', 'array', 'object', 'key', 'value', 'template', 'values', 'vars', 'schema',
        'scratchpad', 'tool_results', 'select', 'index', 'mode'].map((k) => [k, { nested: [1, { x: null }] }])),
    ];
    for (const [type, fn] of Object.entries(BUILTINS)) {
      for (const inputs of weird) {
        try {
          fn(inputs, { concatConfig: null, breakConfig: { selectedPaths: 'x' } });
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
          expect(e).not.toBeInstanceOf(TypeError);
          expect((e as Error).message).not.toMatch(/undefined is not|Cannot read|is not a function/);
        }
      }
    }
  });
  test('pin names that shadow Object.prototype members are just names', () => {
    expect(BUILTINS.coalesce!({ a: 1, _pin_order: ['constructor', 'a'] })).toBe(1);
    expect(BUILTINS.concat!({ a: 'x', _pin_order: ['toString', 'a'] })).toBe('x');
    expect(BUILTINS.make_array!({ _pin_order: ['valueOf'] })).toEqual([]);
    expect(BUILTINS.get!({ object: {}, key: 'constructor', default: 'd' })).toEqual({ value: 'd' });
    expect(() => BUILTINS.format!({ template: '{constructor}', values: {} })).toThrow("no value for field 'constructor'");
  });
  test('"__proto__" keys stay plain data', () => {
    const parsed = BUILTINS.parse_json!({ text: '{"__proto__": {"polluted": true}}' }) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    const set = BUILTINS.set!({ object: {}, key: '__proto__.polluted', value: true }) as Record<string, unknown>;
    expect(Object.getPrototypeOf(set)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
