// Exec fan-in lowering with HEAD's join semantics (docs/flows.md "Compiling"): every node with ≥2 incoming exec
// edges gets an internal `join_exec` node in front of it that records which route entered (`which`, `from`,
// `from_handle`), and each `inputRouteOverrides` pin gets a `path_mux` node selecting its value by route.

import { isPlainObject, FlowCompileError } from '../../model/index.ts';
import { EXEC_IN, type VEdge, type VisualFlow, type VNode } from './model.ts';

const JOIN_PREFIX = '__internal_join_exec__';
const MUX_PREFIX = '__internal_path_mux__';

export interface JoinRoute {
  key: string;
  source: string;
  handle: string;
}

const execPin = (id: string) => ({ id, type: 'execution' });

function routesFor(flow: VisualFlow, target: VNode, incoming: VEdge[]): JoinRoute[] {
  const fromEdges = incoming.map((e) => ({ key: `${e.source}::${e.sourceHandle}`, source: e.source, handle: e.sourceHandle }));
  const seen = new Set<string>();
  for (const r of fromEdges) {
    if (seen.has(r.key)) throw new FlowCompileError(flow.id, `node '${target.id}' has duplicate incoming exec edges from '${r.source}' (${r.handle})`);
    seen.add(r.key);
  }
  const declared = target.data.entryRoutes;
  if (!Array.isArray(declared)) return fromEdges;
  const routes: JoinRoute[] = [];
  const keys = new Set<string>();
  for (const r of declared) {
    if (!isPlainObject(r) || typeof r.sourceNodeId !== 'string') continue;
    const handle = typeof r.sourceHandle === 'string' && r.sourceHandle ? r.sourceHandle : 'exec-out';
    const key = typeof r.key === 'string' && r.key ? r.key : `${r.sourceNodeId}::${handle}`;
    if (keys.has(key)) throw new FlowCompileError(flow.id, `node '${target.id}' has duplicate entryRoutes key '${key}'`);
    keys.add(key);
    routes.push({ key, source: r.sourceNodeId, handle });
  }
  const actual = new Set(fromEdges.map((r) => `${r.source}::${r.handle}`));
  const listed = new Set(routes.map((r) => `${r.source}::${r.handle}`));
  if (actual.size !== listed.size || [...actual].some((k) => !listed.has(k))) {
    throw new FlowCompileError(flow.id, `entryRoutes mismatch on node '${target.id}': they do not match its incoming exec edges (resave the flow in the editor)`);
  }
  return routes;
}

/** Returns a rewritten copy of the flow plus the route table of every inserted join node. */
export function lowerFanIn(flow: VisualFlow): { flow: VisualFlow; joins: Map<string, JoinRoute[]> } {
  const joins = new Map<string, JoinRoute[]>();
  const incomingByTarget = new Map<string, VEdge[]>();
  for (const e of flow.edges) {
    if (e.targetHandle !== EXEC_IN) continue;
    const list = incomingByTarget.get(e.target) ?? [];
    list.push(e);
    incomingByTarget.set(e.target, list);
  }
  let nodes = flow.nodes;
  let edges = flow.edges;
  for (const target of flow.nodes) {
    const incoming = incomingByTarget.get(target.id) ?? [];
    if (incoming.length < 2) continue;
    const routes = routesFor(flow, target, incoming);
    const joinId = JOIN_PREFIX + target.id;
    joins.set(joinId, routes);
    const join: VNode = {
      id: joinId,
      type: 'join_exec',
      data: {},
      inputs: [execPin(EXEC_IN)],
      outputs: [execPin('exec-out'), { id: 'which', type: 'number' }, { id: 'from', type: 'string' }, { id: 'from_handle', type: 'string' }],
      hasPins: true,
    };
    const extraNodes: VNode[] = [join];
    // Incoming exec edges are re-pointed to the join in route order; the join feeds the target.
    const others = edges.filter((e) => !(e.target === target.id && e.targetHandle === EXEC_IN));
    const repointed = routes.map((r) => ({ source: r.source, sourceHandle: r.handle, target: joinId, targetHandle: EXEC_IN }));
    let newEdges: VEdge[] = [...others, ...repointed, { source: joinId, sourceHandle: 'exec-out', target: target.id, targetHandle: EXEC_IN }];

    const overrides = target.data.inputRouteOverrides;
    if (isPlainObject(overrides)) {
      for (const [pin, perRoute] of Object.entries(overrides)) {
        if (!isPlainObject(perRoute)) continue;
        const muxId = `${MUX_PREFIX}${target.id}__${pin}`;
        const muxInputs = [{ id: 'select', type: 'number' }, { id: 'fallback', type: 'any' }];
        const muxEdges: VEdge[] = [{ source: joinId, sourceHandle: 'which', target: muxId, targetHandle: 'select' }];
        for (const [routeKey, src] of Object.entries(perRoute)) {
          const idx = routes.findIndex((r) => r.key === routeKey);
          if (idx < 0) throw new FlowCompileError(flow.id, `inputRouteOverrides of node '${target.id}' pin '${pin}' names unknown route '${routeKey}'`);
          if (!isPlainObject(src) || typeof src.sourceNodeId !== 'string' || !flow.nodes.some((n) => n.id === src.sourceNodeId)) {
            throw new FlowCompileError(flow.id, `inputRouteOverrides of node '${target.id}' pin '${pin}' route '${routeKey}' references a missing source node`);
          }
          muxInputs.push({ id: `in${idx}`, type: 'any' });
          muxEdges.push({ source: src.sourceNodeId, sourceHandle: String(src.sourceHandle ?? 'result'), target: muxId, targetHandle: `in${idx}` });
        }
        const original = newEdges.find((e) => e.target === target.id && e.targetHandle === pin);
        const pinDefaults = isPlainObject(target.data.pinDefaults) ? target.data.pinDefaults : {};
        const muxDefaults: Record<string, unknown> = {};
        if (original) muxEdges.push({ ...original, target: muxId, targetHandle: 'fallback' });
        else if (Object.hasOwn(pinDefaults, pin)) muxDefaults.fallback = pinDefaults[pin];
        newEdges = newEdges.filter((e) => e !== original);
        muxEdges.push({ source: muxId, sourceHandle: 'out', target: target.id, targetHandle: pin });
        newEdges.push(...muxEdges);
        extraNodes.push({ id: muxId, type: 'path_mux', data: { pinDefaults: muxDefaults }, inputs: muxInputs, outputs: [{ id: 'out', type: 'any' }], hasPins: true });
      }
    }
    nodes = [...nodes, ...extraNodes];
    edges = newEdges;
  }
  return { flow: { ...flow, nodes, edges }, joins };
}
