// Inline VisualFlow builder + a real Store/Runtime harness over FlowWorkflows, for the engine tests.
import { FlowWorkflows } from '../../../src/flow/workflows.ts';
import type { Workflow } from '../../../src/runtime/types.ts';
import type { RunState, Vars } from '../../../src/model/index.ts';
import { createHarness, type Harness } from '../../support/harness.ts';

export { e, end, flow, getVar, lit, n, setVar, start, type NodeDef } from '../../support/visualflow.ts';

export interface FlowHarness extends Harness {
  flows: FlowWorkflows;
  /** Starts a run of `workflowId` and drives every run (children, listeners) until nothing is runnable. */
  start(workflowId: string, vars?: Vars, sessionId?: string): Promise<RunState>;
}

export function flowHarness(docs: Vars[], builtins: Workflow[] = []): FlowHarness {
  const byId = new Map(docs.map((d) => [d.id as string, d]));
  const flows = new FlowWorkflows({ source: { getWorkflow: (id) => structuredClone(byId.get(id)) }, builtins });
  const h = createHarness({ workflows: flows }) as FlowHarness;
  h.flows = flows;
  h.start = async (workflowId, vars = {}, sessionId) => {
    const run = await h.runtime.start(workflowId, { vars, sessionId });
    await h.settle();
    return h.run(run.run_id);
  };
  return h;
}

/** Compiles and runs one flow to rest, returning the final run. */
export async function runFlow(doc: Vars, vars: Vars = {}, others: Vars[] = []): Promise<RunState> {
  const h = flowHarness([doc, ...others]);
  try {
    return await h.start(doc.id as string, vars);
  } finally {
    h.close();
  }
}
