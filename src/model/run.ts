// The durable run model: the JSON shapes clients read from the ledger and run summaries (field names and enum
// strings are wire-compatible, see docs/runtime.md). Leaf module: every layer imports it, it imports nothing
// from src/ but its siblings.
import type { Vars } from './json.ts';

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
  /** User variables plus the reserved sections (`_runtime`, `_temp`, `_limits`, `_meta`): see ./sections.ts. */
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

/** One ledger line. `prev_hash`/`record_hash` form the per-run tamper-evident chain. */
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

/** What an effect handler reports: a result, a wait, or a failure. */
export type EffectOutcome =
  | { status: 'completed'; result: Vars | null }
  | { status: 'waiting'; wait: WaitState }
  | { status: 'failed'; error: string };

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

/** Internal runs (workflow ids starting with `__`) are hidden from run lists. */
export const isInternalWorkflow = (workflowId: string): boolean => workflowId.startsWith('__');

/** Workflow id prefix of a scheduled parent run (`scheduled:<uuid>`). */
export const SCHEDULED_PREFIX = 'scheduled:';

/** The actor id of runs the gateway starts itself. */
export const GATEWAY_ACTOR = 'gateway';

/** Workflow id of the built-in ReAct agent (started as a child run by agent nodes; implemented in src/llm/agent.ts). */
export const AGENT_WORKFLOW_ID = 'abstractgateway.agent.react';
