// Pure control-flow helpers (docs/flows.md "Node families", docs/flows.md "Compiling"): compare, not/and/or, coalesce, path_mux.

import { isNum, own, pyCompare, toFloat, toInt, truthy } from '../values.ts';
import { arg, pinOrder, type Inputs } from './common.ts';

/** path_mux `select` → route index: bools/floats/numeric strings coerced, anything else → 0. */
function selectIndex(v: unknown): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  try {
    return isNum(v) || typeof v === 'string' ? toInt(toFloat(v)) : 0;
  } catch {
    return 0;
  }
}

export const LOGIC: Record<string, (inputs: Inputs) => unknown> = {
  compare: (i) => pyCompare(arg(i, 'a'), String(arg(i, 'op', '==') ?? '==').trim(), arg(i, 'b')),
  not: (i) => !truthy(arg(i, 'value', false)),
  and: (i) => truthy(arg(i, 'a', false)) && truthy(arg(i, 'b', false)),
  or: (i) => truthy(arg(i, 'a', false)) || truthy(arg(i, 'b', false)),
  coalesce: (i) => {
    for (const pin of pinOrder(i)) if (own(i, pin) !== undefined && i[pin] !== null) return i[pin];
    return null;
  },
  path_mux: (i) => {
    const key = `in${selectIndex(arg(i, 'select', 0))}`;
    if (own(i, key) !== undefined) return { out: i[key] };
    return { out: arg(i, 'fallback') };
  },
};
