// Scheduled runs (docs/runtime.md "Scheduled runs"), native: a parent run of workflow `scheduled:<uuid>` whose vars hold
// `_meta.schedule`; each execution is a child run of the target workflow. Between executions the parent waits
// `until` at node `wait_interval` (the node id update_schedule and clients rely on).
//
// Timing policy (fixed rate): fires are due at start_at, start_at + interval, … (or the cron's fire times).
// - Missed fires: a runner that was down fires once on wake, then continues at the next future slot.
// - Overlap: when an execution is still running at its next fire time, `skip` (default) drops that fire;
//   `queue` waits for the running execution to end, then fires.
// The parent completes after the last execution has ended.
import { Cron } from 'croner';
import { z } from 'zod';
import {
  Conflict, InvalidSchedule, isPlainObject, isTerminal, readTemp, runtimeSection, SCHEDULED_PREFIX, scheduledParentVars, scheduleOf,
  type RunState, type ScheduleMeta, type Vars,
} from '../model/index.ts';
import { isoFromMs, isoToMs, nowIso } from '../util/time.ts';
import { graphWorkflow } from '../runtime/graph.ts';
import { commandPayload, parsePayload } from '../runtime/commands.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { type Workflow, type WorkflowSource } from '../runtime/types.ts';

const INTERVAL_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_EXECUTIONS = 10_000;

export function parseInterval(s: string): number | null {
  const m = INTERVAL_RE.exec(s.trim());
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]!;
  return ms > 0 ? ms : null;
}

export interface ScheduleRequest {
  target_workflow_id: string;
  target_bundle_id?: string | null;
  target_bundle_version?: string | null;
  target_flow_id?: string | null;
  input_data?: Vars;
  start_at?: string | null;
  interval?: string | null;
  cron?: string | null;
  timezone?: string | null;
  overlap?: 'skip' | 'queue';
  repeat_count?: number | null;
  repeat_until?: string | null;
  share_context?: boolean;
  session_id?: string | null;
}

/** Validates a schedule request (messages as the spec) and normalises it. Throws InvalidSchedule. */
export function validateSchedule(req: ScheduleRequest, now = Date.now()): Omit<ScheduleMeta, 'created_at' | 'updated_at' | 'executions' | 'skipped' | 'next_fire_at' | 'last_child_run_id' | 'session_prefix'> {
  const startRaw = req.start_at?.trim();
  let startMs = now;
  if (startRaw && startRaw.toLowerCase() !== 'now') {
    startMs = isoToMs(startRaw);
    if (Number.isNaN(startMs)) throw new InvalidSchedule(`Invalid start_at: ${startRaw}`);
  }
  let interval = req.interval?.trim() || null;
  const cron = req.cron?.trim() || null;
  if (interval && cron) throw new InvalidSchedule('interval cannot be combined with cron');
  if (interval && parseInterval(interval) === null) throw new InvalidSchedule(`Invalid interval: ${interval} (expected e.g. 30s, 15m, 1h, 1d)`);
  if (cron) {
    try {
      new Cron(cron, { timezone: req.timezone || undefined, paused: true });
    } catch (err) {
      throw new InvalidSchedule(`Invalid cron: ${(err as Error).message}`);
    }
  }
  let repeat = req.repeat_count ?? null;
  if (repeat !== null) {
    if (!Number.isInteger(repeat) || repeat < 1) throw new InvalidSchedule('repeat_count must be >= 1');
    if (repeat > MAX_EXECUTIONS) throw new InvalidSchedule(`repeat_count must be <= ${MAX_EXECUTIONS}`);
    if (repeat > 1 && !interval && !cron) throw new InvalidSchedule('repeat_count > 1 requires interval');
    if (repeat === 1) interval = null;
  }
  const until = req.repeat_until?.trim() || null;
  if (until) {
    if (repeat !== null) throw new InvalidSchedule('repeat_until cannot be combined with repeat_count');
    if (!interval) throw new InvalidSchedule('repeat_until requires interval');
    if (!/^\d+\s*[smhd]$/i.test(interval)) throw new InvalidSchedule('repeat_until requires an integer interval such as 30s, 15m, 1h or 1d');
    const untilMs = isoToMs(until);
    if (Number.isNaN(untilMs)) throw new InvalidSchedule(`Invalid repeat_until: ${until}`);
    if (untilMs < startMs) throw new InvalidSchedule('Invalid repeat_until: it is before start_at');
    repeat = 1 + Math.floor((untilMs - startMs) / parseInterval(interval)!);
    if (repeat > MAX_EXECUTIONS) throw new InvalidSchedule(`repeat_until allows ${repeat} executions (> ${MAX_EXECUTIONS})`);
  }
  return {
    kind: 'scheduled_run',
    target_workflow_id: req.target_workflow_id,
    target_bundle_id: req.target_bundle_id ?? null,
    target_bundle_version: req.target_bundle_version ?? null,
    target_bundle_ref: req.target_bundle_id && req.target_bundle_version ? `${req.target_bundle_id}@${req.target_bundle_version}` : null,
    target_flow_id: req.target_flow_id ?? null,
    start_at: isoFromMs(startMs),
    interval,
    cron,
    timezone: cron ? req.timezone || 'UTC' : null,
    overlap: req.overlap ?? 'skip',
    repeat_count: repeat ?? (interval || cron ? null : 1),
    repeat_until: until,
    share_context: req.share_context ?? true,
  };
}

