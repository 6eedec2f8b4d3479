// Data / array builtins (docs/flows.md "Node families"): property access, object building, array helpers.
// Builtins never mutate their inputs (upstream outputs and pinDefaults may be shared).

import { own, pyEquals, pyJsonDumps, pyStr, pyTypeName, setOwn, toFloat, toInt } from '../values.ts';
import { isPlainObject } from '../../model/index.ts';
import { arg, asList, walkPath, pinOrder, type Inputs, type NodeData } from './common.ts';
import { parseJsonValue } from './json.ts';

function setProperty(inputs: Inputs): Record<string, unknown> {
  const obj = arg(inputs, 'object', {});
  if (obj === null) throw new Error("Set Property: 'object' is null ('NoneType' object is not iterable)");
  if (!isPlainObject(obj)) throw new Error(`Set Property: 'object' must be an object, got ${pyTypeName(obj)}`);
  const out: Record<string, unknown> = { ...obj };
  const key = inputs.key === null || inputs.key === undefined ? '' : String(inputs.key);
  const segs = key.split('.').filter((s) => s !== '');
  if (!segs.length) return out;
  let cur = out;
  for (const seg of segs.slice(0, -1)) {
    const prev = own(cur, seg);
    const next = isPlainObject(prev) ? { ...prev } : {}; // copy the path instead of mutating shared objects
    setOwn(cur, seg, next);
    cur = next;
  }
  setOwn(cur, segs.at(-1)!, arg(inputs, 'value'));
  return out;
}

/** get_element index: floats truncated, numeric strings parsed, bools → 0, garbage → 0. */
function elementIndex(v: unknown): number {
  if (typeof v === 'boolean' || v === null || v === undefined) return 0;
  try { return toInt(toFloat(v)); } catch { return 0; }
}

/** array_dedup fingerprint: scalars by type and value, containers by sorted-key compact JSON. */
function fingerprint(v: unknown): string {
  if (v === null || v === undefined || typeof v !== 'object' || v instanceof Number) return `${pyTypeName(v)}:${pyStr(v)}`;
  return 'json:' + pyJsonDumps(v, { sortKeys: true, separators: [',', ':'] });
}

function collect(inputs: Inputs, flatten: boolean): unknown[] {
  const out: unknown[] = [];
  for (const pin of pinOrder(inputs)) {
    const v = own(inputs, pin);
    if (v === null || v === undefined) continue;
    if (flatten && Array.isArray(v)) out.push(...v);
    else out.push(v);
  }
  return out;
}

function breakObject(inputs: Inputs, data: NodeData = {}): Record<string, unknown> {
  let obj = inputs.object;
  if (typeof obj === 'string' && obj.trim() !== '') obj = parseJsonValue(obj, true);
  const paths = data.breakConfig?.selectedPaths;
  const out: Record<string, unknown> = {};
  for (const p of Array.isArray(paths) ? paths : []) {
    if (typeof p === 'string') setOwn(out, p, walkPath(obj, p).value ?? null);
  }
  return out;
}

function toolParameters(inputs: Inputs, data: NodeData = {}): Record<string, unknown> {
  const cfg = isPlainObject(data.toolParametersConfig) ? data.toolParametersConfig : {};
  const name = typeof cfg.tool === 'string' && cfg.tool ? cfg.tool : typeof cfg.name === 'string' ? cfg.name : '';
  const keys = pinOrder(inputs, Object.keys(inputs).filter((k) => !k.startsWith('_')));
  const out: Record<string, unknown> = {};
  const args: Record<string, unknown> = {};
  for (const k of keys) {
    const v = own(inputs, k);
    if (k === 'tool_call' || v === undefined) continue;
    setOwn(out, k, v);
    if (v !== null) setOwn(args, k, v);
  }
  out.tool_call = { name, arguments: args };
  return out;
}

