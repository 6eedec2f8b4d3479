// Run checkpoints on PostgreSQL (mirrors src/store/runs.ts: one JSON document per run plus the filter columns;
// decoded through `parseRunJson`, the one place a stored checkpoint becomes a RunState). Inside a transaction
// `get` and `updatedAt` lock the row FOR UPDATE until commit: the runtime's read-merge-write of a checkpoint is
// then atomic across processes.
import { isInternalWorkflow, isPaused, type RunState, type RunStatus } from '../../model/index.ts';
import { stringifyTagged } from '../../util/pyfloat.ts';
import type { RunIndexRow, RunListQuery, RunRepo } from '../api.ts';
import { decodeRunCursor, encodeRunCursor, parseRunJson } from '../runs.ts';
import type { Db } from './conn.ts';

const INDEX_COLS =
  'run_id, workflow_id, status, wait_reason, wait_key, wait_until, paused, parent_run_id, actor_id, session_id, created_at, updated_at';

const decodeAll = (rows: { run_json: string }[]): RunState[] => rows.flatMap((r) => parseRunJson(r.run_json) ?? []);

export class PgRunRepo implements RunRepo {
  constructor(private readonly db: Db) {}

  private get lock(): string { return this.db.inside ? ' FOR UPDATE' : ''; }

  async get(runId: string): Promise<RunState | null> {
    const [row] = await this.db.q.unsafe(`SELECT run_json FROM runs WHERE run_id = $1${this.lock}`, [runId]);
    return row ? parseRunJson((row as { run_json: string }).run_json) : null;
  }

  async updatedAt(runId: string): Promise<string | null> {
    const [row] = await this.db.q.unsafe(`SELECT updated_at FROM runs WHERE run_id = $1${this.lock}`, [runId]);
    return (row as { updated_at: string } | undefined)?.updated_at ?? null;
  }

  async exists(runId: string): Promise<boolean> {
    return (await this.db.q`SELECT 1 FROM runs WHERE run_id = ${runId}`).length > 0;
  }

  async status(runId: string): Promise<RunStatus | null> {
    const [row] = await this.db.q`SELECT status FROM runs WHERE run_id = ${runId}`;
    return (row as { status: RunStatus } | undefined)?.status ?? null;
  }

  async save(run: RunState): Promise<void> {
    const w = run.waiting;
    const waiting = run.status === 'waiting' && w;
    await this.db.q.unsafe(
      `INSERT INTO runs (run_id, workflow_id, status, internal, paused, wait_reason, wait_key, wait_until,
         parent_run_id, actor_id, session_id, created_at, updated_at, run_json)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (run_id) DO UPDATE SET workflow_id = excluded.workflow_id, status = excluded.status,
         internal = excluded.internal, paused = excluded.paused, wait_reason = excluded.wait_reason,
         wait_key = excluded.wait_key, wait_until = excluded.wait_until, parent_run_id = excluded.parent_run_id,
         actor_id = excluded.actor_id, session_id = excluded.session_id, updated_at = excluded.updated_at,
         run_json = excluded.run_json`,
      [
        run.run_id, run.workflow_id, run.status, isInternalWorkflow(run.workflow_id) ? 1 : 0, isPaused(run) ? 1 : 0,
        waiting ? w.reason : null, waiting ? w.wait_key : null, waiting && w.reason === 'until' ? w.until : null,
        run.parent_run_id ?? null, run.actor_id ?? null, run.session_id ?? null, run.created_at, run.updated_at,
        stringifyTagged(run),
      ],
    );
  }

