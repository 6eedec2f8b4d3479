// VisualFlow JSON → a normalised in-memory graph (docs/flows.md "Documents"). The loader is permissive like the
// reference: unknown keys are ignored, malformed nodes/edges are skipped, pins come from `data.inputs/outputs`
// (falling back to node-level `inputs/outputs`), the type from `node.type` (falling back to `data.nodeType`).

import { FlowCompileError, isPlainObject } from '../../model/index.ts';

export interface Pin {
  id: string;
  type: string;
  label?: string;
}

export interface VNode {
  id: string;
  type: string;
  data: Record<string, any>;
  inputs: Pin[];
  outputs: Pin[];
  /** True when the JSON carried any pin metadata (drives exec/pure classification, docs/flows.md "Compiling"). */
  hasPins: boolean;
}

export interface VEdge {
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

export interface VisualFlow {
  id: string;
  name: string;
  nodes: VNode[];
  edges: VEdge[];
  entryNode: string | null;
}

export const EXEC_IN = 'exec-in';

/** `"NodeType.LLM_CALL"` → `llm_call`; `{value: "..."}` objects accepted. */
function normaliseType(raw: unknown): string {
  let t = isPlainObject(raw) ? raw.value : raw;
  if (typeof t !== 'string') return '';
  t = t.trim();
  if (t.startsWith('NodeType.')) t = t.slice('NodeType.'.length).toLowerCase();
  return t;
}

function readPins(list: unknown): Pin[] {
  if (!Array.isArray(list)) return [];
  const pins: Pin[] = [];
  for (const p of list) {
    if (!isPlainObject(p) || typeof p.id !== 'string' || !p.id) continue;
    pins.push({ id: p.id, type: typeof p.type === 'string' ? p.type : 'any', label: p.label });
  }
  return pins;
}

export function loadVisualFlow(json: unknown, idOverride?: string): VisualFlow {
  if (!isPlainObject(json)) throw new FlowCompileError(idOverride ?? '?', 'the VisualFlow document must be a JSON object');
  const rawId = json.id ?? json.flow_id ?? json.workflow_id;
  const id = idOverride ?? (typeof rawId === 'string' ? rawId : '');
  if (!id) throw new FlowCompileError('?', "the VisualFlow document has no 'id'");
  if (!Array.isArray(json.nodes)) throw new FlowCompileError(id, "'nodes' must be a list");

  const nodes: VNode[] = [];
  const seen = new Set<string>();
  for (const n of json.nodes) {
    if (!isPlainObject(n) || typeof n.id !== 'string' || !n.id) continue;
    if (seen.has(n.id)) throw new FlowCompileError(id, `duplicate node id '${n.id}'`);
    seen.add(n.id);
    const data = isPlainObject(n.data) ? n.data : {};
    const hasDataPins = Array.isArray(data.inputs) || Array.isArray(data.outputs);
    const inputs = readPins(hasDataPins ? data.inputs : n.inputs);
    const outputs = readPins(hasDataPins ? data.outputs : n.outputs);
    const type = normaliseType(n.type) || normaliseType(data.nodeType);
    nodes.push({ id: n.id, type, data, inputs, outputs, hasPins: inputs.length + outputs.length > 0 });
  }

  const edges: VEdge[] = [];
  for (const e of Array.isArray(json.edges) ? json.edges : []) {
    if (!isPlainObject(e)) continue;
    const { source, target, sourceHandle, targetHandle } = e;
    if (typeof source !== 'string' || typeof target !== 'string' || !source || !target) continue;
    if (typeof sourceHandle !== 'string' || !sourceHandle || typeof targetHandle !== 'string' || !targetHandle) continue;
    if (!seen.has(source) || !seen.has(target)) continue;
    edges.push({ source, sourceHandle, target, targetHandle });
  }

  return {
    id,
    name: typeof json.name === 'string' ? json.name : id,
    nodes,
    edges,
    entryNode: typeof json.entryNode === 'string' && json.entryNode ? json.entryNode : null,
  };
}

export const isExecPin = (p: Pin): boolean => p.type === 'execution';
export const hasExecPin = (n: VNode): boolean => n.inputs.some(isExecPin) || n.outputs.some(isExecPin);
/** Non-exec input pins in declared order. */
export const dataInputs = (n: VNode): Pin[] => n.inputs.filter((p) => !isExecPin(p));
export const dataOutputs = (n: VNode): Pin[] => n.outputs.filter((p) => !isExecPin(p));

/** Config block of a node (`effectConfig`, `eventConfig`, …) as an object, `{}` when absent. */
export function config(node: VNode, key: string): Record<string, any> {
  const c = node.data[key];
  return isPlainObject(c) ? c : {};
}