function editJsonSchema(inputs: Inputs): Record<string, unknown> {
  const schema: Record<string, any> = isPlainObject(inputs.schema) ? structuredClone(inputs.schema) : {};
  const add = isPlainObject(inputs._literalValue) ? inputs._literalValue : {};
  const added: string[] = [];
  if (isPlainObject(add.properties)) {
    const props: Record<string, unknown> = isPlainObject(schema.properties) ? schema.properties : (schema.properties = {});
    for (const [k, v] of Object.entries(add.properties)) if (!Object.hasOwn(props, k)) { setOwn(props, k, structuredClone(v)); added.push(k); }
  }
  if (isPlainObject(add.$defs)) {
    const defs: Record<string, unknown> = isPlainObject(schema.$defs) ? schema.$defs : (schema.$defs = {});
    for (const [k, v] of Object.entries(add.$defs)) if (!Object.hasOwn(defs, k)) setOwn(defs, k, structuredClone(v));
  }
  const wanted = Array.isArray(add.required) ? add.required.filter((r: unknown) => added.includes(r as string)) : [];
  if (wanted.length) {
    const req: unknown[] = Array.isArray(schema.required) ? schema.required : (schema.required = []);
    for (const r of wanted) if (!req.includes(r)) req.push(r);
  }
  return { schema };
}

export const DATA: Record<string, (inputs: Inputs, data?: NodeData) => unknown> = {
  get: (i) => {
    const key = i.key === null || i.key === undefined ? '' : String(i.key);
    const found = walkPath(arg(i, 'object', {}), key).value;
    return { value: found ?? arg(i, 'default') };
  },
  set: setProperty,
  merge: (i) => ({ ...(isPlainObject(i.a) ? i.a : {}), ...(isPlainObject(i.b) ? i.b : {}) }),
  make_object: (i) => Object.fromEntries(Object.entries(i).filter(([k, v]) => !k.startsWith('_') && v !== undefined)),
  make_array: (i) => collect(i, false),
  array_concat: (i) => collect(i, true),
  get_element: (i) => {
    const arr = Array.isArray(i.array) ? i.array : [];
    const idx = elementIndex(arg(i, 'index', 0));
    const j = idx < 0 ? arr.length + idx : idx;
    return j >= 0 && j < arr.length ? { result: arr[j], found: true } : { result: arg(i, 'default'), found: false };
  },
  get_random_element: (i) => {
    const arr = Array.isArray(i.array) ? i.array : [];
    if (!arr.length) return { result: arg(i, 'default'), found: false };
    return { result: arr[Math.floor(Math.random() * arr.length)], found: true };
  },
  array_map: (i) => {
    const key = i.key === null || i.key === undefined ? null : String(i.key);
    return asList(arg(i, 'items', [])).map((it) => (isPlainObject(it) && key !== null ? own(it, key) ?? null : it));
  },
  array_filter: (i) => {
    const key = i.key === null || i.key === undefined ? null : String(i.key);
    const value = arg(i, 'value');
    return asList(arg(i, 'items', [])).filter((it) => pyEquals(isPlainObject(it) && key !== null ? own(it, key) ?? null : it, value));
  },
  array_length: (i) => (Array.isArray(i.array) ? i.array.length : 0),
  has_tools: (i) => Array.isArray(i.array) && i.array.length > 0,
  array_append: (i) => [...asList(i.array), arg(i, 'item')],
  array_dedup: (i) => {
    if (!Array.isArray(i.array)) return [];
    const key = typeof i.key === 'string' && i.key.trim() ? i.key.trim() : null;
    const seen = new Set<string>();
    return i.array.filter((it: unknown) => {
      const basis = key !== null ? walkPath(it, key).value ?? it : it;
      const fp = fingerprint(basis);
      if (seen.has(fp)) return false;
      seen.add(fp);
      return true;
    });
  },
  break_object: breakObject,
  tools_allowlist: (i) => {
    const raw = Array.isArray(i._literalValue) ? i._literalValue : [];
    const tools: string[] = [];
    for (const t of raw) if (typeof t === 'string' && t.trim() && !tools.includes(t.trim())) tools.push(t.trim());
    return { tools };
  },
  tool_parameters: toolParameters,
  edit_json_schema: editJsonSchema,
};

