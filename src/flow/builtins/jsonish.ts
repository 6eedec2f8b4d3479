// Lenient JSON reading as the reference's parse_json does it (docs/flows.md "Node families"): strict JSON (Python
// json.loads: NaN/Infinity allowed, "5.0" stays a float), else the first decodable `{`/`[` substring, else a
// Python literal (single quotes, True/False/None, tuples). One recursive-descent parser serves both grammars.

import { pyFloat, pyStr, setOwn } from '../values.ts';

type Mode = 'json' | 'python';

class Fail extends Error {}

class Parser {
  pos = 0;
  constructor(readonly s: string, readonly mode: Mode) {}

  fail(what: string): never {
    throw new Fail(`${what} at position ${this.pos}`);
  }

  ws(): void {
    const re = this.mode === 'json' ? /[ \t\n\r]/ : /[ \t\n\r\f\v]/;
    while (this.pos < this.s.length && re.test(this.s[this.pos]!)) this.pos++;
  }

  eat(tok: string): boolean {
    if (this.s.startsWith(tok, this.pos)) { this.pos += tok.length; return true; }
    return false;
  }

  value(): unknown {
    this.ws();
    const c = this.s[this.pos];
    if (c === undefined) this.fail('unexpected end of text');
    if (c === '{') return this.braces();
    if (c === '[') return this.seq('[', ']');
    if (this.mode === 'python' && c === '(') return this.seq('(', ')');
    if (c === '"' || (this.mode === 'python' && (c === "'" || /[rRuUbB]/.test(c) && /['"]/.test(this.s[this.pos + 1] ?? '')))) {
      return this.strings();
    }
    const words: [string, unknown][] = this.mode === 'json'
      ? [['true', true], ['false', false], ['null', null], ['NaN', NaN], ['Infinity', Infinity], ['-Infinity', -Infinity]]
      : [['True', true], ['False', false], ['None', null]];
    for (const [w, v] of words) {
      if (this.s.startsWith(w, this.pos) && !/\w/.test(this.s[this.pos + w.length] ?? '')) {
        this.pos += w.length;
        return typeof v === 'number' ? pyFloat(v) : v;
      }
    }
    return this.number();
  }

  number(): unknown {
    const rest = this.s.slice(this.pos);
    if (this.mode === 'json') {
      const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(rest);
      if (!m) this.fail('expecting value');
      this.pos += m[0].length;
      return m[1] || m[2] ? pyFloat(Number(m[0])) : Number(m[0]);
    }
    const sign = /^[+-]\s*/.exec(rest);
    if (sign) {
      this.pos += sign[0].length;
      const v = this.number();
      if (typeof v !== 'number' && !(v instanceof Number)) this.fail('bad operand for unary sign');
      return sign[0][0] === '-' ? (v instanceof Number ? pyFloat(-Number(v)) : -(v as number)) : v;
    }
    const radix = /^0([xob])([0-9a-f_]+)/i.exec(rest);
    if (radix) {
      this.pos += radix[0].length;
      return parseInt(radix[2]!.replace(/_/g, ''), { x: 16, o: 8, b: 2 }[radix[1]!.toLowerCase() as 'x' | 'o' | 'b']);
    }
    const m = /^(?:\d(?:_?\d)*)?(\.(?:\d(?:_?\d)*)?)?([eE][+-]?\d(?:_?\d)*)?/.exec(rest);
    if (!m || !m[0] || m[0] === '.' || !/\d/.test(m[0])) this.fail('expecting value');
    this.pos += m[0].length;
    const n = Number(m[0].replace(/_/g, ''));
    return m[1] || m[2] ? pyFloat(n) : n;
  }

  strings(): string {
    let out = this.string();
    if (this.mode === 'python') {
      for (;;) { // implicit concatenation: 'a' "b"
        const save = this.pos;
        this.ws();
        const c = this.s[this.pos];
        if (c === '"' || c === "'" || (c && /[rRuU]/.test(c) && /['"]/.test(this.s[this.pos + 1] ?? ''))) out += this.string();
        else { this.pos = save; return out; }
      }
    }
    return out;
  }

  string(): string {
    let raw = false;
    if (/[rRuUbB]/.test(this.s[this.pos]!)) { raw = /[rR]/.test(this.s[this.pos]!); this.pos++; }
    const q = this.s[this.pos]!;
    const triple = this.mode === 'python' && this.s.startsWith(q.repeat(3), this.pos);
    const close = triple ? q.repeat(3) : q;
    this.pos += close.length;
    let out = '';
    for (;;) {
      if (this.pos >= this.s.length) this.fail('unterminated string');
      if (this.eat(close)) return out;
      const c = this.s[this.pos++]!;
      if (c === '\\') {
        const e = this.s[this.pos++];
        if (e === undefined) this.fail('unterminated string');
        if (raw) { out += '\\' + e; continue; }
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (this.mode === 'python') Object.assign(simple, { "'": "'", '\n': '', a: '\x07', v: '\v', '0': '\0' });
        if (e in simple) { out += simple[e]; continue; }
        const len = e === 'u' ? 4 : this.mode === 'python' ? (e === 'x' ? 2 : e === 'U' ? 8 : 0) : 0;
        if (!len) {
          if (this.mode === 'json') this.fail('invalid escape');
          out += '\\' + e; // Python keeps unknown escapes verbatim
          continue;
        }
        const hex = this.s.slice(this.pos, this.pos + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) this.fail('invalid escape');
        this.pos += len;
        out += len === 4 ? String.fromCharCode(parseInt(hex, 16)) : String.fromCodePoint(parseInt(hex, 16));
      } else {
        if (this.mode === 'json' && c < ' ') this.fail('invalid control character');
        if (!triple && c === '\n') this.fail('unterminated string');
        out += c;
      }
    }
  }

  seq(open: string, close: string): unknown {
    this.pos++;
    const out: unknown[] = [];
    let comma = false;
    this.ws();
    if (this.eat(close)) return out;
    for (;;) {
      out.push(this.value());
      this.ws();
      if (this.eat(close)) break;
      if (!this.eat(',')) this.fail(`expecting ',' or '${close}'`);
      comma = true;
      this.ws();
      if (this.mode === 'python' && this.eat(close)) break; // trailing comma
    }
    // `(x)` is just a parenthesised value in Python; `(x,)` is a tuple.
    return open === '(' && !comma ? out[0] : out;
  }

  braces(): unknown {
    this.pos++;
    const obj: Record<string, unknown> = {};
    this.ws();
    if (this.eat('}')) return obj;
    const first = this.value();
    this.ws();
    if (this.mode === 'python' && (this.s[this.pos] === ',' || this.s[this.pos] === '}')) return this.setRest(first);
    for (let key = first; ;) {
      if (this.mode === 'json' && typeof key !== 'string') this.fail('expecting property name');
      this.ws();
      if (!this.eat(':')) this.fail("expecting ':'");
      setOwn(obj, typeof key === 'string' ? key : pyStr(key), this.value());
      this.ws();
      if (this.eat('}')) return obj;
      if (!this.eat(',')) this.fail("expecting ',' or '}'");
      this.ws();
      if (this.mode === 'python' && this.eat('}')) return obj;
      key = this.value();
    }
  }

  /** A Python set literal `{a, b}` becomes a list (JSON has no sets). */
  setRest(first: unknown): unknown[] {
    const out = [first];
    for (;;) {
      this.ws();
      if (this.eat('}')) return out;
      if (!this.eat(',')) this.fail("expecting ',' or '}'");
      this.ws();
      if (this.eat('}')) return out;
      out.push(this.value());
    }
  }
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

function parseWhole(s: string, mode: Mode): Parsed {
  const p = new Parser(s, mode);
  try {
    const value = p.value();
    p.ws();
    if (p.pos !== s.length) p.fail('extra data');
    return { ok: true, value };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, error: e.message };
    throw e;
  }
}

/** Python `json.loads` (whole text). */
export const parseJsonStrict = (s: string): Parsed => parseWhole(s, 'json');
/** Python `ast.literal_eval` for the literal subset (dict, list, tuple, set, str, numbers, True/False/None). */
export const parsePyLiteral = (s: string): Parsed => parseWhole(s.replace(/^[ \t]+/, ''), 'python');

/** `json.JSONDecoder.raw_decode` at `start`: a value followed by anything. */
function rawDecode(s: string, start: number): Parsed {
  const p = new Parser(s, 'json');
  p.pos = start;
  try {
    return { ok: true, value: p.value() };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, error: e.message };
    throw e;
  }
}

const FENCE_RE = /^```[\w-]*[ \t]*\r?\n?([\s\S]*?)\r?\n?```$/;

/** The parse_json algorithm on a non-empty text. */
export function parseJsonish(text: string): Parsed {
  let s = text.trim();
  const fence = FENCE_RE.exec(s);
  if (fence) s = fence[1]!.trim();
  const strict = parseJsonStrict(s);
  if (strict.ok) return strict;
  let candidates = 0;
  for (let i = 0; i < s.length && candidates < 64; i++) {
    if (s[i] !== '{' && s[i] !== '[') continue;
    candidates++;
    const r = rawDecode(s, i);
    if (r.ok) return r;
  }
  const lit = parsePyLiteral(s);
  return lit.ok ? lit : strict;
}