/** Creates the scheduled parent run (committed); the runner does the rest. */
export async function startScheduledRun(rt: Runtime, req: ScheduleRequest): Promise<RunState> {
  const base = validateSchedule(req, rt.clock.now());
  const workflowId = `${SCHEDULED_PREFIX}${crypto.randomUUID()}`;
  const now = rt.clock.nowIso();
  const meta: ScheduleMeta = {
    ...base,
    session_prefix: base.share_context ? null : workflowId,
    created_at: now,
    updated_at: now,
    executions: 0,
    skipped: 0,
    next_fire_at: base.start_at,
    last_child_run_id: null,
  };
  const vars = scheduledParentVars(meta, req.input_data ?? {});
  if (meta.session_prefix) vars.session_prefix = meta.session_prefix;
  if (req.input_data && 'prompt' in req.input_data) vars.prompt = req.input_data.prompt;
  return rt.start(workflowId, { vars, sessionId: req.session_id ?? null });
}

/** The definition of a scheduled parent run (only ever called on one). */
const scheduleOfRun = (run: RunState): ScheduleMeta => scheduleOf(run.vars)!;
const isRecurrent = (s: ScheduleMeta) => !!(s.interval || s.cron) && s.repeat_count !== 1;
const done = (s: ScheduleMeta) => s.repeat_count !== null && s.executions + s.skipped >= s.repeat_count;

/** The first fire time strictly after `afterMs` (fixed rate from start_at, or the cron's next run). */
export function nextFireAfter(s: ScheduleMeta, afterMs: number): number | null {
  if (s.cron) return new Cron(s.cron, { timezone: s.timezone ?? 'UTC', paused: true }).nextRun(new Date(afterMs))?.getTime() ?? null;
  if (!s.interval) return null;
  const step = parseInterval(s.interval)!;
  const start = isoToMs(s.start_at);
  if (afterMs < start) return start;
  return start + (Math.floor((afterMs - start) / step) + 1) * step;
}

/** The next `n` fire times from now (for run summaries). */
export function upcomingFires(s: ScheduleMeta, n = 3, nowMs = Date.now()): string[] {
  const out: string[] = [];
  let t = s.next_fire_at ? isoToMs(s.next_fire_at) - 1 : nowMs;
  for (let i = 0; i < n; i++) {
    const next = nextFireAfter(s, t);
    if (next === null || (s.repeat_count !== null && s.executions + s.skipped + i >= s.repeat_count)) break;
    out.push(isoFromMs(next));
    t = next;
  }
  return out;
}

