// Dotted-path writes into run vars (runtime-model §1.6): intermediate keys become objects (a non-object
// intermediate is replaced), the last key is overwritten, no array indexes.
import { isPlainObject } from '../util/json.ts';
import type { Vars } from './types.ts';

export function setPath(target: Vars, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur: Vars = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const k = parts[i]!;
    if (!isPlainObject(cur[k])) cur[k] = {};
    cur = cur[k];
  }
  cur[parts[parts.length - 1]!] = value;
}

export function getPath(target: unknown, path: string): unknown {
  let cur: unknown = target;
  for (const k of path.split('.')) {
    if (!isPlainObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}
