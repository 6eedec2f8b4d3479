// The contract between the step loop and the node families (nodes/*.ts).

import type { StepPlan } from '../../runtime/types.ts';
import type { Vars } from '../../model/index.ts';
import type { Exec } from './exec.ts';
import type { VNode } from './model.ts';

/** What an exec node handler asks the step loop to do (the loop applies routing and the return to the active scheduler, docs/flows.md "Executing"). */
export type NodeResult =
  /** Visual function node: `output` becomes the node output and `_last_output`; `branch` routes if/switch. */
  | { kind: 'value'; output: unknown; branch?: string }
  /** Adapter (set_var, add_message, …): persists `output`, leaves `_last_output`; `terminal` = run output if last. */
  | { kind: 'pass'; output: Vars; terminal?: Vars }
  /** Effect node: placeholder outputs until the result lands at `_temp.effects.<node>`. `next` overrides routing. */
  | { kind: 'effect'; type: string; payload: Vars; placeholder?: Vars; next?: string | null; resultKey?: string }
  /** Scheduler: a fully routed plan. */
  | { kind: 'plan'; plan: StepPlan }
  /** `on_flow_end`: complete the run with this output, even inside a control block. */
  | { kind: 'end'; output: Vars }
  /** Node error (docs/flows.md "Executing"): completes the run with `{...output, error, success:false, node}` unless inside a block. */
  | { kind: 'fail'; error: string; output?: Vars };

/**
 * `function` nodes turn thrown errors into a `fail` result (docs/flows.md "Executing"); other families let them escape `step`
 * (the runtime then fails the run), matching the reference where effect-input errors are uncaught.
 */
export type NodeFamily = 'function' | 'effect' | 'adapter' | 'scheduler';

export interface NodeSpec {
  family: NodeFamily;
  exec?: (x: Exec) => NodeResult | Promise<NodeResult>;
  /** Data-only behaviour, given the resolved inputs (connected pins + pinDefaults). */
  pure?: (x: Exec, node: VNode, inputs: Record<string, any>) => unknown;
  /** Raw effect result (`_temp.effects.<node>`) → output pins, recomputed whenever the output is read. */
  mapEffect?: (raw: any, node: VNode) => Vars;
  /** Compile-time check of the node's configuration: an error message, or null. */
  validate?: (node: VNode) => string | null;
}
