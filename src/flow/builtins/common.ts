// Small helpers shared by the builtin families: input access with Python's "key absent" defaults, and the
// dotted/bracket path lookups used by get, set, break_object, array_dedup and string_template.

import { getPath, isPlainObject } from '../../model/index.ts';
import { own } from '../values.ts';

export type Inputs = Record<string, any>;
/** The node's `data` object (per-type config such as concatConfig, breakConfig, toolParametersConfig). */
export type NodeData = Record<string, any>;

/** `inputs.get(key, dflt)`: the default applies only when the key is absent (a present null stays null). */
export const arg = (inputs: Inputs, key: string, dflt: unknown = null): any =>
  own(inputs, key) !== undefined ? inputs[key] : dflt;

/** Declared non-exec input pin order, or `fallback` when the node carried no pin metadata. */
export function pinOrder(inputs: Inputs, fallback: string[] = ['a', 'b']): string[] {
  const order = inputs._pin_order;
  return Array.isArray(order) && order.length ? order.filter((p): p is string => typeof p === 'string') : fallback;
}

/** `a.b[0].c` / `a["k"]` / `items.0` → segments (bracket digits become numbers). */
function parsePath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /([^.[\]]+)|\[\s*(?:(-?\d+)|"([^"]*)"|'([^']*)'|([^\]]*))\s*\]/g;
  for (let m; (m = re.exec(path));) {
    if (m[1] !== undefined) out.push(m[1].trim());
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(m[3] ?? m[4] ?? m[5]!.trim());
  }
  return out.filter((s) => s !== '');
}

/** Walk a path (bracket or dotted syntax): dict keys; list indexes (numeric segments, negative from the end). */
export function walkPath(root: unknown, path: string): { found: boolean; value: unknown } {
  const segs = parsePath(path);
  const value = segs.length ? getPath(root, segs) : undefined;
  return value === undefined ? { found: false, value: null } : { found: true, value };
}

/** JSON-ish list coercion used by several nodes: null → [], list → copy, scalar → [x]. */
export const asList = (v: unknown): unknown[] => (v === null || v === undefined ? [] : Array.isArray(v) ? [...v] : [v]);
