// The runtime's contracts with the layers above: the Workflow interface the flow engine implements, the
// effect-handler signature, and the context both receive. The data they work on is the run model (src/model/).
import type { EffectOutcome, EffectSpec, RunState, Vars, WaitState } from '../model/index.ts';

/** What a node handler returns: complete the run, perform an effect then move, or just move. */
export interface StepPlan {
  node_id: string;
  effect?: EffectSpec | null;
  next_node?: string | null;
  complete_output?: Vars | null;
}

export interface StepContext {
  /** Python-style ISO timestamp (`YYYY-MM-DDTHH:MM:SS.ffffff+00:00`). */
  nowIso(): string;
}

/**
 * The interface the flow engine implements. `step` runs the node at `run.current_node`; it may read and
 * mutate `run.vars` in memory (the runtime commits after the step) and must not perform side effects
 * itself: anything observable goes through an effect in the returned plan.
 */
export interface Workflow {
  workflow_id: string;
  entry_node: string;
  step(run: RunState, ctx: StepContext): StepPlan | Promise<StepPlan>;
  /** Listener sub-workflows (on_event/on_schedule) to start as child runs of a root run, if any. */
  listeners?(): string[];
}

/** Resolves workflow ids to workflows (bundle registry, dynamic flows, tests). */
export interface WorkflowSource {
  get(workflowId: string): Workflow | undefined | Promise<Workflow | undefined>;
}

export interface EffectContext {
  run: RunState;
  effect: EffectSpec;
  /** The plan's next_node (default resume target for waits). */
  nextNode: string | null;
  nodeId: string;
  idempotencyKey: string;
  nowIso(): string;
  /** Aborted when the run is cancelled or paused while the effect is in flight. */
  signal: AbortSignal;
}

/**
 * How a resume payload answers a wait of this handler's effect, when not by the kernel's default (store the
 * payload at the wait's result key, move to its resume node): `reenter` runs the waiting node again (its effect
 * then finds what the hook recorded in the run's vars); `payload` stores a rewritten payload; null = default.
 */
export type ResumeHook = (run: RunState, wait: WaitState, payload: Vars) => { reenter: true } | { payload: Vars } | null;

export interface EffectHandler {
  (ctx: EffectContext): EffectOutcome | Promise<EffectOutcome>;
  /** Registered with the handler: consulted for every resume of a waiting run on the same runtime. */
  resume?: ResumeHook;
}
