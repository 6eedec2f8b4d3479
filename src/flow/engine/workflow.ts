// A compiled VisualFlow as a runtime `Workflow`: `step` runs the node at the cursor, turns its NodeResult into
// a StepPlan (routing, flow output, errors) and applies the return-to-active-control rule (docs/flows.md "Executing").

import type { EngineServices } from './services.ts';
import type { StepContext, StepPlan, Workflow } from '../../runtime/types.ts';
import { type EffectSpec, type RunState, type Vars, isPlainObject } from '../../model/index.ts';
import type { CompiledFlow } from './compile.ts';
import { BUILTINS, cloneValue } from './deps.ts';
import { Exec } from './exec.ts';
import { NODE_SPECS } from './nodes/index.ts';
import type { NodeResult, NodeSpec } from './spec.ts';

const KNOWN_BRANCH = (b: string) => b === 'true' || b === 'false' || b === 'default' || b.startsWith('case:');

/** A builtin or data-only type wired with exec pins runs as a visual function over its resolved inputs. */
function asFunction(type: string): NodeSpec {
  return {
    family: 'function',
    exec: async (x) => {
      const inputs = await x.inputs('function');
      const spec = NODE_SPECS[type];
      const output = spec?.pure ? await spec.pure(x, x.node, inputs) : await BUILTINS[type]!(x.builtinInputs(x.node, inputs), x.node.data);
      return { kind: 'value', output };
    },
  };
}

export class FlowWorkflow implements Workflow {
  readonly workflow_id: string;
  readonly entry_node: string;

  constructor(
    readonly compiled: CompiledFlow,
    private readonly listenerIds: string[] = [],
    private readonly services: EngineServices = {},
  ) {
    this.workflow_id = compiled.id;
    this.entry_node = compiled.entry;
  }

  listeners(): string[] {
    return this.listenerIds;
  }

  async step(run: RunState, ctx: StepContext): Promise<StepPlan> {
    const id = run.current_node;
    const node = this.compiled.nodes.get(id);
    if (!node || !this.compiled.reachable.has(id)) {
      throw new Error(`Node '${id}' is not an executable node of workflow '${this.workflow_id}'`);
    }
    const spec = NODE_SPECS[node.type]?.exec ? NODE_SPECS[node.type]! : asFunction(node.type);
    const x = new Exec(this.compiled, run, ctx, node, this.services);
    let result: NodeResult;
    try {
      result = await spec.exec!(x);
    } catch (err) {
      if (spec.family !== 'function') throw err;
      result = { kind: 'fail', error: err instanceof Error ? err.message : String(err) };
    }
    const plan = this.toPlan(x, result);
    x.temp.prev_node_id = id;
    return node.type === 'on_flow_end' ? plan : this.returnToActive(x, plan);
  }

  private toPlan(x: Exec, r: NodeResult): StepPlan {
    const id = x.node.id;
    const route = x.routing;
    switch (r.kind) {
      case 'value': {
        x.setOutput(id, r.output);
        x.vars._last_output = x.bucket('node_outputs')[id];
        const output = x.vars._last_output;
        if (route.kind === 'branch' || r.branch !== undefined) {
          const branch = r.branch;
          if (typeof branch !== 'string') return this.fail(x, `Node '${id}' did not produce a branch`);
          x.temp.prev_exec_handle = branch;
          const target = route.kind === 'branch' ? route.map[branch] : route.kind === 'linear' ? route.next : undefined;
          if (target) return { node_id: id, next_node: target };
          if (!KNOWN_BRANCH(branch)) return this.fail(x, `Node '${id}' chose unknown branch '${branch}'`);
          return { node_id: id, complete_output: { ...(isPlainObject(output) ? output : {}), success: true } };
        }
        x.temp.prev_exec_handle = 'exec-out';
        if (route.kind === 'linear' && route.next) return { node_id: id, next_node: route.next };
        return { node_id: id, complete_output: terminalOutput(output) };
      }
      case 'pass': {
        x.setOutput(id, r.output);
        x.temp.prev_exec_handle = 'exec-out';
        if (route.kind === 'linear' && route.next) return { node_id: id, next_node: route.next };
        return { node_id: id, complete_output: (cloneValue(r.terminal) as Vars) ?? { success: true, result: x.lastOutput ?? null } };
      }
      case 'effect': {
        // Until this effect completes the node exposes its placeholders, not the previous visit's result.
        if (isPlainObject(x.temp.effects)) delete x.temp.effects[id];
        if (r.placeholder) x.setOutput(id, r.placeholder);
        x.temp.prev_exec_handle = 'exec-out';
        const next = r.next !== undefined ? r.next : route.kind === 'linear' ? route.next : null;
        const effect: EffectSpec = {
          type: r.type,
          payload: { ...(cloneValue(r.payload) as Vars), resume_to_node: next },
          result_key: r.resultKey ?? `_temp.effects.${id}`,
        };
        return { node_id: id, effect, next_node: next };
      }
      case 'plan':
        return r.plan;
      case 'end':
        return { node_id: id, complete_output: cloneValue(r.output) as Vars };
      case 'fail':
        return this.fail(x, r.error, r.output);
    }
  }

  /** Node error (docs/flows.md "Executing"): record the error and complete with `{...output, error, success:false, node}`. */
  private fail(x: Exec, error: string, output: Vars = {}): StepPlan {
    x.vars._flow_error = error;
    x.vars._flow_error_node = x.node.id;
    if (Object.keys(output).length) x.setOutput(x.node.id, { ...output, error });
    return { node_id: x.node.id, complete_output: { ...(cloneValue(output) as Vars), error, success: false, node: x.node.id } };
  }

  /**
   * Inside an active control block a branch ends by having no successor: whatever would finish the run goes
   * back to the innermost scheduler instead (marked as an implicit return for the HEAD re-entry rule).
   */
  private returnToActive(x: Exec, plan: StepPlan): StepPlan {
    const stack: unknown = x.temp._control?.stack;
    const active = Array.isArray(stack) ? stack[stack.length - 1] : undefined;
    if (typeof active !== 'string' || active === x.node.id) return plan;
    if (!plan.complete_output && plan.next_node) return plan;
    x.control.return_to = active;
    if (plan.effect) {
      return { node_id: plan.node_id, effect: { ...plan.effect, payload: { ...plan.effect.payload, resume_to_node: active } }, next_node: active };
    }
    return { node_id: plan.node_id, next_node: active };
  }
}

/** A terminal visual function node: object → `{...result, success: true (default)}`, scalar → `{response}`. */
function terminalOutput(output: unknown): Vars {
  if (isPlainObject(output)) return { ...output, success: Object.hasOwn(output, 'success') ? output.success : true };
  return { response: output ?? null, success: true };
}
