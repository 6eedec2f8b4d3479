// Python `str.format(**values)` for the `format` node: `{name}`, `{a.b}`, `{a[0]}`, `{{`/`}}`, conversions
// `!s/!r/!a` and the format-spec mini-language ([[fill]align][sign][z][#][0][width][,|_][.precision][type]).

import { floatRepr, formatExp, formatFixed, isFloat, isNum, pyRepr, pyStr, pyTypeName } from '../values.ts';
import { isPlainObject } from '../../model/index.ts';

export function pyFormat(template: string, values: Record<string, unknown>): string {
  let out = '';
  for (let i = 0; i < template.length;) {
    const c = template[i]!;
    if (c === '{' && template[i + 1] === '{') { out += '{'; i += 2; continue; }
    if (c === '}' && template[i + 1] === '}') { out += '}'; i += 2; continue; }
    if (c === '}') throw new Error("Single '}' encountered in format string");
    if (c !== '{') { out += c; i++; continue; }
    let depth = 1, j = i + 1;
    for (; j < template.length && depth; j++) {
      if (template[j] === '{') depth++;
      else if (template[j] === '}') depth--;
    }
    if (depth) throw new Error("expected '}' before end of string");
    out += renderField(template.slice(i + 1, j - 1), values);
    i = j;
  }
  return out;
}

function renderField(field: string, values: Record<string, unknown>): string {
  let k = 0, inBracket = false;
  for (; k < field.length; k++) {
    const c = field[k];
    if (c === '[') inBracket = true;
    else if (c === ']') inBracket = false;
    else if (!inBracket && (c === '!' || c === ':')) break;
  }
  const name = field.slice(0, k);
  let rest = field.slice(k), conv = '';
  if (rest.startsWith('!')) {
    conv = rest[1] ?? '';
    if (!'sra'.includes(conv) || !conv) throw new Error('Unknown conversion specifier ' + conv);
    rest = rest.slice(2);
    if (rest && !rest.startsWith(':')) throw new Error("expected ':' after conversion specifier");
  }
  const spec = rest.startsWith(':') ? pyFormat(rest.slice(1), values) : '';
  let v = lookup(name, values);
  if (conv === 's') v = pyStr(v);
  else if (conv === 'r') v = pyRepr(v);
  else if (conv === 'a') v = pyRepr(v).replace(/[^\x00-\x7f]/gu, (ch) => {
    const cp = ch.codePointAt(0)!;
    return cp < 0x100 ? '\\x' + cp.toString(16).padStart(2, '0')
      : cp < 0x10000 ? '\\u' + cp.toString(16).padStart(4, '0') : '\\U' + cp.toString(16).padStart(8, '0');
  });
  return formatValue(v, spec);
}

