// The compile pipeline (docs/flows.md "Compiling"): fan-in lowering, data-edge map, exec/pure classification, entry
// selection, reachability, node-type check and exec routing. The result is plain data; `workflow.ts` runs it.

import { isBuiltin, LITERAL_TYPES } from './deps.ts';
import { lowerFanIn, type JoinRoute } from './lower.ts';
import { EXEC_IN, hasExecPin, isExecPin, loadVisualFlow, type VEdge, type VisualFlow, type VNode } from './model.ts';
import { FlowCompileError } from '../../model/index.ts';
import { NODE_SPECS, PURE_WITHOUT_PINS, UNSUPPORTED } from './nodes/index.ts';

export interface DataSource {
  source: string;
  pin: string;
}

export type Routing =
  /** `next` null = terminal node. */
  | { kind: 'linear'; next: string | null }
  /** if/switch (or any node whose single edge carries true/false/default/case:*). */
  | { kind: 'branch'; map: Record<string, string> }
  /** sequence/parallel (`then` in pin order) and loop/for/while (`loop`, `done`). */
  | { kind: 'scheduler'; then: { handle: string; target: string }[]; handles: Record<string, string> };

export interface CompiledFlow {
  id: string;
  name: string;
  entry: string;
  nodes: Map<string, VNode>;
  /** Pure (data-only) nodes, literals included. */
  pure: Set<string>;
  /** Exec nodes reachable from the entry: the only ones that run. */
  reachable: Set<string>;
  /** target → input pin → source. */
  dataIn: Map<string, Map<string, DataSource>>;
  routes: Map<string, Routing>;
  joins: Map<string, JoinRoute[]>;
  /** Exec-classified `on_event`/`on_schedule` nodes (all of them, reachable or not). */
  triggers: VNode[];
}

export interface CompileOptions {
  /** Workflow id override (derived listener workflows). */
  id?: string;
  /** Entry override (derived listener workflows start at their on_event/on_schedule node). */
  entryNode?: string;
}

const SCHEDULERS_THEN = new Set(['sequence', 'parallel']);
const SCHEDULERS_LOOP = new Set(['loop', 'for', 'while']);
const BRANCH_HANDLE = (h: string) => h === 'true' || h === 'false' || h === 'default' || h.startsWith('case:');

function classifyExec(n: VNode): boolean {
  if (n.type === 'join_exec') return true;
  if (n.hasPins) return hasExecPin(n);
  if (LITERAL_TYPES.has(n.type) || PURE_WITHOUT_PINS.has(n.type) || isBuiltin(n.type)) return false;
  return true;
}

function pickEntry(flow: VisualFlow, exec: VNode[], execIn: Set<string>, override?: string): string {
  const want = override ?? flow.entryNode;
  if (override && !exec.some((n) => n.id === override)) throw new FlowCompileError(flow.id, `entry node '${override}' is not an exec node`);
  if (want && exec.some((n) => n.id === want)) return want;
  const first = exec.find((n) => !execIn.has(n.id)) ?? exec[0];
  if (!first) throw new FlowCompileError(flow.id, 'Flow must have an entry node (it has no node with execution pins)');
  return first.id;
}

function thenIndex(handle: string): number | null {
  const m = /^then:(\d+)$/.exec(handle);
  return m ? Number(m[1]) : null;
}

function routeNode(flowId: string, node: VNode, out: VEdge[]): Routing {
  const where = `node '${node.id}' (${node.type})`;
  if (SCHEDULERS_THEN.has(node.type) || SCHEDULERS_LOOP.has(node.type)) {
    const declared = new Set(node.outputs.filter(isExecPin).map((p) => p.id));
    const handles: Record<string, string> = {};
    for (const e of out) {
      const h = e.sourceHandle;
      const ok = SCHEDULERS_LOOP.has(node.type)
        ? h === 'loop' || h === 'done'
        : (thenIndex(h) !== null && (declared.size === 0 || declared.has(h))) || (node.type === 'parallel' && h === 'completed');
      if (!ok) throw new FlowCompileError(flowId, `${where} has an exec edge from unknown handle '${h}'`);
      if (handles[h]) throw new FlowCompileError(flowId, `${where}: handle '${h}' has several outgoing exec edges (Branching is not yet supported)`);
      handles[h] = e.target;
    }
    const then = Object.keys(handles)
      .filter((h) => thenIndex(h) !== null)
      .sort((a, b) => thenIndex(a)! - thenIndex(b)!)
      .map((h) => ({ handle: h, target: handles[h]! }));
    return { kind: 'scheduler', then, handles };
  }
  if (out.length === 0) return { kind: 'linear', next: null };
  if (out.length === 1) {
    const h = out[0]!.sourceHandle;
    if (h === 'exec-out') return { kind: 'linear', next: out[0]!.target };
    if (BRANCH_HANDLE(h)) return { kind: 'branch', map: { [h]: out[0]!.target } };
    throw new FlowCompileError(flowId, `${where} has an exec edge from unsupported handle '${h}'`);
  }
  const hs = out.map((e) => e.sourceHandle);
  const distinct = new Set(hs).size === hs.length;
  const ifLike = hs.every((h) => h === 'true' || h === 'false');
  const switchLike = hs.every((h) => h === 'default' || h.startsWith('case:'));
  if (!distinct || !(ifLike || switchLike)) {
    throw new FlowCompileError(flowId, `${where} has multiple outgoing exec edges (${hs.join(', ')}): Branching is not yet supported; use a Sequence or Parallel node`);
  }
  return { kind: 'branch', map: Object.fromEntries(out.map((e) => [e.sourceHandle, e.target])) };
}

