// Python value semantics that leak into VisualFlow outputs (docs/flows.md "Python value semantics"). The reference runtime is
// Python, so string rendering, truthiness, equality, ordering, rounding, slicing and json.dumps output must
// follow Python, not JavaScript.
//
// Floats: JS cannot tell `5` from `5.0`, yet Python renders them differently ("5" vs "5.0"). Math builtins
// therefore return integral floats boxed as `PyFloat` (a Number subclass: arithmetic and JSON.stringify
// work, `typeof` is "object"). Non-integral numbers are unambiguous and stay primitive. The marker survives
// run checkpoints and child-run vars (src/util/pyfloat.ts tags it in the stored run JSON only); on the wire
// it is a plain JSON number (`toJsonValue` makes a plain copy where one is needed).
import { isPlainObject } from '../model/index.ts';

import { PyFloat } from '../util/pyfloat.ts';

export { PyFloat };

/** A Python float result: boxed when integral (so it renders "5.0"), primitive otherwise. */
export function pyFloat(n: number): number | PyFloat {
  return Number.isInteger(n) ? new PyFloat(n) : n;
}

/** int/float (not bool): primitive numbers and boxed floats. */
export const isNum = (v: unknown): v is number | PyFloat => typeof v === 'number' || v instanceof Number;
export const isFloat = (v: unknown): boolean =>
  v instanceof Number || (typeof v === 'number' && !Number.isInteger(v));
/** Unbox a number-like value (bools count as 0/1 like Python ints). */
const numVal = (v: number | PyFloat | boolean): number => (typeof v === 'boolean' ? (v ? 1 : 0) : Number(v));

/** An own property (never one inherited from Object.prototype, e.g. a pin named "constructor"). */
export const own = (o: Record<string, any>, k: string): any => (Object.hasOwn(o, k) ? o[k] : undefined);

/** Define an own enumerable property; plain assignment of "__proto__" would replace the prototype instead. */
export function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Deep copy keeping boxed floats (vars, node outputs, child-run payloads), undefined dropped. */
export function cloneValue(v: unknown): unknown {
  if (v instanceof Number) return v;
  if (Array.isArray(v)) return v.map(cloneValue);
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) setOwn(out, k, cloneValue(x));
    return out;
  }
  return v;
}

/** Deep copy with boxed floats turned back into plain numbers (hashing, files, HTTP). */
export function toJsonValue(v: unknown): unknown {
  if (v instanceof Number) return v.valueOf();
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) setOwn(out, k, toJsonValue(x));
    return out;
  }
  return v;
}

export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (isNum(v)) return isFloat(v) ? 'float' : 'int';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}

// ---------------------------------------------------------------- rendering

/** Python `repr(float)`: shortest round-trip digits, exponent form outside 1e-4 <= |x| < 1e16. */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expStr] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '');
  const exp = Number(expStr);
  const sign = x < 0 ? '-' : '';
  const decpt = exp + 1;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

function intStr(n: number): string {
  if (Object.is(n, -0)) return '0';
  return Math.abs(n) < 1e21 ? String(n) : BigInt(n).toString();
}

function numStr(v: number | PyFloat): string {
  const n = Number(v);
  return isFloat(v) ? floatRepr(n) : intStr(n);
}

const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

/** Python `repr(str)`: single quotes unless the text has ' and no ", escapes for non-printables. */
export function strRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    if (ch === q || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && NON_PRINTABLE.test(ch)) {
      const cp = ch.codePointAt(0)!;
      out += cp < 0x100 ? '\\x' + cp.toString(16).padStart(2, '0')
        : cp < 0x10000 ? '\\u' + cp.toString(16).padStart(4, '0') : '\\U' + cp.toString(16).padStart(8, '0');
    } else out += ch;
  }
  return out + q;
}

/** Python `repr(v)` for JSON-like values. */
export function pyRepr(v: unknown): string {
  if (typeof v === 'string') return strRepr(v);
  if (Array.isArray(v)) return '[' + v.map(pyRepr).join(', ') + ']';
  if (isPlainObject(v)) return '{' + Object.entries(v).map(([k, x]) => `${strRepr(k)}: ${pyRepr(x)}`).join(', ') + '}';
  return pyStr(v);
}

