// Run checkpoints: one JSON document per run plus the columns the queries filter on. The document keeps
// integral Python floats tagged (src/util/pyfloat.ts); read it back with `parseRunJson`.
import type { Database } from 'bun:sqlite';
import { isInternalWorkflow, isPaused, isPlainObject, type RunState, type RunStatus } from '../model/index.ts';
import { parseTagged, stringifyTagged } from '../util/pyfloat.ts';
import type { RunIndexRow, RunListQuery, RunRepo } from './api.ts';

const INDEX_COLS =
  'run_id, workflow_id, status, wait_reason, wait_key, wait_until, paused, parent_run_id, actor_id, session_id, created_at, updated_at';

/**
 * The one place a stored checkpoint becomes a RunState: parsed once, `vars` guaranteed to be an object. A row
 * whose JSON is unreadable (written by something else, truncated by hand) reads as absent, never as a throw.
 */
function decodeRun(text: string): RunState | null {
  let v: unknown;
  try { v = parseTagged(text); } catch { return null; }
  if (!isPlainObject(v) || typeof v.run_id !== 'string') return null;
  if (!isPlainObject(v.vars)) v.vars = {};
  return v as RunState;
}

export function encodeRunCursor(row: { updated_at: string; run_id: string }): string {
  return Buffer.from(JSON.stringify([row.updated_at, row.run_id])).toString('base64url');
}

export function decodeRunCursor(cursor: string): [string, string] | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {}
  return null;
}

// The runner's queries, and event delivery's. Each names its partial index: without statistics (no ANALYZE)
// SQLite picks idx_runs_status and walks every run of that status, ~50 ms per call with 100,000 runs waiting on
// a person, on every claim, every idle turn of the runner, every repair scan and every event (docs/performance.md).

/** Runnable runs of an actor, least recently updated first (fairness). */
export const RUNNABLE_SQL = `SELECT run_id FROM runs INDEXED BY idx_runs_runnable
  WHERE status = 'running' AND paused = 0 AND actor_id = ? ORDER BY updated_at ASC LIMIT ?`;
/** Due `until` waits, earliest first. */
export const DUE_SQL = `SELECT run_id FROM runs INDEXED BY idx_runs_due
  WHERE status = 'waiting' AND wait_reason = 'until' AND wait_until <= ? AND paused = 0 ORDER BY wait_until ASC LIMIT ?`;
/** The earliest pending `until`. */
export const NEXT_DUE_SQL = `SELECT wait_until AS u FROM runs INDEXED BY idx_runs_due
  WHERE status = 'waiting' AND wait_reason = 'until' AND paused = 0 ORDER BY wait_until ASC LIMIT 1`;
/** Non-paused parents waiting on a child that has ended (wait keys `subworkflow:<child id>`, a range of the index). */
export const ENDED_CHILDREN_SQL = `SELECT p.run_json FROM runs p INDEXED BY idx_runs_wait_key
  JOIN runs c ON c.run_id = substr(p.wait_key, ${'subworkflow:'.length + 1})
  WHERE p.status = 'waiting' AND p.wait_key > 'subworkflow:' AND p.wait_key < 'subworkflow;'
    AND p.wait_reason = 'subworkflow' AND p.paused = 0 AND c.status IN ('completed', 'failed', 'cancelled') LIMIT ?`;

/** Runs waiting on one of `n` keys (event delivery), newest first. */
export const waitingOnKeysSql = (n: number) => `SELECT run_json FROM runs INDEXED BY idx_runs_wait_key
  WHERE status = 'waiting' AND wait_key IN (${Array(n).fill('?').join(',')}) ORDER BY updated_at DESC LIMIT ?`;

/** A stored run checkpoint (`runs.run_json`) → RunState with boxed floats restored, or null when unreadable. */
export const parseRunJson = (text: string): RunState | null => decodeRun(text);

export class SqliteRunRepo implements RunRepo {
  constructor(private readonly db: Database) {}

  async get(runId: string): Promise<RunState | null> {
    const row = this.db.query('SELECT run_json FROM runs WHERE run_id = ?').get(runId) as { run_json: string } | null;
    return row ? decodeRun(row.run_json) : null;
  }

  /** The stored `updated_at` (null when the run does not exist): a cheap change check before a commit. */
  async updatedAt(runId: string): Promise<string | null> {
    const row = this.db.query('SELECT updated_at FROM runs WHERE run_id = ?').get(runId) as { updated_at: string } | null;
    return row?.updated_at ?? null;
  }

  async exists(runId: string): Promise<boolean> {
    return this.db.query('SELECT 1 FROM runs WHERE run_id = ?').get(runId) !== null;
  }

  async status(runId: string): Promise<RunStatus | null> {
    const row = this.db.query('SELECT status FROM runs WHERE run_id = ?').get(runId) as { status: RunStatus } | null;
    return row?.status ?? null;
  }