/** The native scheduler workflow; `store` reads let it see whether the last execution is still running. */
export function scheduledWorkflow(rt: Runtime, workflowId: string): Workflow {
  const waitUntil = (until: string, next: string) => ({ effect: { type: 'wait_until', payload: { until }, result_key: null }, next_node: next });
  const lastRunning = async (s: ScheduleMeta) => {
    const child = s.last_child_run_id ? await rt.store.runs.get(s.last_child_run_id) : null;
    return child && !isTerminal(child.status) ? child : null;
  };
  return graphWorkflow(workflowId, 'wait_start', {
    wait_start: (run) => waitUntil(scheduleOfRun(run).start_at, 'fire'),
    fire: async (run) => {
      const s = scheduleOfRun(run);
      const running = await lastRunning(s);
      if (running && s.executions > 0) {
        if (s.overlap === 'queue') return { effect: joinEffect(running.run_id), next_node: 'fire' };
        s.skipped += 1;
        return { next_node: 'plan_next' };
      }
      s.executions += 1;
      // Deterministic (the slot's time, not the clock): a fire re-executed after a crash computes the same child id.
      const slot = s.next_fire_at ?? s.start_at;
      const sessionSuffix = s.repeat_count === 1 && !isRecurrent(s) ? '0' : s.repeat_count !== null ? String(s.executions - 1) : slot;
      return {
        effect: {
          type: 'start_subworkflow',
          payload: {
            workflow_id: s.target_workflow_id,
            vars: structuredClone(run.vars.vars ?? {}),
            async: true,
            session_id: s.share_context ? run.session_id : `${s.session_prefix}:${sessionSuffix}`,
            fire: s.executions,
          },
          result_key: '_temp.last_fire',
        },
        next_node: 'record',
      };
    },
    record: (run) => {
      scheduleOfRun(run).last_child_run_id = readTemp(run.vars).last_fire?.sub_run_id ?? null;
      return { next_node: 'plan_next' };
    },
    plan_next: async (run) => {
      const s = scheduleOfRun(run);
      if (done(s) || !isRecurrent(s)) {
        s.next_fire_at = null;
        const running = await lastRunning(s);
        return running ? { effect: joinEffect(running.run_id), next_node: 'finish' } : { next_node: 'finish' };
      }
      const next = nextFireAfter(s, Math.max(rt.clock.now(), isoToMs(s.next_fire_at ?? s.start_at)));
      if (next === null) return { next_node: 'finish' };
      s.next_fire_at = isoFromMs(next);
      return { next_node: 'wait_interval' };
    },
    wait_interval: (run) => waitUntil(scheduleOfRun(run).next_fire_at!, 'fire'),
    finish: (run) => {
      const s = scheduleOfRun(run);
      return { complete_output: { success: true, executions: s.executions, skipped: s.skipped } };
    },
  });
}

/** Parks the parent until the given child ends (the runtime resumes `subworkflow:<id>` waits on terminal). */
function joinEffect(childRunId: string) {
  return { type: 'schedule_join', payload: { sub_run_id: childRunId }, result_key: null };
}

/** Serves `scheduled:*` workflow ids (their definition lives in the parent run's vars, so any process can). */
export class ScheduledWorkflows implements WorkflowSource {
  constructor(private readonly rt: () => Runtime) {}
  get(id: string): Workflow | undefined {
    return id.startsWith(SCHEDULED_PREFIX) ? scheduledWorkflow(this.rt(), id) : undefined;
  }
}

/** A VisualFlow-shaped description of a schedule (for `GET /workflows/{id}/flow`), with its wait nodes. */
export function describeScheduleFlow(workflowId: string, s: ScheduleMeta): Vars {
  const node = (id: string, type: string, label: string, data: Vars = {}) => ({ id, type, position: { x: 0, y: 0 }, data: { nodeType: type, label, ...data } });
  return {
    id: workflowId,
    name: `Schedule of ${s.target_workflow_id}`,
    entryNode: 'start',
    nodes: [
      node('start', 'on_flow_start', 'Start'),
      node('wait_start', 'on_schedule', 'Wait start', { eventConfig: { schedule: s.start_at, recurrent: false } }),
      node('run_target', 'subflow', 'Run target', { subflowId: s.target_workflow_id }),
      node('wait_interval', 'on_schedule', 'Wait interval', { eventConfig: { schedule: s.cron ?? s.interval, recurrent: isRecurrent(s) } }),
      node('end', 'on_flow_end', 'End'),
    ],
    edges: [
      { id: 'e1', source: 'start', sourceHandle: 'exec-out', target: 'wait_start', targetHandle: 'exec-in' },
      { id: 'e2', source: 'wait_start', sourceHandle: 'exec-out', target: 'run_target', targetHandle: 'exec-in' },
      { id: 'e3', source: 'run_target', sourceHandle: 'exec-out', target: 'wait_interval', targetHandle: 'exec-in' },
      { id: 'e4', source: 'wait_interval', sourceHandle: 'exec-out', target: 'run_target', targetHandle: 'exec-in' },
      { id: 'e5', source: 'run_target', sourceHandle: 'done', target: 'end', targetHandle: 'exec-in' },
    ],
  };
}