/** Python `str(v)`: None → "None", True → "True", 5.0 → "5.0", containers as repr. */
export function pyStr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (isNum(v)) return numStr(v);
  return pyRepr(v);
}

// ---------------------------------------------------------------- truthiness, equality, ordering

/** Python `bool(v)`: empty string/list/dict, 0, 0.0, None are false (NaN is true). */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (isNum(v)) return Number(v) !== 0;
  if (typeof v === 'string' || Array.isArray(v)) return v.length > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

const numeric = (v: unknown): v is number | PyFloat | boolean => typeof v === 'boolean' || isNum(v);

/** Python `==`: deep, `1 == 1.0 == True`, str never equals a number, None only equals None. */
export function pyEquals(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) {
    return (a === null || a === undefined) && (b === null || b === undefined);
  }
  if (numeric(a) && numeric(b)) return numVal(a) === numVal(b);
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => pyEquals(x, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && pyEquals(a[k], b[k]));
  }
  return false;
}

/** Compare strings by code point (Python) rather than UTF-16 unit (JS). */
function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const ai = a[Symbol.iterator](), bi = b[Symbol.iterator]();
  for (;;) {
    const x = ai.next(), y = bi.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d) return d;
  }
}

type OrderOp = '<' | '<=' | '>' | '>=';

/** Python ordering; `null` when Python would raise TypeError (e.g. str vs int, None vs anything). */
function pyOrder(a: unknown, op: OrderOp, b: unknown): boolean | null {
  let c: number;
  if (numeric(a) && numeric(b)) {
    const x = numVal(a), y = numVal(b);
    return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
  } else if (typeof a === 'string' && typeof b === 'string') {
    c = compareCodePoints(a, b);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (!pyEquals(a[i], b[i])) return pyOrder(a[i], op, b[i]);
    c = a.length - b.length;
  } else return null;
  return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
}

const COMPARE_OPS = ['==', '!=', '<', '<=', '>', '>='] as const;

/** The `compare` node: Python semantics; incomparable types give false (the reference catches TypeError). */
export function pyCompare(a: unknown, op: string, b: unknown): boolean {
  if (op === '==') return pyEquals(a, b);
  if (op === '!=') return !pyEquals(a, b);
  if (op === '<' || op === '<=' || op === '>' || op === '>=') return pyOrder(a, op, b) ?? false;
  throw new Error(`Unknown comparison operator '${op}' (expected one of ${COMPARE_OPS.join(' ')})`);
}

// ---------------------------------------------------------------- numbers

const D = String.raw`\d(?:_?\d)*`;
const FLOAT_RE = new RegExp(String.raw`^[+-]?(?:(?:${D}\.?(?:${D})?|\.${D})(?:[eE][+-]?${D})?|inf(?:inity)?|nan)$`, 'i');

/** Python `float(v)`: numbers, bools, numeric strings; raises Python's messages otherwise. */
export function toFloat(v: unknown): number {
  if (numeric(v)) return numVal(v);
  if (typeof v === 'string') {
    const s = pyStrip(v);
    if (FLOAT_RE.test(s)) {
      const t = s.replace(/_/g, '').toLowerCase();
      if (t.endsWith('nan')) return NaN;
      if (t.endsWith('inf') || t.endsWith('infinity')) return t.startsWith('-') ? -Infinity : Infinity;
      return Number(t);
    }
    throw new Error(`could not convert string to float: ${strRepr(v)}`);
  }
  throw new Error(`float() argument must be a string or a real number, not '${pyTypeName(v)}'`);
}

/** Python `int(v)`: truncates floats, parses integer strings (not "3.5"). */
export function toInt(v: unknown): number {
  if (numeric(v)) {
    const n = numVal(v);
    if (Number.isNaN(n)) throw new Error('cannot convert float NaN to integer');
    if (!Number.isFinite(n)) throw new Error('cannot convert float infinity to integer');
    return Math.trunc(n) + 0;
  }
  if (typeof v === 'string') {
    const s = pyStrip(v);
    if (/^[+-]?\d(?:_?\d)*$/.test(s)) return Number(s.replace(/_/g, ''));
    throw new Error(`invalid literal for int() with base 10: ${strRepr(v)}`);
  }
  throw new Error(`int() argument must be a string, a bytes-like object or a real number, not '${pyTypeName(v)}'`);
}

