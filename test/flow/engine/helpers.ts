// Inline VisualFlow builder + a real Store/Runtime harness over FlowWorkflows, for the engine tests.
import { FlowWorkflows } from '../../../src/flow/workflows.ts';
import type { Workflow } from '../../../src/runtime/types.ts';
import type { RunState, Vars } from '../../../src/model/index.ts';
import { createHarness, type Harness } from '../../support/harness.ts';

export { e, end, flow, getVar, lit, n, setVar, start, type NodeDef } from '../../support/visualflow.ts';
import { end, flow, n, start } from '../../support/visualflow.ts';

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
    await h.close();
  }
}

/** `rec`: calls itself with `number - 1` while number > 0, then says "Final number : <n>" (float subtraction). */
export function recursiveCountdown(): Vars {
  return flow(
    'rec',
    [
      start('s', ['number']),
      n('cmp', 'compare', { in: ['a', 'op', 'b'], out: ['result'], pinDefaults: { op: '>', b: 0 } }),
      n('if', 'if', { in: ['exec-in', 'condition'], out: ['true', 'false'] }),
      n('sub', 'subtract', { in: ['a', 'b'], out: ['result'], pinDefaults: { b: 1 } }),
      n('self', 'subflow', { in: ['exec-in', 'number'], out: ['exec-out', 'output'], subflowId: 'rec' }),
      n('cc', 'concat', { in: ['a', 'b'], out: ['result'], pinDefaults: { a: 'Final number : ' } }),
      n('ans', 'answer_user', { in: ['exec-in', 'message'], out: ['exec-out', 'message'] }),
      end('e1', ['response']),
      end('e2', ['response']),
    ],
    ['s.exec-out>if.exec-in', 's.number>cmp.a', 'cmp.result>if.condition', 'if.true>self.exec-in', 's.number>sub.a', 'sub.result>self.number', 'self.exec-out>e1.exec-in', 'self.output>e1.response', 'if.false>ans.exec-in', 's.number>cc.b', 'cc.result>ans.message', 'ans.exec-out>e2.exec-in', 'ans.message>e2.response'],
  );
}