/** Why a node type cannot run here, or null when it is supported in this role. */
function unsupportedReason(n: VNode, asExec: boolean): string | null {
  if (UNSUPPORTED[n.type]) return `node '${n.id}' has unsupported type '${n.type}': ${UNSUPPORTED[n.type]}`;
  if (!n.type) return `node '${n.id}' has no type`;
  const spec = NODE_SPECS[n.type];
  const invalid = spec?.validate?.(n);
  if (invalid) return `node '${n.id}' (${n.type}): ${invalid}`;
  if (asExec) {
    if (spec?.exec || isBuiltin(n.type) || spec?.pure) return null;
  } else if (LITERAL_TYPES.has(n.type) || spec?.pure || isBuiltin(n.type)) {
    return null;
  }
  if (spec || LITERAL_TYPES.has(n.type)) return `node '${n.id}' (${n.type}) cannot be used as ${asExec ? 'an exec' : 'a data-only'} node`;
  return `node '${n.id}' has unknown type '${n.type}'`;
}

export function compileVisualFlow(json: unknown, opts: CompileOptions = {}): CompiledFlow {
  const loaded = loadVisualFlow(json, opts.id);
  const { flow, joins } = lowerFanIn(loaded);
  const nodes = new Map(flow.nodes.map((n) => [n.id, n]));

  const execNodes = flow.nodes.filter(classifyExec);
  const execIds = new Set(execNodes.map((n) => n.id));
  const pure = new Set(flow.nodes.filter((n) => !execIds.has(n.id)).map((n) => n.id));

  // Data edges: neither `exec-out → …` nor `… → exec-in`. One source per input pin (HEAD rule).
  const dataIn = new Map<string, Map<string, DataSource>>();
  const execOut = new Map<string, VEdge[]>();
  const execInTargets = new Set<string>();
  for (const e of flow.edges) {
    if (e.targetHandle === EXEC_IN) {
      if (execIds.has(e.source) && execIds.has(e.target)) {
        execOut.set(e.source, [...(execOut.get(e.source) ?? []), e]);
        execInTargets.add(e.target);
      }
      continue;
    }
    if (e.sourceHandle === 'exec-out') continue;
    const pins = dataIn.get(e.target) ?? new Map<string, DataSource>();
    if (pins.has(e.targetHandle)) {
      throw new FlowCompileError(flow.id, `input pin '${e.targetHandle}' of node '${e.target}' has more than one incoming data edge`);
    }
    pins.set(e.targetHandle, { source: e.source, pin: e.sourceHandle });
    dataIn.set(e.target, pins);
  }

  const entry = pickEntry(flow, execNodes, execInTargets, opts.entryNode);

  const reachable = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const id = todo.pop()!;
    if (reachable.has(id)) continue;
    reachable.add(id);
    for (const e of execOut.get(id) ?? []) todo.push(e.target);
  }

  // Type check what can actually run: reachable exec nodes and the pure nodes they (transitively) read.
  const problems: string[] = [];
  const seenPure = new Set<string>();
  const visitPure = (id: string) => {
    if (seenPure.has(id) || !pure.has(id)) return;
    seenPure.add(id);
    const why = unsupportedReason(nodes.get(id)!, false);
    if (why) problems.push(why);
    for (const src of dataIn.get(id)?.values() ?? []) visitPure(src.source);
  };
  for (const id of reachable) {
    const why = unsupportedReason(nodes.get(id)!, true);
    if (why) problems.push(why);
    for (const src of dataIn.get(id)?.values() ?? []) visitPure(src.source);
  }
  if (problems.length) throw new FlowCompileError(flow.id, problems.join('; '));

  const routes = new Map<string, Routing>();
  for (const id of reachable) routes.set(id, routeNode(flow.id, nodes.get(id)!, execOut.get(id) ?? []));

  const triggers = execNodes.filter((n) => n.type === 'on_event' || n.type === 'on_schedule');
  return { id: flow.id, name: flow.name, entry, nodes, pure, reachable, dataIn, routes, joins, triggers };
}