/** Exact decimal expansion of a finite double: |x| = digits × 10^exp. */
function exactDecimal(x: number): { digits: bigint; exp: number } {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, Math.abs(x));
  const bits = buf.getBigUint64(0);
  const biased = Number(bits >> 52n);
  let mant = bits & ((1n << 52n) - 1n);
  if (biased) mant |= 1n << 52n;
  const e2 = (biased || 1) - 1075;
  return e2 >= 0 ? { digits: mant << BigInt(e2), exp: 0 } : { digits: mant * 5n ** BigInt(-e2), exp: e2 };
}

/** digits / 10^shift rounded half-to-even (shift > 0). */
function divRoundHalfEven(digits: bigint, shift: number): bigint {
  const p = 10n ** BigInt(shift);
  const q = digits / p, r2 = (digits % p) * 2n;
  return r2 > p || (r2 === p && q % 2n === 1n) ? q + 1n : q;
}

/** |x| rounded half-even (on the exact binary value, like CPython) to `nd` decimals: integer scaled by 10^nd. */
function scaledRound(x: number, nd: number): bigint {
  const { digits, exp } = exactDecimal(x);
  const shift = -nd - exp;
  return shift <= 0 ? digits * 10n ** BigInt(-shift) : divRoundHalfEven(digits, shift);
}

function placePoint(scaled: bigint, nd: number): string {
  if (nd <= 0) return (scaled * 10n ** BigInt(-nd)).toString();
  const s = scaled.toString().padStart(nd + 1, '0');
  return `${s.slice(0, -nd)}.${s.slice(-nd)}`;
}

/** Python `'%.{nd}f' % x` (correctly rounded, half-even on exact ties). */
export function formatFixed(x: number, nd: number): string {
  if (!Number.isFinite(x)) return floatRepr(x);
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  return sign + placePoint(scaledRound(x, nd), nd);
}

/** Python `'%.{p}e' % x`: mantissa with `p` decimals and a two-digit exponent. */
export function formatExp(x: number, p: number): string {
  if (!Number.isFinite(x)) return floatRepr(x);
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return `${sign}${p > 0 ? '0.' + '0'.repeat(p) : '0'}e+00`;
  const { digits, exp } = exactDecimal(x);
  const len = digits.toString().length;
  let e10 = exp + len - 1;
  let kept = len - (p + 1) > 0 ? divRoundHalfEven(digits, len - (p + 1)) : digits * 10n ** BigInt(p + 1 - len);
  if (kept.toString().length > p + 1) { kept /= 10n; e10 += 1; }
  const ks = kept.toString();
  const m = p > 0 ? `${ks[0]}.${ks.slice(1)}` : ks;
  return `${sign}${m}e${e10 < 0 ? '-' : '+'}${String(Math.abs(e10)).padStart(2, '0')}`;
}

/** Python `round(float(x), nd)`: banker's rounding on the exact value; always a float. */
export function pyRound(x: number, nd = 0): number | PyFloat {
  if (!Number.isFinite(x) || nd > 330) return pyFloat(x);
  const r = Number(formatFixed(x, nd));
  return pyFloat(r === 0 && (x < 0 || Object.is(x, -0)) ? -0 : r);
}

/** Python float `%`: result takes the sign of the divisor. Caller handles b == 0. */
export function pyMod(a: number, b: number): number {
  let m = a % b;
  if (m !== 0) { if (b < 0 !== m < 0) m += b; } else m = b < 0 ? -0 : 0;
  return m;
}

// ---------------------------------------------------------------- strings

const WS = '\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';
const isWs = (c: string): boolean => WS.includes(c);

/** Python `str.strip()` (its whitespace set differs slightly from JS trim). */
export function pyStrip(s: string): string {
  let i = 0, j = s.length;
  while (i < j && isWs(s[i]!)) i++;
  while (j > i && isWs(s[j - 1]!)) j--;
  return s.slice(i, j);
}