/** The scheduled root of a run: the run itself or the nearest ancestor whose workflow is `scheduled:*`. */
export async function scheduledRoot(rt: Runtime, runId: string): Promise<RunState | null> {
  const seen = new Set<string>();
  let cur = await rt.store.runs.get(runId);
  while (cur && !seen.has(cur.run_id)) {
    seen.add(cur.run_id);
    if (cur.workflow_id.startsWith(SCHEDULED_PREFIX) || scheduleOf(cur.vars) !== null) return cur;
    cur = cur.parent_run_id ? await rt.store.runs.get(cur.parent_run_id) : null;
  }
  return null;
}

/** A recurrent schedule waiting for its next fire is moved to fire now (resume of a paused schedule). */
export async function fireNowIfWaiting(rt: Runtime, runId: string): Promise<void> {
  const root = await scheduledRoot(rt, runId);
  if (!root || root.status !== 'waiting' || root.waiting?.reason !== 'until' || !isRecurrent(scheduleOfRun(root))) return;
  root.waiting.until = rt.clock.nowIso();
  await rt.commit(root, []);
}

const UpdateSchedulePayload = commandPayload({ interval: z.unknown().optional(), schedule: z.unknown().optional(), apply_immediately: z.unknown().optional() });

/** Wires the native schedule pieces into a runtime: the join effect and the update_schedule command. */
export function installSchedules(rt: Runtime): void {
  rt.registerEffect(
    'schedule_join',
    async (ctx) => {
      const id = String(ctx.effect.payload.sub_run_id);
      const child = await rt.store.runs.get(id);
      if (!child || isTerminal(child.status)) return { status: 'completed', result: null };
      return {
        status: 'waiting',
        wait: {
          reason: 'subworkflow', wait_key: `subworkflow:${id}`, until: null, resume_to_node: ctx.nextNode, result_key: null,
          prompt: null, choices: null, allow_free_text: true, details: { sub_run_id: id, join: true },
        },
      };
    },
    { external: false },
  );

  rt.onTreeResumed(fireNowIfWaiting);

  rt.registerCommand('update_schedule', async (rt, cmd) => {
    const p = parsePayload(UpdateSchedulePayload, cmd.payload);
    const interval = String(p.interval ?? p.schedule ?? '').trim();
    if (!interval || parseInterval(interval) === null) {
      throw new InvalidSchedule(`Invalid interval '${interval}' (expected e.g. 30s, 15m, 1h, 0.5d)`);
    }
    const root = await scheduledRoot(rt, cmd.run_id);
    if (!root) throw new InvalidSchedule(`Run '${cmd.run_id}' is not part of a scheduled run`);
    // A tick in flight would commit its own copy of the schedule over this change: refuse rather than lose it.
    if (rt.isInflight(root.run_id)) throw new Conflict('The schedule is firing right now; retry update_schedule', 'schedule_busy');
    const s = scheduleOfRun(root);
    if (!isRecurrent(s)) throw new InvalidSchedule('Schedule is not recurrent (no interval)');
    const now = rt.clock.nowIso();
    s.interval = interval;
    s.cron = null;
    s.updated_at = now;
    if (p.apply_immediately !== false && root.status === 'waiting' && root.waiting?.reason === 'until' && root.current_node === 'wait_interval') {
      const next = isoFromMs(rt.clock.now() + parseInterval(interval)!);
      root.waiting.until = next;
      s.next_fire_at = next;
      // Re-anchor the fixed-rate grid on the new interval.
      s.start_at = next;
    }
    const rtv = runtimeSection(root.vars);
    rtv.last_schedule_update = { command_id: cmd.command_id, interval, updated_at: now, requested_run_id: cmd.run_id, scheduled_root_run_id: root.run_id };
    await rt.commit(root, []);
    return `interval set to ${interval}`;
  });
}
