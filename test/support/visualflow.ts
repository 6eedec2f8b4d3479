// Inline VisualFlow builders: `n(id, type, {in, out, ...data})`, edges from `'src.handle>dst.pin'`, common nodes.
import type { Vars } from '../../src/model/index.ts';

const EXEC_HANDLES = /^(exec-in|exec-out|true|false|loop|done|completed|default|then:\d+|case:.+)$/;

/** Pin list from `'id'` / `'id:type'` strings; conventional exec handles get type `execution`. */
function pins(list: string[]) {
  return list.map((p) => {
    const [id, type] = p.includes(':') && !/^(then|case):/.test(p) ? p.split(':') : [p, undefined];
    return { id: id!, label: id!, type: type ?? (EXEC_HANDLES.test(id!) ? 'execution' : 'any') };
  });
}

export interface NodeDef {
  in?: string[];
  out?: string[];
  [k: string]: unknown;
}

export function n(id: string, type: string, def: NodeDef = {}) {
  const { in: ins = [], out = [], ...data } = def;
  return { id, type, position: { x: 0, y: 0 }, data: { nodeType: type, inputs: pins(ins), outputs: pins(out), ...data } };
}

/** Edge from `'src.handle>dst.pin'` (node ids must not contain dots). */
export function e(spec: string) {
  const [from, to] = spec.split('>') as [string, string];
  const i = from.indexOf('.');
  const j = to.indexOf('.');
  return { source: from.slice(0, i), sourceHandle: from.slice(i + 1), target: to.slice(0, j), targetHandle: to.slice(j + 1) };
}

export function flow(id: string, nodes: unknown[], edges: string[], extra: Vars = {}) {
  return { id, name: id, nodes, edges: edges.map(e), ...extra };
}

// Common node shapes.
export const start = (id = 'start', params: string[] = [], data: NodeDef = {}) => n(id, 'on_flow_start', { out: ['exec-out', ...params], ...data });
export const end = (id = 'end', params: string[] = [], data: NodeDef = {}) => n(id, 'on_flow_end', { in: ['exec-in', ...params], ...data });
export const setVar = (id: string, name: string, data: NodeDef = {}) =>
  n(id, 'set_var', { in: ['exec-in', 'name:string', 'value:any'], out: ['exec-out', 'value'], pinDefaults: { name }, ...data });
export const getVar = (id: string, name: string) => n(id, 'get_var', { in: ['name:string'], out: ['value'], pinDefaults: { name } });
export const lit = (id: string, value: unknown, type = 'literal_json') => n(id, type, { out: ['value'], literalValue: value });
