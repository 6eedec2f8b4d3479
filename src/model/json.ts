// JSON values and the one set of helpers every layer uses on them: `isPlainObject`, `getPath`, `setPath`.
// Leaf module: imports nothing from src/.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };
/**
 * A JSON object bag (run vars, effect payloads, results, outputs). Values must stay JSON-safe; the reserved
 * sections inside run vars are read and written only through the accessors in `./sections.ts`.
 */
export type Vars = Record<string, any>;

/** A JSON object (dict): not null, not an array, not a boxed number (the flow engine's Python floats). */
export function isPlainObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Number);
}

/**
 * Reads a dotted path (`a.b.0.c`) or a list of segments: object keys (own properties only), array indexes
 * (numeric segments, negative from the end). `undefined` when a segment is missing.
 */
export function getPath(root: unknown, path: string | readonly (string | number)[]): unknown {
  const segs = typeof path === 'string' ? path.split('.') : path;
  let cur: unknown = root;
  for (const seg of segs) {
    if (Array.isArray(cur)) {
      const i = typeof seg === 'number' ? seg : /^-?\d+$/.test(seg) ? Number(seg) : NaN;
      const j = i < 0 ? cur.length + i : i;
      if (!(j >= 0 && j < cur.length)) return undefined;
      cur = cur[j];
    } else if (isPlainObject(cur) && Object.hasOwn(cur, String(seg))) {
      cur = cur[String(seg)];
    } else {
      return undefined;
    }
  }
  return cur;
}

/**
 * Writes `value` at a dotted path: intermediate keys become objects (a non-object intermediate is replaced),
 * the last key is overwritten, no array indexes (the run-vars rule of result keys).
 */
export function setPath(root: Record<string, any>, path: string, value: unknown): void {
  const segs = path.split('.');
  let cur: Record<string, any> = root;
  for (const seg of segs.slice(0, -1)) {
    if (!isPlainObject(cur[seg])) cur[seg] = {};
    cur = cur[seg];
  }
  cur[segs[segs.length - 1]!] = value;
}
