// RunState → the client views (docs/api.md "Runs"). Pure functions: no store, no HTTP.
import type { RunIndexRow } from '../../store/index.ts';
import { isPaused, isPlainObject, limitsOf, readControl, SCHEDULED_PREFIX, scheduleOf, type RunState, type Vars } from '../../model/index.ts';
import { upcomingFires } from '../../features/schedules.ts';
import type { RunListItem, RunSummary } from './schemas.ts';

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);

const SCHEDULE_KEYS = [
  'kind', 'interval', 'repeat_count', 'repeat_until', 'start_at', 'share_context',
  'target_workflow_id', 'target_bundle_ref', 'target_flow_id', 'created_at', 'updated_at',
] as const;
/** Extensions of the native scheduler, shown when present. */
const SCHEDULE_EXTRA_KEYS = ['cron', 'timezone', 'overlap', 'executions', 'skipped', 'next_fire_at'] as const;

/** `_meta.schedule` of a scheduled parent run: the documented keys, the scheduler's extras, the next fire times. */
export function scheduleView(vars: Vars | null | undefined): Record<string, unknown> | null {
  const s = scheduleOf(vars);
  if (!s) return null;
  const out: Record<string, unknown> = Object.fromEntries(SCHEDULE_KEYS.map((k) => [k, s[k] ?? null]));
  for (const k of SCHEDULE_EXTRA_KEYS) if (k in s) out[k] = s[k];
  try {
    out.upcoming_fires = upcomingFires(s);
  } catch {
    out.upcoming_fires = []; // metadata written by another implementation: show what is there
  }
  return out;
}

/** Token budget view of `_limits`: budget = max_input_tokens if set, else max_tokens. */
export function limitsView(vars: Vars | null | undefined): Record<string, unknown> | null {
  const l = limitsOf(vars);
  if (!l) return null;
  const used = int(l.estimated_tokens_used);
  const budget = int(l.max_input_tokens) ?? int(l.max_tokens);
  return {
    tokens: {
      estimated_used: l.estimated_tokens_used ?? null,
      max_tokens: l.max_tokens ?? null,
      max_input_tokens: l.max_input_tokens ?? null,
      pct: used !== null && budget !== null && budget > 0 ? used / budget : null,
      warn_tokens_pct: l.warn_tokens_pct ?? null,
    },
  };
}

/**
 * A run parked on a recurrent on_schedule or an on_event listener waits by design, forever: say so (the flow
 * engine records the listening node in `_temp.listening`), so it does not look stuck.
 */
export function listeningOf(run: RunState): RunSummary['listening'] {
  const l = run.vars?._temp?.listening;
  if (run.status !== 'waiting' || !isPlainObject(l) || l.node_id !== run.current_node) return null;
  return {
    kind: l.kind === 'event' ? 'event' : 'schedule', node_id: String(l.node_id), recurrent: l.recurrent === true,
    event: str(l.event), scope: str(l.scope), schedule: str(l.schedule), next_at: str(l.next_at) ?? run.waiting?.until ?? null,
  };
}

export function toSummary(run: RunState): RunSummary {
  const control = readControl(run);
  const schedule = scheduleView(run.vars);
  const w = run.waiting;
  return {
    run_id: run.run_id,
    workflow_id: run.workflow_id,
    status: run.status,
    current_node: run.current_node ?? null,
    created_at: run.created_at,
    updated_at: run.updated_at,
    actor_id: run.actor_id ?? null,
    session_id: run.session_id ?? null,
    parent_run_id: run.parent_run_id ?? null,
    error: run.error ?? null,
    paused: isPaused(run),
    pause_reason: str(control.pause_reason),
    paused_at: str(control.paused_at),
    resumed_at: str(control.resumed_at),
    waiting: w
      ? {
          reason: w.reason,
          wait_key: w.wait_key ?? null,
          until: w.until ?? null,
          prompt: w.prompt ?? null,
          choices: w.choices ?? null,
          allow_free_text: w.allow_free_text !== false,
          details: isPlainObject(w.details) ? w.details : null,
        }
      : null,
    is_scheduled: run.workflow_id.startsWith(SCHEDULED_PREFIX) || schedule !== null,
    schedule,
    limits: limitsView(run.vars),
    flow_warnings: Array.isArray(run.vars?._flow_warnings) ? run.vars._flow_warnings.map(String) : null,
    // Extension (the Python summary never showed it): what a completed run returned, without reading the ledger.
    output: run.status === 'completed' && isPlainObject(run.output) ? run.output : null,
    listening: listeningOf(run),
  };
}

/** A list item from the run index (no vars read): the summary shape with index-only detail. */
export function toListItem(row: RunIndexRow, schedule: Record<string, unknown> | null): RunListItem {
  return {
    run_id: row.run_id,
    workflow_id: row.workflow_id,
    status: row.status,
    current_node: null,
    created_at: row.created_at,
    updated_at: row.updated_at,
    actor_id: row.actor_id,
    session_id: row.session_id,
    parent_run_id: row.parent_run_id,
    error: null,
    paused: row.paused === 1,
    pause_reason: null,
    paused_at: null,
    resumed_at: null,
    waiting:
      row.status === 'waiting' && row.wait_reason
        ? { reason: row.wait_reason, ...(row.wait_until ? { until: row.wait_until } : {}) }
        : null,
    is_scheduled: row.workflow_id.startsWith(SCHEDULED_PREFIX) || schedule !== null,
    schedule,
    limits: null,
  };
}
