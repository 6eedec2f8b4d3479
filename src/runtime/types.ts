// The durable run model (spec: runtime-model.md §1). Plain TS types: these JSON shapes are what clients
// read from the ledger and run summaries, so field names and enum strings are wire-compatible.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };
/** Loose object bag used for run vars and payloads (values must stay JSON-safe). */
export type Vars = Record<string, any>;

export const RUN_STATUSES = ['running', 'waiting', 'completed', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'cancelled']);
export const isTerminal = (s: RunStatus): boolean => TERMINAL_STATUSES.has(s);

export type WaitReason = 'event' | 'until' | 'user' | 'job' | 'subworkflow';

export interface WaitState {
  reason: WaitReason;
  wait_key: string | null;
  until: string | null;
  resume_to_node: string | null;
  result_key: string | null;
  prompt: string | null;
  choices: string[] | null;
  allow_free_text: boolean;
  details: Vars | null;
}

export interface RunState {
  run_id: string;
  workflow_id: string;
  status: RunStatus;
  current_node: string;
  vars: Vars;
  waiting: WaitState | null;
  output: Vars | null;
  error: string | null;
  created_at: string;
  updated_at: string;
  actor_id: string | null;
  session_id: string | null;
  parent_run_id: string | null;
}

export type StepStatus = 'started' | 'completed' | 'waiting' | 'failed';

export interface EffectSpec {
  type: string;
  payload: Vars;
  result_key: string | null;
}

/** One ledger line (spec: StepRecord). `prev_hash`/`record_hash` form the per-run tamper-evident chain. */
export interface StepRecord {
  run_id: string;
  step_id: string;
  node_id: string;
  status: StepStatus;
  effect: EffectSpec | null;
  result: Vars | null;
  error: string | null;
  started_at: string;
  ended_at: string | null;
  actor_id: string | null;
  session_id: string | null;
  attempt: number;
  idempotency_key: string | null;
  prev_hash: string | null;
  record_hash: string | null;
  signature: string | null;
}

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

export type EffectOutcome =
  | { status: 'completed'; result: Vars | null }
  | { status: 'waiting'; wait: WaitState }
  | { status: 'failed'; error: string };

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

export type EffectHandler = (ctx: EffectContext) => EffectOutcome | Promise<EffectOutcome>;

export interface CommandRecord {
  seq: number;
  command_id: string;
  run_id: string;
  type: string;
  payload: Vars;
  ts: string;
  client_id: string | null;
}

export const COMMAND_TYPES = ['pause', 'resume', 'cancel', 'emit_event', 'update_schedule', 'compact_memory'] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

export type CommandOutcomeStatus = 'pending' | 'applied' | 'rejected';
export interface CommandOutcome {
  command_id: string;
  seq: number;
  status: CommandOutcomeStatus;
  reason: string | null;
  applied_at: string | null;
}
