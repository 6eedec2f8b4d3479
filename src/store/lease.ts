// The runner lease row (one active runner per database): read, take, release. The policy (who may take it over,
// how long it lasts) belongs to the runner (src/runtime/lock.ts); this is only the storage.
import type { Database } from 'bun:sqlite';

export interface LeaseRow {
  owner: string;
  host: string;
  pid: number;
  /** Epoch milliseconds. */
  expires_at: number;
}

export class LeaseRepo {
  constructor(private readonly db: Database) {}

  read(): LeaseRow | null {
    return this.db.query('SELECT owner, host, pid, expires_at FROM runner_lease WHERE id = 1').get() as LeaseRow | null;
  }

  /** Writes the lease for `owner` (callers decide in the same transaction that they may). */
  take(row: LeaseRow): void {
    this.db
      .query(
        `INSERT INTO runner_lease (id, owner, host, pid, expires_at) VALUES (1, $owner, $host, $pid, $expires_at)
         ON CONFLICT(id) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid,
         expires_at = excluded.expires_at`,
      )
      .run({ owner: row.owner, host: row.host, pid: row.pid, expires_at: row.expires_at });
  }

  release(owner: string): void {
    this.db.query('DELETE FROM runner_lease WHERE id = 1 AND owner = ?').run(owner);
  }

  /** The holder of a lease that has not expired at `nowMs`, or null. */
  holder(nowMs: number): { host: string; pid: number } | null {
    const row = this.read();
    return row && row.expires_at > nowMs ? { host: row.host, pid: row.pid } : null;
  }
}