const hasSurrogates = (s: string): boolean => /[\ud800-\udfff]/.test(s);

/** Python `len(str)` (code points). */
export const pyLen = (s: string): number => (hasSurrogates(s) ? Array.from(s).length : s.length);

/** Python `s[start:end]` on code points: negative indices count from the end, out-of-range clamps. */
export function pySlice(s: string, start?: number | null, end?: number | null): string {
  const cps = hasSurrogates(s) ? Array.from(s) : null;
  const n = cps ? cps.length : s.length;
  const norm = (i: number | null | undefined, dflt: number): number =>
    i === null || i === undefined ? dflt : i < 0 ? Math.max(0, i + n) : Math.min(i, n);
  const a = norm(start, 0), b = norm(end, n);
  if (a >= b) return '';
  return cps ? cps.slice(a, b).join('') : s.slice(a, b);
}

/** Python `s.split(sep, maxsplit)`; `sep` null splits on whitespace runs. */
export function pySplit(s: string, sep: string | null = null, maxsplit = -1): string[] {
  if (sep === '') throw new Error('empty separator');
  const out: string[] = [];
  if (sep !== null) {
    let pos = 0;
    while (maxsplit < 0 || out.length < maxsplit) {
      const i = s.indexOf(sep, pos);
      if (i < 0) break;
      out.push(s.slice(pos, i));
      pos = i + sep.length;
    }
    out.push(s.slice(pos));
    return out;
  }
  let i = 0;
  const n = s.length;
  for (;;) {
    while (i < n && isWs(s[i]!)) i++;
    if (i >= n) return out;
    if (maxsplit >= 0 && out.length >= maxsplit) {
      out.push(s.slice(i)); // like Python, the remainder keeps its trailing whitespace
      return out;
    }
    let j = i;
    while (j < n && !isWs(s[j]!)) j++;
    out.push(s.slice(i, j));
    i = j;
  }
}

/** Node configs write `\n`, `\t`, `\r` as backslash-letter; the reference decodes just those. */
export const decodeEscapes = (s: string): string =>
  s.replace(/\\([ntr])/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : '\r'));

// ---------------------------------------------------------------- json.dumps

export interface DumpsOptions {
  /** null/undefined = one line. */
  indent?: number | null;
  sortKeys?: boolean;
  /** Python's default is true (non-ASCII as \uXXXX). */
  ensureAscii?: boolean;
  /** [item, key] separators; Python default is [", ", ": "] (or [",", ": "] with indent). */
  separators?: [string, string];
}

function jsonString(s: string, ascii: boolean): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || (ascii && c > 0x7e)) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += s[i];
  }
  return out + '"';
}

/** Python `json.dumps` (floats as repr, NaN/Infinity tokens, Python separators). */
export function pyJsonDumps(value: unknown, opts: DumpsOptions = {}): string {
  const indent = opts.indent ?? null;
  const ascii = opts.ensureAscii ?? true;
  const [itemSep, keySep] = opts.separators ?? (indent === null ? [', ', ': '] : [',', ': ']);
  const enc = (v: unknown, level: number): string => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'string') return jsonString(v, ascii);
    if (isNum(v)) {
      const n = Number(v);
      if (Number.isNaN(n)) return 'NaN';
      if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
      return numStr(v);
    }
    const isArr = Array.isArray(v);
    const entries: [string | null, unknown][] = isArr
      ? (v as unknown[]).map((x) => [null, x])
      : Object.entries(v as object).filter(([, x]) => x !== undefined);
    if (!isArr && opts.sortKeys) entries.sort(([a], [b]) => compareCodePoints(a!, b!));
    const [open, close] = isArr ? ['[', ']'] : ['{', '}'];
    if (entries.length === 0) return open + close;
    const items = entries.map(([k, x]) => (k === null ? '' : jsonString(k, ascii) + keySep) + enc(x, level + 1));
    if (indent === null) return open + items.join(itemSep) + close;
    const pad = '\n' + ' '.repeat(indent * (level + 1));
    return open + pad + items.join(itemSep + pad) + '\n' + ' '.repeat(indent * level) + close;
  };
  return enc(value, 0);
}
