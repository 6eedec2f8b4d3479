// Small helpers on run vars for node handlers (paths themselves: getPath/setPath in src/model/json.ts).

import { isPlainObject } from '../../model/index.ts';

/** An object child of `parent`, created when missing or not an object. */
export function objAt(parent: Record<string, any>, key: string): Record<string, any> {
  if (!isPlainObject(parent[key])) parent[key] = {};
  return parent[key];
}

/** Deep copy of JSON data (pinDefaults are cloned at each use so handlers cannot mutate them). */
export const cloneJson = <T>(v: T): T => (v === undefined ? v : structuredClone(v));