function lookup(name: string, values: Record<string, unknown>): unknown {
  const m = /^([^.[]*)(.*)$/.exec(name)!;
  const arg = m[1]!;
  if (arg === '' || /^\d+$/.test(arg)) {
    throw new Error(`Replacement index ${arg || 0} out of range for positional args tuple (use named fields like {name})`);
  }
  if (!Object.hasOwn(values, arg)) throw new Error(`format: no value for field '${arg}' (KeyError: '${arg}')`);
  let v: unknown = values[arg];
  const re = /\.([^.[]+)|\[([^\]]+)\]/y;
  for (let rest = m[2]!; rest;) {
    re.lastIndex = 0;
    const a = re.exec(rest);
    if (!a) throw new Error(`Invalid field name in format string: '${name}'`);
    rest = rest.slice(a[0].length);
    if (a[1] !== undefined) throw new Error(`'${pyTypeName(v)}' object has no attribute '${a[1]}'`);
    const key = a[2]!;
    const idx = /^\d+$/.test(key) ? Number(key) : null;
    if (Array.isArray(v) && idx !== null) {
      if (idx >= v.length) throw new Error('list index out of range');
      v = v[idx];
    } else if (isPlainObject(v) && idx === null && Object.hasOwn(v, key)) v = v[key];
    else if (isPlainObject(v)) throw new Error(`format: no key ${idx === null ? `'${key}'` : key} in '${name}'`);
    else throw new Error(`'${pyTypeName(v)}' object is not subscriptable`);
  }
  return v;
}

const SPEC_RE = /^(?:([\s\S])?([<>=^]))?([+\- ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/;

/** Python `format(value, spec)` for JSON-like values. */
export function formatValue(v: unknown, spec: string): string {
  if (spec === '') return pyStr(v);
  const m = SPEC_RE.exec(spec);
  if (!m) throw new Error(`Invalid format specifier '${spec}'`);
  const [, fillCh, alignCh, sign, z, alt, zero, widthS, group, precS, type = ''] = m;
  const width = widthS ? Number(widthS) : 0;
  const prec = precS === undefined ? null : Number(precS);
  const fill = fillCh ?? (zero && !alignCh ? '0' : ' ');
  let align = alignCh ?? (zero ? '=' : '');

  if (typeof v === 'string') {
    if (type && type !== 's') throw new Error(`Unknown format code '${type}' for object of type 'str'`);
    if (sign) throw new Error('Sign not allowed in string format specifier');
    if (align === '=') throw new Error("'=' alignment not allowed in string format specifier");
    return pad(prec === null ? v : Array.from(v).slice(0, prec).join(''), '', width, fill, align || '<');
  }
  if (!isNum(v) && typeof v !== 'boolean') {
    throw new Error(`unsupported format string passed to ${pyTypeName(v)}.__format__`);
  }
  const x = Number(v);
  const intLike = typeof v === 'boolean' || !isFloat(v);
  let body: string, prefix = '';
  if (intLike && 'bcdnoxX'.includes(type)) {
    if (prec !== null) throw new Error('Precision not allowed in integer format specifier');
    const n = BigInt(Math.abs(x));
    if (type === 'c') body = String.fromCodePoint(Math.abs(x));
    else {
      const radix = type === 'b' ? 2 : type === 'o' ? 8 : type === 'x' || type === 'X' ? 16 : 10;
      body = n.toString(radix);
      if (type === 'X') body = body.toUpperCase();
      if (alt && radix !== 10) prefix = '0' + (type || 'd');
      if (group) body = groupDigits(body, radix === 10 ? 3 : 4, group);
    }
  } else {
    if (!intLike && type && 'bcdoxX'.includes(type)) throw new Error(`Unknown format code '${type}' for object of type 'float'`);
    body = floatBody(Math.abs(x), type, prec, !!alt);
    if (alt && Number.isFinite(x) && !body.includes('.')) body = body.replace(/(?=e|%|$)/, '.');
    if (type === 'F' || type === 'E' || type === 'G') body = body.toUpperCase();
    if (group) body = body.replace(/^\d+/, (d) => groupDigits(d, 3, group));
  }
  let neg = x < 0 || Object.is(x, -0);
  if (z && Number(body.replace(/[^0-9.e+-]/g, '').replace(/e.*$/, '')) === 0) neg = false;
  if (intLike && Object.is(x, -0)) neg = false;
  const signStr = neg ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '';
  return pad(body, signStr + prefix, width, fill, align || '>');
}

function floatBody(x: number, type: string, prec: number | null, alt: boolean): string {
  if (!Number.isFinite(x)) return floatRepr(x);
  if (type === 'f' || type === 'F') return formatFixed(x, prec ?? 6);
  if (type === 'e' || type === 'E') return formatExp(x, prec ?? 6);
  if (type === '%') return formatFixed(x * 100, prec ?? 6) + '%';
  if (type === '' && prec === null) return floatRepr(x);
  // 'g', 'G', 'n', or no type with a precision: pick fixed or scientific from the rounded exponent.
  const p = prec === null ? 6 : Math.max(prec, 1);
  const sci = formatExp(x, p - 1);
  const exp = x === 0 ? 0 : Number(sci.slice(sci.indexOf('e') + 1));
  const useFixed = type === '' ? exp >= -4 && exp < p - 1 : exp >= -4 && exp < p;
  let s = useFixed ? formatFixed(x, p - 1 - exp) : sci;
  if (!alt) {
    s = s.replace(/(\.\d*?)0+(?=e|$)/, '$1').replace(/\.(?=e|$)/, '');
    if (type === '' && useFixed && !s.includes('.')) s += '.0';
  }
  return s;
}

function groupDigits(d: string, size: number, sep: string): string {
  let out = '';
  for (let i = d.length; i > 0; i -= size) out = d.slice(Math.max(0, i - size), i) + (out ? sep + out : '');
  return out;
}

function pad(body: string, signPrefix: string, width: number, fill: string, align: string): string {
  const len = Array.from(body).length + signPrefix.length;
  const n = Math.max(0, width - len);
  if (align === '=') return signPrefix + fill.repeat(n) + body;
  const s = signPrefix + body;
  if (align === '<') return s + fill.repeat(n);
  if (align === '^') return fill.repeat(Math.floor(n / 2)) + s + fill.repeat(n - Math.floor(n / 2));
  return fill.repeat(n) + s;
}
