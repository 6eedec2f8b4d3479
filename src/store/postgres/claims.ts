// Run claims (PostgreSQL: many runners share one database; each run is ticked by one runner at a time). A claim
// is `runs.lease_owner` + `runs.lease_until` (epoch ms). `claim` is one statement: it picks runs with work (due
// `until` waits first, earliest due first, then runnable runs of the actor, least recently updated first) that
// nobody holds or whose claim expired, skipping rows other transactions have locked (FOR UPDATE SKIP LOCKED:
// two runners claiming at once get disjoint sets), and stamps them. `holds` re-checks the claim inside the
// tick's commit transaction with the row locked, so a runner whose claim was taken over cannot commit.
import type { ClaimRepo } from '../api.ts';
import type { Db } from './conn.ts';

export class PgClaimRepo implements ClaimRepo {
  constructor(private readonly db: Db) {}

  async claim(owner: string, limit: number, actorId: string, nowIso: string, nowMs: number, leaseUntilMs: number): Promise<string[]> {
    if (limit <= 0) return [];
    const rows = await this.db.q.unsafe(
      `WITH c AS (
         SELECT run_id FROM runs
         WHERE ((status = 'waiting' AND wait_reason = 'until' AND wait_until <= $1 AND paused = 0)
             OR (status = 'running' AND paused = 0 AND actor_id = $2))
           AND (lease_until IS NULL OR lease_until < $3 OR lease_owner = $4)
         ORDER BY (status = 'waiting') DESC, wait_until ASC NULLS LAST, updated_at ASC, run_id ASC
         LIMIT $5
         FOR UPDATE SKIP LOCKED)
       UPDATE runs r SET lease_owner = $4, lease_until = $6 FROM c WHERE r.run_id = c.run_id
       RETURNING r.run_id, r.status, r.wait_until, r.updated_at`,
      [nowIso, actorId, nowMs, owner, limit, leaseUntilMs],
    );
    // RETURNING has no order: restore the claim order (due first, then least recently updated).
    return ([...rows] as { run_id: string; status: string; wait_until: string | null; updated_at: string }[])
      .sort((a, b) => rank(a) - rank(b) || cmp(a.wait_until ?? '', b.wait_until ?? '') || cmp(a.updated_at, b.updated_at) || cmp(a.run_id, b.run_id))
      .map((r) => r.run_id);
  }

  async claimRun(owner: string, runId: string, nowMs: number, leaseUntilMs: number): Promise<boolean> {
    const rows = await this.db.q.unsafe(
      `UPDATE runs SET lease_owner = $1, lease_until = $2
       WHERE run_id = $3 AND (lease_until IS NULL OR lease_until < $4 OR lease_owner = $1) RETURNING run_id`,
      [owner, leaseUntilMs, runId, nowMs],
    );
    return rows.length > 0;
  }

  async renew(owner: string, runIds: string[], leaseUntilMs: number): Promise<void> {
    if (!runIds.length) return;
    // Rows locked right now (a commit of this very tick, most likely) are skipped, not waited for: the renewal then
    // never takes part in a deadlock with the ticks' commits, and the next renewal (a third of the claim later)
    // extends them.
    await this.db.q.unsafe(
      `UPDATE runs r SET lease_until = $1
       FROM (SELECT run_id FROM runs WHERE lease_owner = $2 AND run_id = ANY($3::text[]) FOR UPDATE SKIP LOCKED) c
       WHERE r.run_id = c.run_id`,
      [leaseUntilMs, owner, runIds]);
  }

  async release(owner: string, runIds: string[]): Promise<void> {
    if (!runIds.length) return;
    await this.db.q.unsafe(
      'UPDATE runs SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = $1 AND run_id = ANY($2::text[])', [owner, runIds]);
  }

  async holds(owner: string, runId: string, nowMs: number, lock = true): Promise<boolean> {
    const forUpdate = lock && this.db.inside ? ' FOR UPDATE' : '';
    const rows = await this.db.q.unsafe(
      `SELECT 1 FROM runs WHERE run_id = $1 AND lease_owner = $2 AND lease_until >= $3${forUpdate}`, [runId, owner, nowMs]);
    return rows.length > 0;
  }
}

const rank = (r: { status: string }): number => (r.status === 'waiting' ? 0 : 1);
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
