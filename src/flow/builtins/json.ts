// parse_json / stringify_json (docs/flows.md "Node families").

import { pyJsonDumps, pyStr, toInt } from '../values.ts';
import { isPlainObject } from '../../model/index.ts';
import { arg, type Inputs } from './common.ts';
import { parseJsonish } from './jsonish.ts';

/** parse_json: objects/arrays pass through; text is parsed leniently; scalars wrap as `{value}`. */
export function parseJsonValue(text: unknown, wrapScalar = true): unknown {
  if (isPlainObject(text) || Array.isArray(text)) return text;
  const s = text === null || text === undefined ? '' : pyStr(text);
  if (s.trim() === '') throw new Error("parse_json requires a non-empty 'text'");
  const r = parseJsonish(s);
  if (!r.ok) throw new Error(`Invalid JSON: ${r.error} (expected JSON, a fenced JSON block, or a Python literal)`);
  return wrapScalar && !isPlainObject(r.value) && !Array.isArray(r.value) ? { value: r.value } : r.value;
}

function stringify(inputs: Inputs): string {
  let value = arg(inputs, 'value');
  if (typeof value === 'string' && value.trim() !== '') {
    const r = parseJsonish(value); // JSON-ish strings are re-rendered; anything else is dumped as a string
    if (r.ok) value = r.value;
  }
  const sortKeys = Boolean(inputs.sort_keys);
  let mode = typeof inputs.mode === 'string' ? inputs.mode.trim().toLowerCase() : '';
  let indent = 2;
  if (!mode && inputs.indent !== undefined && inputs.indent !== null) {
    try { indent = toInt(inputs.indent); } catch { indent = 2; }
    mode = indent <= 0 ? 'minified' : 'beautify';
  }
  if (mode === 'none') return pyJsonDumps(value, { sortKeys, ensureAscii: false });
  if (mode === 'minified') return pyJsonDumps(value, { sortKeys, ensureAscii: false, separators: [',', ':'] });
  return pyJsonDumps(value, { sortKeys, ensureAscii: false, indent });
}

export const JSON_BUILTINS: Record<string, (inputs: Inputs) => unknown> = {
  parse_json: (i) => parseJsonValue(arg(i, 'text'), i.wrap_scalar === undefined || i.wrap_scalar === null ? true : Boolean(i.wrap_scalar)),
  stringify_json: stringify,
};
