// Gateway-level run operations (docs/api.md "Runs"): start (entrypoint resolution, workspace policy,
// session memory owner), schedule, summary, list, input_data, history bundle. No HTTP context here; failures are
// domain errors (src/model/errors.ts), mapped to statuses by src/http/errors.ts.
import { join } from 'node:path';
import { parseWorkflowId } from '../../flow/bundle/refs.ts';
import type { BundleRegistry } from '../../flow/bundle/registry.ts';
import type { Runtime } from '../../runtime/runtime.ts';
import { startScheduledRun, validateSchedule, type ScheduleRequest } from '../../features/schedules.ts';
import {
  AmbiguousStart, DomainError, errorMessage, InvalidInput, InvalidReference, NotFound, RunNotFound, WorkflowNotFound,
  SCHEDULED_PREFIX, scheduleOf, RUN_STATUSES, type RunState, type RunStatus, type Vars, isPlainObject } from '../../model/index.ts';
import { decodeRunCursor, type Store } from '../../store/index.ts';
import { sha256Hex } from '../../util/json.ts';
import { nowIso } from '../../util/time.ts';
import type { WorkspacePolicy } from '../deps.ts';
import { historyBundle } from './history.ts';
import type { HistoryQuery, RunListItem, RunListQuery, RunSummary, ScheduleRunBody, StartRunBody } from './schemas.ts';
import { scheduleView, toListItem, toSummary } from './summary.ts';
import { applyWorkspacePolicy } from './workspace.ts';

export const SESSION_MEMORY_WORKFLOW = '__session_memory__';

/** `session_memory_<sid>`, or a hashed form when the session id has characters outside `[A-Za-z0-9_-]`. */
export function sessionMemoryRunId(sessionId: string): string {
  return /^[A-Za-z0-9_-]+$/.test(sessionId)
    ? `session_memory_${sessionId}`
    : `session_memory_sha_${sha256Hex(sessionId).slice(0, 32)}`;
}

export interface RunServiceDeps {
  store: Store;
  registry: Pick<BundleRegistry, 'resolveStart' | 'get'>;
  runtime: Runtime;
  dataDir: string;
  workspace: WorkspacePolicy;
}

export class RunService {
  constructor(private readonly d: RunServiceDeps) {}

  async start(req: StartRunBody): Promise<{ run_id: string }> {
    const workflowId = this.resolve(req);
    const vars = applyWorkspacePolicy(req.input_data, this.d.workspace, join(this.d.dataDir, 'workspaces'));
    const sessionId = req.session_id?.trim() || null;
    let run: RunState;
    try {
      run = await this.d.runtime.start(workflowId, { vars, sessionId });
    } catch (err) {
      throw startFailure(err); // a refused start leaves nothing behind (not even the session's owner run)
    }
    if (sessionId) await this.ensureSessionOwner(sessionId);
    return { run_id: run.run_id };
  }

  private resolve(req: StartRunBody): string {
    try {
      const r = this.d.registry.resolveStart({
        bundle_id: req.bundle_id?.trim() || null,
        bundle_version: req.bundle_version?.trim() || null,
        flow_id: req.flow_id?.trim() || null,
      });
      return r.workflow_id;
    } catch (err) {
      throw startFailure(err);
    }
  }

  /** Creates a scheduled parent run (docs/runtime.md "Scheduled runs"); the runner fires the executions. */
  async schedule(req: ScheduleRunBody): Promise<{ run_id: string }> {
    const bundleRef = req.bundle_id?.trim();
    const flowId = req.flow_id?.trim();
    if (!bundleRef || !flowId) throw new InvalidInput('bundle_id and flow_id are required');
    let target;
    try {
      target = this.d.registry.resolveStart({ bundle_id: bundleRef, bundle_version: req.bundle_version?.trim() || null, flow_id: flowId });
    } catch (err) {
      if (err instanceof NotFound) {
        const ref = req.bundle_version?.trim() && !bundleRef.includes('@') ? `${bundleRef}@${req.bundle_version.trim()}` : bundleRef;
        throw new WorkflowNotFound(`Target workflow '${ref}:${flowId}' not found (${err.message})`);
      }
      throw err;
    }
    if (target.bundle_id === null) throw new InvalidInput('Invalid flow_id');
    const request: ScheduleRequest = {
      target_workflow_id: target.workflow_id,
      target_bundle_id: target.bundle_id,
      target_bundle_version: target.bundle_version,
      target_flow_id: target.flow_id,
      input_data: req.input_data,
      start_at: req.start_at ?? null,
      interval: req.interval ?? null,
      cron: req.cron ?? null,
      timezone: req.timezone ?? null,
      overlap: req.overlap,
      repeat_count: req.repeat_count ?? null,
      repeat_until: req.repeat_until ?? null,
      share_context: req.share_context,
      session_id: req.session_id?.trim() || null,
    };
    validateSchedule(request); // InvalidSchedule
    try {
      const run = await startScheduledRun(this.d.runtime, request);
      return { run_id: run.run_id };
    } catch (err) {
      throw new InvalidInput(`Failed to start scheduled run: ${errorMessage(err)}`, 'schedule_failed');
    }
  }

