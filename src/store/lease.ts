// The runner lease row (one active runner per database): read, take, release. The policy (who may take it over,
// how long it lasts) belongs to the runner (src/runtime/lock.ts); this is only the storage.
import type { Database } from 'bun:sqlite';
import type { ClaimRepo, LeaseRepo, LeaseRow } from './api.ts';
import { DUE_SQL, RUNNABLE_SQL } from './runs.ts';

export class SqliteLeaseRepo implements LeaseRepo {
  constructor(private readonly db: Database) {}

  async read(): Promise<LeaseRow | null> {
    return this.db.query('SELECT owner, host, pid, expires_at FROM runner_lease WHERE id = 1').get() as LeaseRow | null;
  }

  /** Writes the lease for `owner` (callers decide in the same transaction that they may). */
  async take(row: LeaseRow): Promise<void> {
    this.db
      .query(
        `INSERT INTO runner_lease (id, owner, host, pid, expires_at) VALUES (1, $owner, $host, $pid, $expires_at)
         ON CONFLICT(id) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid,
         expires_at = excluded.expires_at`,
      )
      .run({ owner: row.owner, host: row.host, pid: row.pid, expires_at: row.expires_at });
  }

  async release(owner: string): Promise<void> {
    this.db.query('DELETE FROM runner_lease WHERE id = 1 AND owner = ?').run(owner);
  }

  /** The holder of a lease that has not expired at `nowMs`, or null. */
  async holder(nowMs: number): Promise<{ host: string; pid: number } | null> {
    const row = await this.read();
    return row && row.expires_at > nowMs ? { host: row.host, pid: row.pid } : null;
  }
}

/**
 * Run claims on SQLite: one runner per database (the lease above), so every runnable run is this runner's: a
 * claim is the due and runnable lists, and there is nothing to renew or release.
 */
export class SqliteClaimRepo implements ClaimRepo {
  constructor(private readonly db: Database) {}

  async claim(_owner: string, limit: number, actorId: string, nowIso: string): Promise<string[]> {
    const due = this.db.query(DUE_SQL).all(nowIso, limit) as { run_id: string }[];
    const runnable = this.db.query(RUNNABLE_SQL).all(actorId, limit) as { run_id: string }[];
    return [...due, ...runnable].map((r) => r.run_id);
  }

  async claimRun(): Promise<boolean> { return true; }
  async renew(): Promise<void> {}
  async release(): Promise<void> {}
  async holds(): Promise<boolean> { return true; }
}
