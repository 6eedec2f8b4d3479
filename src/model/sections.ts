// The reserved sections of run vars, typed, and the only code that reads or writes them by key:
//   _runtime  kernel bookkeeping: control (pause flags), held events, listener start, provider/model routing,
//             node traces, workflow snapshot (migrated runs)
//   _temp     per-run scratch space of the flow engine and effects (effect results, tool approvals, agent state)
//   _limits   iteration and token budgets
//   _meta     `schedule`: the definition and bookkeeping of a scheduled parent run
// Everything else in `vars` is user data. Leaf module: imports only its siblings.
import { isPlainObject, type Json, type JsonObject, type Vars } from './json.ts';
import type { RunState } from './run.ts';

export interface RunControl {
  paused?: boolean;
  paused_at?: string;
  pause_reason?: string;
  resumed_at?: string;
}

export interface HeldEvent {
  wait_key: string;
  envelope: Vars;
}

export interface RuntimeSection {
  control?: RunControl;
  /** Events that arrived while a listener was paused, delivered in order when it waits on the key again. */
  held_events?: HeldEvent[];
  /** Set on a root run with listener children until its first tick has parked them. */
  listeners_pending?: boolean;
  provider?: string;
  model?: string;
  node_traces?: JsonObject;
  workflow_snapshot?: JsonObject;
  [k: string]: unknown;
}

export interface Limits {
  max_iterations: number;
  current_iteration: number;
  max_tokens: number;
  max_output_tokens: number | null;
  max_input_tokens: number | null;
  estimated_tokens_used: number;
  max_history_messages: number;
  warn_iterations_pct: number;
  warn_tokens_pct: number;
}

export const DEFAULT_LIMITS: Limits = {
  max_iterations: 25,
  current_iteration: 0,
  max_tokens: 32768,
  max_output_tokens: null,
  max_input_tokens: null,
  estimated_tokens_used: 0,
  max_history_messages: -1,
  warn_iterations_pct: 80,
  warn_tokens_pct: 80,
};

export interface ScheduleMeta {
  kind: 'scheduled_run';
  target_workflow_id: string;
  target_bundle_id: string | null;
  target_bundle_version: string | null;
  target_bundle_ref: string | null;
  target_flow_id: string | null;
  start_at: string;
  interval: string | null;
  cron: string | null;
  timezone: string | null;
  overlap: 'skip' | 'queue';
  repeat_count: number | null;
  repeat_until: string | null;
  share_context: boolean;
  session_prefix: string | null;
  created_at: string;
  updated_at: string;
  /** Runtime bookkeeping (not part of the request). */
  executions: number;
  skipped: number;
  next_fire_at: string | null;
  last_child_run_id: string | null;
}

export interface ToolApproval {
  approved: boolean;
  reason: string | null;
}

type AnyVars = Vars | null | undefined;
const EMPTY: Readonly<Record<string, any>> = Object.freeze({});

/** A child object of `parent`, created (or replacing a non-object) when missing. */
function objAt(parent: Vars, key: string): Vars {
  if (!isPlainObject(parent[key])) parent[key] = {};
  return parent[key];
}
/** A child object of `parent` for reading, or an empty frozen object. */
const read = (parent: AnyVars, key: string): Readonly<Vars> => (isPlainObject(parent?.[key]) ? parent![key] : EMPTY);

// ---- _runtime ------------------------------------------------------------------------------------------

/** `_runtime` for writing (created when missing). */
export const runtimeSection = (vars: Vars): RuntimeSection => objAt(vars, '_runtime');
/** `_runtime` for reading (an empty object when absent). */
export const readRuntime = (vars: AnyVars): Readonly<RuntimeSection> => read(vars, '_runtime');

/** `_runtime.control` for writing. */
export const controlOf = (run: RunState): RunControl => objAt(runtimeSection(run.vars), 'control');
/** `_runtime.control` for reading. */
export const readControl = (run: Pick<RunState, 'vars'> | null | undefined): Readonly<RunControl> =>
  read(readRuntime(run?.vars), 'control');

/** Drops the pause flags (cancel): nothing is created when the run has no control section. */
export function clearPause(run: RunState): void {
  const control = readRuntime(run.vars).control;
  if (isPlainObject(control)) {
    delete control.paused;
    delete control.pause_reason;
  }
}

/** The pause rule: a run is paused while `_runtime.control.paused` is exactly `true`. */
export const isPaused = (run: Pick<RunState, 'vars'> | null | undefined): boolean => readControl(run).paused === true;

/** Node traces of a run (`_runtime.node_traces`), `{}` when absent. */
export const nodeTracesOf = (vars: AnyVars): JsonObject => {
  const t = readRuntime(vars).node_traces;
  return isPlainObject(t) ? t : {};
};

/** Provider/model routing a run was started with (`_runtime.provider`/`model`). */
export const routingOf = (vars: AnyVars): { provider?: unknown; model?: unknown } => {
  const r = readRuntime(vars);
  return { provider: r.provider, model: r.model };
};

/** The held-event queue (`_runtime.held_events`) for writing. */
export function heldEventsOf(run: RunState): HeldEvent[] {
  const rt = runtimeSection(run.vars);
  if (!Array.isArray(rt.held_events)) rt.held_events = [];
  return rt.held_events;
}

/** Removes the queue once it is empty (keeps vars free of empty bookkeeping). */
export function dropHeldEventsIfEmpty(run: RunState): void {
  const rt = readRuntime(run.vars) as RuntimeSection;
  if (Array.isArray(rt.held_events) && !rt.held_events.length) delete rt.held_events;
}

// ---- _temp ---------------------------------------------------------------------------------------------

/** `_temp` for writing (created when missing). */
export const tempOf = (vars: Vars): Vars => objAt(vars, '_temp');
/** `_temp` for reading. */
export const readTemp = (vars: AnyVars): Readonly<Vars> => read(vars, '_temp');

/** Tool-approval decisions by wait key (`_temp.tool_approvals`), for writing. */
export const toolApprovalsOf = (vars: Vars): Record<string, ToolApproval> => objAt(tempOf(vars), 'tool_approvals');
/** The decision recorded for one tool wait, if any. */
export function toolApproval(vars: AnyVars, waitKey: string): ToolApproval | null {
  const a = read(readTemp(vars), 'tool_approvals')[waitKey];
  return isPlainObject(a) ? (a as ToolApproval) : null;
}

// ---- _limits -------------------------------------------------------------------------------------------

/** `_limits` as stored (may be partial, or null when the run has none). */
export const limitsOf = (vars: AnyVars): Partial<Limits> | null => (isPlainObject(vars?._limits) ? vars!._limits : null);

/** Installs the default limits on fresh start vars unless the caller gave its own. */
export function ensureLimits(vars: Vars): void {
  if (!isPlainObject(vars._limits)) vars._limits = { ...DEFAULT_LIMITS };
}

// ---- _meta.schedule ------------------------------------------------------------------------------------

/** The schedule definition of a scheduled parent run, or null for every other run. */
export function scheduleOf(vars: AnyVars): ScheduleMeta | null {
  const s = read(vars, '_meta').schedule;
  return isPlainObject(s) && s.kind === 'scheduled_run' ? (s as ScheduleMeta) : null;
}

/** Start vars of a scheduled parent run. */
export function scheduledParentVars(meta: ScheduleMeta, input: Vars): Vars {
  return { vars: input, _meta: { schedule: meta } };
}

export type { Json };