  async list(q: RunListQuery): Promise<{ items: RunIndexRow[]; next_cursor: string | null }> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const arg = (v: string | number) => `$${args.push(v)}`;
    if (q.status) where.push(`status = ${arg(q.status)}`);
    if (q.workflowId) where.push(`workflow_id = ${arg(q.workflowId)}`);
    else if (!q.includeInternal) where.push('internal = 0');
    if (q.sessionId) where.push(`session_id = ${arg(q.sessionId)}`);
    if (q.parentRunId) where.push(`parent_run_id = ${arg(q.parentRunId)}`);
    if (q.rootOnly) where.push("(parent_run_id IS NULL OR parent_run_id = '')");
    if (q.cursor) {
      const c = decodeRunCursor(q.cursor);
      if (c) where.push(`(updated_at, run_id) < (${arg(c[0])}, ${arg(c[1])})`);
    }
    const sql = `SELECT ${INDEX_COLS} FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY updated_at DESC, run_id DESC LIMIT ${arg(q.limit + 1)}`;
    const rows = [...(await this.db.q.unsafe(sql, args))] as RunIndexRow[];
    const more = rows.length > q.limit;
    const items = more ? rows.slice(0, q.limit) : rows;
    return { items, next_cursor: more ? encodeRunCursor(items[items.length - 1]!) : null };
  }

  async listRunnable(limit: number, actorId: string): Promise<string[]> {
    const rows = await this.db.q`SELECT run_id FROM runs WHERE status = 'running' AND paused = 0 AND actor_id = ${actorId}
      ORDER BY updated_at ASC LIMIT ${limit}`;
    return rows.map((r: { run_id: string }) => r.run_id);
  }

  async listDueUntil(nowIso: string, limit: number): Promise<string[]> {
    const rows = await this.db.q`SELECT run_id FROM runs WHERE status = 'waiting' AND wait_reason = 'until'
      AND wait_until <= ${nowIso} AND paused = 0 ORDER BY wait_until ASC LIMIT ${limit}`;
    return rows.map((r: { run_id: string }) => r.run_id);
  }

  async nextDueUntil(): Promise<string | null> {
    const [row] = await this.db.q`SELECT MIN(wait_until) AS u FROM runs
      WHERE status = 'waiting' AND wait_reason = 'until' AND paused = 0`;
    return (row as { u: string | null }).u;
  }

  async listWaitingOnKeys(keys: string[], limit = 10_000): Promise<RunState[]> {
    if (!keys.length) return [];
    const rows = await this.db.q.unsafe(
      `SELECT run_json FROM runs WHERE status = 'waiting' AND wait_key = ANY($1::text[]) ORDER BY updated_at DESC LIMIT $2`,
      [keys, limit],
    );
    return decodeAll(rows);
  }

  async listParentsOfEndedChildren(limit: number): Promise<RunState[]> {
    const rows = await this.db.q.unsafe(
      // The wait-key range (keys `subworkflow:<child id>`) reads idx_runs_wait_key instead of every run.
      `SELECT p.run_json FROM runs p JOIN runs c ON c.run_id = substr(p.wait_key, ${'subworkflow:'.length + 1})
       WHERE p.status = 'waiting' AND p.wait_key > 'subworkflow:' AND p.wait_key < 'subworkflow;'
         AND p.wait_reason = 'subworkflow' AND p.paused = 0 AND c.status IN ('completed', 'failed', 'cancelled') LIMIT $1`,
      [limit],
    );
    return decodeAll(rows);
  }

  async children(parentRunId: string): Promise<RunState[]> {
    return decodeAll(await this.db.q`SELECT run_json FROM runs WHERE parent_run_id = ${parentRunId} ORDER BY created_at ASC, run_id ASC`);
  }

  async bumpTreeCount(rootRunId: string): Promise<number> {
    const [row] = await this.db.q`INSERT INTO run_trees (root_run_id, run_count) VALUES (${rootRunId}, 1)
      ON CONFLICT (root_run_id) DO UPDATE SET run_count = run_trees.run_count + 1 RETURNING run_count`;
    return (row as { run_count: number }).run_count;
  }

  async count(): Promise<number> {
    const [row] = await this.db.q`SELECT COUNT(*)::int AS n FROM runs`;
    return (row as { n: number }).n;
  }

  async countByStatus(): Promise<{ status: string; n: number }[]> {
    return [...(await this.db.q`SELECT status, COUNT(*)::int AS n FROM runs WHERE internal = 0 GROUP BY status ORDER BY status`)];
  }
}
