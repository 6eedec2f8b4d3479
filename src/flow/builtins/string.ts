// String builtins (docs/flows.md "Node families"). Every value is rendered with Python str(), so `None`, `True`
// and `5.0` appear exactly as the reference prints them.

import { decodeEscapes, own, pyJsonDumps, pyLen, pySlice, pySplit, pyStr, pyStrip, toInt } from '../values.ts';
import { isPlainObject } from '../../model/index.ts';
import { arg, asList, walkPath, type Inputs, type NodeData } from './common.ts';
import { pyFormat } from './format.ts';

/** Without pin metadata: single-letter keys a–z first, then the other keys, each sorted. */
function concatKeys(inputs: Inputs): string[] {
  const order = inputs._pin_order;
  if (Array.isArray(order) && order.length) return order.filter((k): k is string => typeof k === 'string' && own(inputs, k) !== undefined);
  const keys = Object.keys(inputs).filter((k) => !k.startsWith('_') && inputs[k] !== undefined);
  const letters = keys.filter((k) => /^[a-z]$/.test(k)).sort();
  return [...letters, ...keys.filter((k) => !/^[a-z]$/.test(k)).sort()];
}

function concat(inputs: Inputs, data: NodeData = {}): string {
  const sep = data.concatConfig?.separator;
  const separator = typeof sep === 'string' ? decodeEscapes(sep) : ' ';
  return concatKeys(inputs)
    .filter((k) => inputs[k] !== undefined)
    .map((k) => (inputs[k] === null ? '' : pyStr(inputs[k])))
    .join(separator);
}

function split(inputs: Inputs): string[] {
  const text = pyStr(inputs.text ?? '');
  const d = inputs.delimiter;
  const delimiter = d === undefined || d === null ? ',' : decodeEscapes(pyStr(d));
  const ms = inputs.maxsplit;
  const maxsplit = ms === undefined || ms === null ? -1 : toInt(ms);
  let parts = delimiter === '' ? (text === '' ? [] : [text]) : pySplit(text, delimiter, maxsplit);
  if (truthyFlag(inputs.trim)) parts = parts.map(pyStrip);
  if (truthyFlag(inputs.drop_empty)) parts = parts.filter((p) => p !== '');
  return parts;
}

/** Boolean options that default to true when absent; strings like "false" still read as false. */
function truthyFlag(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === 'string') return !['false', '0', 'no', 'off', ''].includes(v.trim().toLowerCase());
  return Boolean(v);
}

function join(inputs: Inputs): string {
  const d = inputs.delimiter;
  const delimiter = d === undefined || d === null ? ',' : decodeEscapes(pyStr(d));
  return asList(inputs.items).map((x) => (x === null || x === undefined ? '' : pyStr(x))).join(delimiter);
}

function replaceCount(mode: unknown): number {
  if (mode === null || mode === undefined) return -1;
  const m = pyStr(mode).trim().toLowerCase();
  if (['', 'all', '*', 'global'].includes(m)) return -1;
  if (['first', 'once', '1'].includes(m)) return 1;
  try {
    const n = toInt(m);
    return n < 0 ? -1 : n;
  } catch {
    return -1;
  }
}

function replace(inputs: Inputs): string {
  const text = pyStr(inputs.text ?? '');
  const pattern = inputs.pattern === null || inputs.pattern === undefined ? '' : pyStr(inputs.pattern);
  if (pattern === '') return text;
  const repl = inputs.replacement === null || inputs.replacement === undefined ? '' : pyStr(inputs.replacement);
  let count = replaceCount(inputs.mode);
  let out = '', pos = 0;
  while (count !== 0) {
    const i = text.indexOf(pattern, pos);
    if (i < 0) break;
    out += text.slice(pos, i) + repl;
    pos = i + pattern.length;
    count--;
  }
  return out + text.slice(pos);
}

// ---- string_template: {{ path | filter | ... }}

/** Split a filter chain on `|` outside quotes. */
function splitPipes(expr: string): string[] {
  const parts: string[] = [];
  let cur = '', q = '';
  for (const c of expr) {
    if (q) { if (c === q) q = ''; cur += c; } else if (c === '"' || c === "'") { q = c; cur += c; } else if (c === '|') { parts.push(cur); cur = ''; } else cur += c;
  }
  parts.push(cur);
  return parts.map((p) => p.trim());
}

function applyFilter(v: unknown, filter: string): unknown {
  const m = /^(\w+)\s*(?:\(\s*([\s\S]*?)\s*\))?$/.exec(filter);
  if (!m) return v;
  const name = m[1]!.toLowerCase();
  if (name === 'json') return pyJsonDumps(v, { sortKeys: true, ensureAscii: false });
  if (name === 'trim') return pyStrip(v === null ? '' : pyStr(v));
  if (name === 'lower') return (v === null ? '' : pyStr(v)).toLowerCase();
  if (name === 'upper') return (v === null ? '' : pyStr(v)).toUpperCase();
  if (name === 'join') {
    let sep = ', ';
    if (m[2] !== undefined && m[2] !== '') sep = m[2].replace(/^(["'])([\s\S]*)\1$/, '$2');
    return Array.isArray(v) ? v.map((x) => (x === null ? '' : pyStr(x))).join(sep) : v === null ? '' : pyStr(v);
  }
  return v; // unknown filters are ignored, like the reference
}

function stringTemplate(inputs: Inputs): string {
  const template = inputs.template === null || inputs.template === undefined ? '' : pyStr(inputs.template);
  const vars = isPlainObject(inputs.vars) ? inputs.vars : {};
  return template.replace(/\{\{([\s\S]*?)\}\}/g, (_, expr: string) => {
    const [path = '', ...filters] = splitPipes(expr);
    let v: unknown = walkPath(vars, path).value ?? null;
    for (const f of filters) v = applyFilter(v, f);
    return v === null || v === undefined ? '' : pyStr(v);
  });
}

const text = (i: Inputs): string => pyStr(arg(i, 'text', ''));

export const STRING: Record<string, (inputs: Inputs, data?: NodeData) => unknown> = {
  concat,
  split,
  join,
  replace,
  string_template: stringTemplate,
  format: (i) => {
    const template = pyStr(arg(i, 'template', ''));
    return isPlainObject(i.values) ? pyFormat(template, i.values) : template;
  },
  uppercase: (i) => text(i).toUpperCase(),
  lowercase: (i) => text(i).toLowerCase(),
  trim: (i) => pyStrip(text(i)),
  substring: (i) => {
    const start = i.start === undefined || i.start === null ? 0 : toInt(i.start);
    const end = i.end === undefined || i.end === null ? null : toInt(i.end);
    return pySlice(text(i), start, end);
  },
  length: (i) => pyLen(text(i)),
  is_empty_string: (i) => pyStr(i.text ?? '') === '',
  contains: (i) => {
    const p = i.pattern;
    if (p === null || p === undefined || p === '') return false;
    return pyStr(i.text ?? '').includes(pyStr(p));
  },
};
