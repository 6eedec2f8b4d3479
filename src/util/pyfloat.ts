// Python floats that happen to be whole (`5.0`) across persistence (docs/flows.md "Python value semantics").
//
// JS cannot tell `5` from `5.0`; the flow engine marks integral Python floats by boxing them as `PyFloat` (a
// Number subclass). On the wire — HTTP, SSE, the ledger — a boxed float is a plain JSON number (that is what
// JSON.stringify writes for a Number object), so the contract's JSON is unchanged. Only the persisted run
// checkpoint keeps the marker, as the one-key object `{"$py_float": 5}`, decoded back into a PyFloat on load,
// so a float stays a float across a restart and across a parent → child run boundary.

export class PyFloat extends Number {}

const TAG = '$py_float';

/** JSON.stringify replacer writing integral boxed floats as `{"$py_float": n}`. */
function replacer(this: unknown, _key: string, value: unknown): unknown {
  if (value instanceof Number) {
    const n = value.valueOf();
    return Number.isInteger(n) ? { [TAG]: n } : n;
  }
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (typeof o[TAG] === 'number') {
      const keys = Object.keys(o);
      if (keys.length === 1) return new PyFloat(o[TAG]);
    }
  }
  return value;
}

/** Checkpoint JSON: like JSON.stringify, but integral boxed floats keep their float-ness. */
export function stringifyTagged(value: unknown): string {
  return JSON.stringify(value, replacer);
}

/** Inverse of stringifyTagged; plain JSON parses exactly as JSON.parse (the reviver only runs when a tag is present). */
export function parseTagged<T = unknown>(text: string): T {
  return (text.includes(`"${TAG}"`) ? JSON.parse(text, reviver) : JSON.parse(text)) as T;
}

/** Deep copy with boxed floats turned into plain numbers and undefined dropped (ledger, hashing). */
export function plainJson(v: unknown): unknown {
  if (v instanceof Number) return v.valueOf();
  if (Array.isArray(v)) return v.map(plainJson);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (x !== undefined) Object.defineProperty(out, k, { value: plainJson(x), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return v;
}

/** True when a boxed float occurs anywhere in `v` (so callers copy only when they must). */
export function hasBoxedFloat(v: unknown): boolean {
  if (v instanceof Number) return true;
  if (Array.isArray(v)) return v.some(hasBoxedFloat);
  if (typeof v === 'object' && v !== null) return Object.values(v).some(hasBoxedFloat);
  return false;
}

/**
 * JSON.parse like Python's json.loads for numbers: a whole number written with a fraction or exponent (`2.0`,
 * `1e3`) is a float, boxed. Uses the reviver's source-text access (Bun/JSC, TC39 "JSON.parse source text").
 */
export function parsePyJson(text: string): unknown {
  return JSON.parse(text, function (this: unknown, _key: string, value: unknown, context?: { source?: string }) {
    if (typeof value === 'number' && Number.isInteger(value) && typeof context?.source === 'string' && /[.eE]/.test(context.source)) {
      return new PyFloat(value);
    }
    return value;
  } as (this: unknown, key: string, value: unknown) => unknown);
}