  /** The internal completed run that owns session-scoped artifacts (hidden from lists). */
  private async ensureSessionOwner(sessionId: string): Promise<void> {
    const runId = sessionMemoryRunId(sessionId);
    await this.d.store.tx(async () => {
      if (await this.d.store.runs.exists(runId)) return;
      const now = nowIso();
      await this.d.store.runs.save({
        run_id: runId, workflow_id: SESSION_MEMORY_WORKFLOW, status: 'completed', current_node: '', vars: {},
        waiting: null, output: null, error: null, created_at: now, updated_at: now, actor_id: null,
        session_id: sessionId, parent_run_id: null,
      });
    });
  }

  async getRun(runId: string): Promise<RunState> {
    const run = await this.d.store.runs.get(runId);
    if (!run) throw new RunNotFound(runId);
    return run;
  }

  async summary(runId: string): Promise<RunSummary> {
    return toSummary(await this.getRun(runId));
  }

  async list(q: RunListQuery): Promise<{ items: RunListItem[]; next_cursor: string | null }> {
    let status: RunStatus | undefined;
    if (q.status?.trim()) {
      const s = q.status.trim().toLowerCase();
      if (!(RUN_STATUSES as readonly string[]).includes(s)) {
        throw new InvalidInput('Invalid status (expected: running|waiting|completed|failed|cancelled)', 'invalid_status');
      }
      status = s as RunStatus;
    }
    if (q.cursor && !decodeRunCursor(q.cursor)) throw new InvalidInput('Invalid cursor', 'invalid_cursor');
    const page = await this.d.store.runs.list({
      status,
      workflowId: q.workflow_id || undefined,
      sessionId: q.session_id || undefined,
      rootOnly: q.root_only,
      limit: q.limit,
      cursor: q.cursor || null,
    });
    const ids = page.items.map((r) => r.run_id);
    const lens = q.include_ledger_len ? await this.d.store.ledger.countMany(ids) : null;
    const metrics = q.include_metrics ? await this.d.store.ledger.metricsMany(ids) : null;
    const items: RunListItem[] = [];
    for (const row of page.items) {
      // Only scheduled parents need their vars (for `schedule`); everything else comes from the index.
      const schedule = row.workflow_id.startsWith(SCHEDULED_PREFIX) ? scheduleView((await this.d.store.runs.get(row.run_id))?.vars) : null;
      const item = toListItem(row, schedule);
      if (lens) item.ledger_len = lens.get(row.run_id) ?? 0;
      if (metrics) Object.assign(item, metrics.get(row.run_id));
      items.push(item);
    }
    return { items, next_cursor: page.next_cursor };
  }

  async history(runId: string, q: HistoryQuery) {
    if (q.ledger_mode !== 'tail' && q.ledger_mode !== 'full') throw new InvalidInput("ledger_mode must be 'tail' or 'full'", 'invalid_ledger_mode');
    return historyBundle(this.d.store, await this.getRun(runId), {
      includeSubruns: q.include_subruns,
      includeSession: q.include_session,
      sessionTurnLimit: q.session_turn_limit,
      ledgerMode: q.ledger_mode,
      ledgerMaxItems: q.ledger_max_items,
    });
  }

  /** Best-effort view of the start inputs (docs/api.md "Runs"). */
  async inputData(runId: string) {
    const run = await this.getRun(runId);
    const schedule = scheduleOf(run.vars);
    const target = schedule ? String(schedule.target_workflow_id ?? '') : run.workflow_id;
    const source: Vars = schedule ? (isPlainObject(run.vars.vars) ? run.vars.vars : {}) : run.vars;
    const pins = this.startPins(target);
    if (pins) {
      const input = Object.fromEntries(pins.pin_ids.filter((id) => id in source).map((id) => [id, source[id]]));
      return { run_id: runId, workflow_id: run.workflow_id, bundle_id: pins.bundle_id, bundle_version: pins.bundle_version,
        flow_id: pins.flow_id, pin_ids: pins.pin_ids, input_data: input };
    }
    const colon = run.workflow_id.indexOf(':');
    return {
      run_id: runId,
      workflow_id: run.workflow_id,
      bundle_id: colon > 0 ? run.workflow_id.slice(0, colon) : null,
      flow_id: colon > 0 ? run.workflow_id.slice(colon + 1) : run.workflow_id,
      pin_ids: [],
      input_data: Object.fromEntries(Object.entries(source).filter(([k]) => !k.startsWith('_'))),
    };
  }

  /** The start-pin ids of a `bundle@version:flow` entrypoint, or null (not a bundle run, or no pins). */
  private startPins(workflowId: string) {
    const parts = parseWorkflowId(workflowId);
    if (!parts?.version) return null;
    const { bundleId, version, flowId } = parts;
    try {
      const info = this.d.registry.get(bundleId, version);
      const ep = info.entrypoints.find((e) => e.flow_id === flowId);
      const pinIds = (ep?.inputs ?? []).map((p) => p.id);
      return pinIds.length ? { bundle_id: bundleId, bundle_version: version, flow_id: flowId, pin_ids: pinIds } : null;
    } catch {
      return null; // bundle removed since: fall back to the raw view
    }
  }
}

/**
 * The contract's wording of a failed start: an unknown or deprecated target and a request that names nothing
 * keep their own message; a request that does not name exactly one entrypoint, and any other failure of the
 * start itself, read `Failed to start run: <reason>` (400).
 */
function startFailure(err: unknown): DomainError {
  if (err instanceof AmbiguousStart || err instanceof InvalidReference) {
    return new InvalidInput(`Failed to start run: ${err.message}`, err.errCode);
  }
  if (err instanceof DomainError) return err;
  return new InvalidInput(`Failed to start run: ${errorMessage(err)}`, 'start_failed');
}
