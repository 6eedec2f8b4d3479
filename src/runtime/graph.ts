// Hand-written workflows: a map of node id → handler. Used for the gateway's own native workflows (scheduled
// runs) and in tests; VisualFlow documents are compiled by src/flow instead.
import type { StepContext, StepPlan, Workflow, WorkflowSource } from './types.ts';
import type { RunState } from '../model/index.ts';

export type NodeHandler = (run: RunState, ctx: StepContext) => Omit<StepPlan, 'node_id'> | Promise<Omit<StepPlan, 'node_id'>>;

export function graphWorkflow(
  workflowId: string,
  entry: string,
  nodes: Record<string, NodeHandler>,
  listeners: string[] = [],
): Workflow {
  return {
    workflow_id: workflowId,
    entry_node: entry,
    listeners: () => listeners,
    async step(run, ctx) {
      const handler = nodes[run.current_node];
      if (!handler) throw new Error(`Unknown node '${run.current_node}' in workflow '${workflowId}'`);
      return { node_id: run.current_node, ...(await handler(run, ctx)) };
    },
  };
}

/** A WorkflowSource over a fixed set of workflows, with optional fallback sources tried in order. */
export class StaticWorkflows implements WorkflowSource {
  private map = new Map<string, Workflow>();
  constructor(workflows: Workflow[] = [], private readonly fallbacks: WorkflowSource[] = []) {
    for (const w of workflows) this.map.set(w.workflow_id, w);
  }
  add(w: Workflow): void {
    this.map.set(w.workflow_id, w);
  }
  async get(id: string): Promise<Workflow | undefined> {
    const hit = this.map.get(id);
    if (hit) return hit;
    for (const f of this.fallbacks) {
      const w = await f.get(id);
      if (w) return w;
    }
    return undefined;
  }
}
