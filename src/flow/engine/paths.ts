// Dotted-path access into run vars (`a.b.0.c`; numeric segments index arrays), as get_var/set_var use it.

import { isPlainObject } from '../../util/json.ts';

export function getPath(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const seg of path.split('.')) {
    if (Array.isArray(cur) && /^-?\d+$/.test(seg)) {
      const i = Number(seg);
      cur = cur[i < 0 ? cur.length + i : i];
    } else if (isPlainObject(cur) && Object.hasOwn(cur, seg)) {
      cur = cur[seg];
    } else {
      return undefined;
    }
  }
  return cur;
}

/** Writes `value` at `path`, creating (or replacing non-object) intermediate objects. */
export function setPath(root: Record<string, any>, path: string, value: unknown): void {
  const segs = path.split('.');
  let cur: Record<string, any> = root;
  for (const seg of segs.slice(0, -1)) {
    if (!isPlainObject(cur[seg])) cur[seg] = {};
    cur = cur[seg];
  }
  cur[segs[segs.length - 1]!] = value;
}

/** An object child of `parent`, created when missing or not an object. */
export function objAt(parent: Record<string, any>, key: string): Record<string, any> {
  if (!isPlainObject(parent[key])) parent[key] = {};
  return parent[key];
}

/** Deep copy of JSON data (pinDefaults are cloned at each use so handlers cannot mutate them). */
export const cloneJson = <T>(v: T): T => (v === undefined ? v : structuredClone(v));
