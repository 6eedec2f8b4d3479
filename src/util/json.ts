// Canonical JSON as Python's json.dumps(sort_keys=True, separators=(",", ":")) writes it, so that hashes
// computed here match the ones the Python runtime computed (docs/runtime.md "Keys and timestamps", docs/runtime.md "Ledger").

// JSON.stringify escapes strings exactly like Python with ensure_ascii=False (quote, backslash, \b\f\n\r\t,
// other control characters as lower-case \u00xx); ensure_ascii additionally escapes every non-ASCII unit.
const NON_ASCII = /[\u0080-\uffff]/g;
const escapeUnit = (c: string) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');

function escapeString(s: string, asciiOnly: boolean): string {
  const out = JSON.stringify(s);
  return asciiOnly ? out.replace(NON_ASCII, escapeUnit) : out;
}

function num(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : n < 0 ? '-Infinity' : 'NaN';
  return JSON.stringify(n);
}

const SURROGATE = /[\ud800-\udfff]/;

/** Sorted keys, no spaces. `asciiOnly` mirrors Python's ensure_ascii (true for idempotency keys). */
export function canonicalJson(value: unknown, asciiOnly = false): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string': return escapeString(value, asciiOnly);
    case 'number': return num(value);
    case 'boolean': return value ? 'true' : 'false';
    case 'bigint': return value.toString();
    case 'object': {
      // Boxed numbers mark Python floats that happen to be whole (5.0): Python writes them as `5.0`.
      if (value instanceof Number) {
        const n = value.valueOf();
        return Number.isInteger(n) && Math.abs(n) < 1e16 ? `${n}.0` : num(n);
      }
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonicalJson(value[i], asciiOnly);
        return out + ']';
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
      // Python sorts by code point; UTF-16 order differs only when a key has astral characters.
      if (keys.some((k) => SURROGATE.test(k))) keys.sort(comparePy);
      else keys.sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        out += (i ? ',' : '') + escapeString(k, asciiOnly) + ':' + canonicalJson(obj[k], asciiOnly);
      }
      return out + '}';
    }
    default: return 'null';
  }
}

function comparePy(a: string, b: string): number {
  const ai = [...a], bi = [...b];
  const n = Math.min(ai.length, bi.length);
  for (let i = 0; i < n; i++) {
    const d = ai[i]!.codePointAt(0)! - bi[i]!.codePointAt(0)!;
    if (d) return d;
  }
  return ai.length - bi.length;
}

export function sha256Hex(data: string | Uint8Array): string {
  return new Bun.CryptoHasher('sha256').update(data).digest('hex');
}

/** JSON.parse that never throws: returns `fallback` for invalid input. */
export function parseJsonSafe<T = unknown>(text: string, fallback: T): T {
  try { return JSON.parse(text) as T; } catch { return fallback; }
}

