// The runtime's WorkflowSource for VisualFlows: resolves ids to compiled workflows, joining
//  - a source of VisualFlow JSON (the bundle registry: `<bundle_id>@<version>:<flow_id>` → namespaced JSON),
//  - extra built-in Workflows (e.g. the ReAct agent of src/llm),
//  - a cache of compiled flows (bundles are immutable per version; call `clear()` after a reload).
//
// Listener workflows (docs/flows.md "Bundles", docs/runtime.md "Events"): every `on_event` / `on_schedule` node that is
// not exec-reachable from the flow's entry becomes its own workflow, the same JSON entered at that node, with
// the derived id `visual_event_listener:<flowId>:<nodeId>` (`visual_schedule_listener:…` for on_schedule).
// The root workflow lists them in `listeners()` so the runtime starts each as a child run in the root's session
// when the root starts; the listener parks on its WAIT_EVENT / WAIT_UNTIL and re-arms after each firing. The id
// is reversible (node ids never contain ':'), so any process can resolve it from the flow source alone. Ids the
// source itself knows (e.g. the registry's Python-style `visual_event_listener_<flow>_<node>`, whose JSON has
// `entryNode` = the on_event node) resolve too: they compile like any flow.
//
// Compiling also validates code nodes with the Python runner (a bad one fails the flow, like the reference).

import type { Workflow, WorkflowSource } from '../runtime/types.ts';
import { compileVisualFlow } from './engine/compile.ts';
import { validateCodeNodes } from './engine/nodes/code.ts';
import type { EngineServices } from './engine/services.ts';
import { FlowWorkflow } from './engine/workflow.ts';

export interface VisualFlowSource {
  /** VisualFlow JSON for a workflow id, or undefined when unknown. */
  getWorkflow(workflowId: string): unknown | Promise<unknown>;
}

const LISTENER_PREFIX: Record<string, string> = {
  on_event: 'visual_event_listener:',
  on_schedule: 'visual_schedule_listener:',
};

export function listenerWorkflowId(flowId: string, nodeType: string, nodeId: string): string {
  return `${LISTENER_PREFIX[nodeType]}${flowId}:${nodeId}`;
}

/** `{flowId, nodeId}` of a derived listener id, or null. */
export function parseListenerId(id: string): { flowId: string; nodeId: string } | null {
  for (const prefix of Object.values(LISTENER_PREFIX)) {
    if (!id.startsWith(prefix)) continue;
    const rest = id.slice(prefix.length);
    const cut = rest.lastIndexOf(':');
    if (cut <= 0 || cut === rest.length - 1) return null;
    return { flowId: rest.slice(0, cut), nodeId: rest.slice(cut + 1) };
  }
  return null;
}

export class FlowWorkflows implements WorkflowSource {
  private readonly cache = new Map<string, Workflow>();
  private readonly builtins = new Map<string, Workflow>();
  private readonly source: VisualFlowSource | null;
  /** Read-only host services for nodes (provider model listing); see engine/services.ts. */
  private readonly services: EngineServices;

  constructor(opts: { source?: VisualFlowSource; builtins?: Workflow[]; services?: EngineServices } = {}) {
    this.source = opts.source ?? null;
    this.services = opts.services ?? {};
    for (const w of opts.builtins ?? []) this.builtins.set(w.workflow_id, w);
  }

  /** Throws FlowCompileError (HTTP 400) when the flow exists but cannot be compiled. */
  async get(workflowId: string): Promise<Workflow | undefined> {
    const hit = this.builtins.get(workflowId) ?? this.cache.get(workflowId);
    if (hit) return hit;
    const listener = parseListenerId(workflowId);
    const flowId = listener ? listener.flowId : workflowId;
    const json = this.source ? await this.source.getWorkflow(flowId) : undefined;
    if (json === undefined || json === null) return undefined;
    await this.compileTree(flowId, json);
    return this.cache.get(workflowId);
  }

  /** Compiles a flow and its listener workflows (code nodes validated), caching all of them. */
  private async compileTree(flowId: string, json: unknown): Promise<void> {
    const root = compileVisualFlow(json, { id: flowId });
    await validateCodeNodes(root);
    const listeners: FlowWorkflow[] = [];
    for (const node of root.triggers) {
      if (root.reachable.has(node.id)) continue;
      const id = listenerWorkflowId(flowId, node.type, node.id);
      const compiled = compileVisualFlow(json, { id, entryNode: node.id });
      await validateCodeNodes(compiled);
      listeners.push(new FlowWorkflow(compiled, [], this.services));
    }
    this.cache.set(flowId, new FlowWorkflow(root, listeners.map((l) => l.workflow_id), this.services));
    for (const l of listeners) this.cache.set(l.workflow_id, l);
  }

  /** Forgets compiled flows (after bundles are reloaded or removed). */
  clear(): void {
    this.cache.clear();
  }
}