  /** Upsert the whole checkpoint (callers set updated_at). */
  async save(run: RunState): Promise<void> {
    const w = run.waiting;
    this.db
      .query(
        `INSERT INTO runs (run_id, workflow_id, status, internal, paused, wait_reason, wait_key, wait_until,
           parent_run_id, actor_id, session_id, created_at, updated_at, run_json)
         VALUES ($run_id, $workflow_id, $status, $internal, $paused, $wait_reason, $wait_key, $wait_until,
           $parent_run_id, $actor_id, $session_id, $created_at, $updated_at, $run_json)
         ON CONFLICT(run_id) DO UPDATE SET workflow_id = excluded.workflow_id, status = excluded.status,
           internal = excluded.internal, paused = excluded.paused, wait_reason = excluded.wait_reason,
           wait_key = excluded.wait_key, wait_until = excluded.wait_until, parent_run_id = excluded.parent_run_id,
           actor_id = excluded.actor_id, session_id = excluded.session_id, updated_at = excluded.updated_at,
           run_json = excluded.run_json`,
      )
      .run({
        run_id: run.run_id,
        workflow_id: run.workflow_id,
        status: run.status,
        internal: isInternalWorkflow(run.workflow_id) ? 1 : 0,
        paused: isPaused(run) ? 1 : 0,
        wait_reason: run.status === 'waiting' && w ? w.reason : null,
        wait_key: run.status === 'waiting' && w ? w.wait_key : null,
        wait_until: run.status === 'waiting' && w?.reason === 'until' ? w.until : null,
        parent_run_id: run.parent_run_id,
        actor_id: run.actor_id,
        session_id: run.session_id,
        created_at: run.created_at,
        updated_at: run.updated_at,
        run_json: stringifyTagged(run),
      });
  }

  async list(q: RunListQuery): Promise<{ items: RunIndexRow[]; next_cursor: string | null }> {
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    if (q.status) { where.push('status = $status'); params.status = q.status; }
    if (q.workflowId) { where.push('workflow_id = $workflow_id'); params.workflow_id = q.workflowId; }
    else if (!q.includeInternal) where.push('internal = 0');
    if (q.sessionId) { where.push('session_id = $session_id'); params.session_id = q.sessionId; }
    if (q.parentRunId) { where.push('parent_run_id = $parent_run_id'); params.parent_run_id = q.parentRunId; }
    if (q.rootOnly) where.push("(parent_run_id IS NULL OR parent_run_id = '')");
    if (q.cursor) {
      const c = decodeRunCursor(q.cursor);
      if (c) {
        where.push('(updated_at, run_id) < ($c_updated, $c_run)');
        params.c_updated = c[0];
        params.c_run = c[1];
      }
    }
    params.limit = q.limit + 1;
    const sql = `SELECT ${INDEX_COLS} FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY updated_at DESC, run_id DESC LIMIT $limit`;
    const rows = this.db.query(sql).all(params) as RunIndexRow[];
    const more = rows.length > q.limit;
    const items = more ? rows.slice(0, q.limit) : rows;
    return { items, next_cursor: more ? encodeRunCursor(items[items.length - 1]!) : null };
  }

  /** Runnable runs, least recently updated first so that no run starves (fairness). */
  async listRunnable(limit: number, actorId: string): Promise<string[]> {
    return (this.db.query(RUNNABLE_SQL).all(actorId, limit) as { run_id: string }[]).map((r) => r.run_id);
  }

  /** Runs waiting on a time that is due, earliest first. */
  async listDueUntil(nowIso: string, limit: number): Promise<string[]> {
    return (this.db.query(DUE_SQL).all(nowIso, limit) as { run_id: string }[]).map((r) => r.run_id);
  }

  /** The earliest pending `until` (for the runner's timer), or null. */
  async nextDueUntil(): Promise<string | null> {
    return (this.db.query(NEXT_DUE_SQL).get() as { u: string } | null)?.u ?? null;
  }

  /** Non-paused runs waiting on one of `keys` (event delivery). */
  async listWaitingOnKeys(keys: string[], limit = 10_000): Promise<RunState[]> {
    if (!keys.length) return [];
    const rows = this.db.query(waitingOnKeysSql(keys.length)).all(...keys, limit) as { run_json: string }[];
    return rows.flatMap((r) => decodeRun(r.run_json) ?? []);
  }

  /**
   * Non-paused parents still waiting on a child run that has already ended (`wait_key` = `subworkflow:<child id>`):
   * left behind by a crash between the child's and the parent's commits.
   */
  async listParentsOfEndedChildren(limit: number): Promise<RunState[]> {
    const rows = this.db.query(ENDED_CHILDREN_SQL).all(limit) as { run_json: string }[];
    return rows.flatMap((r) => decodeRun(r.run_json) ?? []);
  }

  async children(parentRunId: string): Promise<RunState[]> {
    const rows = this.db
      .query('SELECT run_json FROM runs WHERE parent_run_id = ? ORDER BY created_at ASC, run_id ASC')
      .all(parentRunId) as { run_json: string }[];
    return rows.flatMap((r) => decodeRun(r.run_json) ?? []);
  }

  /** Adds one run to a root's tree counter and returns the new count (call inside the run's insert transaction). */
  async bumpTreeCount(rootRunId: string): Promise<number> {
    const row = this.db
      .query(
        `INSERT INTO run_trees (root_run_id, run_count) VALUES (?, 1)
         ON CONFLICT(root_run_id) DO UPDATE SET run_count = run_count + 1 RETURNING run_count`,
      )
      .get(rootRunId) as { run_count: number };
    return row.run_count;
  }

  async count(): Promise<number> {
    return (this.db.query('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n;
  }

  async countByStatus(): Promise<{ status: string; n: number }[]> {
    return this.db.query('SELECT status, COUNT(*) AS n FROM runs WHERE internal = 0 GROUP BY status').all() as { status: string; n: number }[];
  }
}
