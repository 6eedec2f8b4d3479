// The few facts the bundle layer reads from a VisualFlow JSON document (docs/flows.md "Documents"): node
// types, the on_flow_start parameters and a node index. The document itself stays raw JSON.

import { isPlainObject } from '../../model/index.ts';

/** A raw VisualFlow document (always a JSON object). */
export type FlowDoc = Record<string, any>;
export type FlowNode = Record<string, any>;

export interface StartInput {
  id: string;
  label: string;
  type: string;
  default?: unknown;
}

export interface NodeIndexEntry {
  type: string;
  label: string | null;
  headerColor?: string;
}

export function flowNodes(flow: FlowDoc): FlowNode[] {
  return Array.isArray(flow.nodes) ? flow.nodes.filter((n: unknown) => isPlainObject(n) && n.id != null) : [];
}

/** Node type from `type` (`NodeType.X` and `{value}` forms normalised), falling back to `data.nodeType`. */
export function nodeType(node: FlowNode): string {
  let t: unknown = node.type;
  if (isPlainObject(t)) t = t.value;
  if (typeof t !== 'string' || !t.trim()) t = isPlainObject(node.data) ? node.data.nodeType : undefined;
  if (typeof t !== 'string') return '';
  const s = t.trim();
  return s.startsWith('NodeType.') ? s.slice('NodeType.'.length).toLowerCase() : s;
}

const nodeData = (node: FlowNode): Record<string, any> => (isPlainObject(node.data) ? node.data : {});

/** The flow's on_flow_start node: the entry node when it is one, else the first one. */
export function startNode(flow: FlowDoc): FlowNode | undefined {
  const starts = flowNodes(flow).filter((n) => nodeType(n) === 'on_flow_start');
  return starts.find((n) => n.id === flow.entryNode) ?? starts[0];
}

/** Flow parameters: non-execution output pins of on_flow_start, with `default` from pinDefaults when set. */
export function startInputs(flow: FlowDoc): StartInput[] {
  const start = startNode(flow);
  if (!start) return [];
  const data = nodeData(start);
  const defaults = isPlainObject(data.pinDefaults) ? data.pinDefaults : {};
  const outputs: unknown[] = Array.isArray(data.outputs) ? data.outputs : [];
  const inputs: StartInput[] = [];
  for (const pin of outputs) {
    if (!isPlainObject(pin) || typeof pin.id !== 'string' || pin.type === 'execution') continue;
    const input: StartInput = { id: pin.id, label: typeof pin.label === 'string' ? pin.label : pin.id, type: String(pin.type ?? 'any') };
    if (Object.hasOwn(defaults, pin.id)) input.default = defaults[pin.id];
    inputs.push(input);
  }
  return inputs;
}

export function nodeIndex(flow: FlowDoc): Record<string, NodeIndexEntry> {
  const index: Record<string, NodeIndexEntry> = {};
  for (const node of flowNodes(flow)) {
    const data = nodeData(node);
    const label = data.label ?? node.label;
    const entry: NodeIndexEntry = { type: nodeType(node), label: typeof label === 'string' ? label : null };
    const color = data.headerColor ?? node.headerColor;
    if (typeof color === 'string') entry.headerColor = color;
    index[String(node.id)] = entry;
  }
  return index;
}
