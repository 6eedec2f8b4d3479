// Canonical JSON as Python's json.dumps(sort_keys=True, separators=(",", ":")) writes it, so that hashes
// computed here match the ones the Python runtime computed (runtime-model.md §2.3, §6.7).

function escapeString(s: string, asciiOnly: boolean): string {
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
    else if (c < 0x20 || (asciiOnly && c > 0x7e)) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += s[i];
  }
  return out + '"';
}

function num(n: number): string {
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : n < 0 ? '-Infinity' : 'NaN';
  return JSON.stringify(n);
}

/** Sorted keys, no spaces. `asciiOnly` mirrors Python's ensure_ascii (true for idempotency keys). */
export function canonicalJson(value: unknown, asciiOnly = false): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string': return escapeString(value, asciiOnly);
    case 'number': return num(value);
    case 'boolean': return value ? 'true' : 'false';
    case 'bigint': return value.toString();
    case 'object': {
      if (Array.isArray(value)) return '[' + value.map((v) => canonicalJson(v, asciiOnly)).join(',') + ']';
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort(comparePy);
      return '{' + keys.map((k) => escapeString(k, asciiOnly) + ':' + canonicalJson(obj[k], asciiOnly)).join(',') + '}';
    }
    default: return 'null';
  }
}

/** Python sorts str keys by code point; JS sort compares UTF-16 units. Differ only for astral chars. */
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

export function isPlainObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
