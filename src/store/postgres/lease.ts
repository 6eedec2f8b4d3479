// The runner lease row (mirrors src/store/lease.ts; on PostgreSQL runners claim runs instead, see claims.ts, but
// the row still serves tools that ask who runs) and storage only: the policy belongs to src/runtime/lock.ts.
import type { LeaseRepo, LeaseRow } from '../api.ts';
import { num, type Db } from './conn.ts';

export class PgLeaseRepo implements LeaseRepo {
  constructor(private readonly db: Db) {}

  async read(): Promise<LeaseRow | null> {
    const [row] = await this.db.q`SELECT owner, host, pid, expires_at FROM runner_lease WHERE id = 1`;
    if (!row) return null;
    const r = row as { owner: string; host: string; pid: number; expires_at: string };
    return { owner: r.owner, host: r.host, pid: r.pid, expires_at: num(r.expires_at) };
  }

  async take(row: LeaseRow): Promise<void> {
    await this.db.q`INSERT INTO runner_lease (id, owner, host, pid, expires_at) VALUES (1, ${row.owner}, ${row.host}, ${row.pid}, ${row.expires_at})
      ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid, expires_at = excluded.expires_at`;
  }

  async release(owner: string): Promise<void> {
    await this.db.q`DELETE FROM runner_lease WHERE id = 1 AND owner = ${owner}`;
  }

  async holder(nowMs: number): Promise<{ host: string; pid: number } | null> {
    const row = await this.read();
    return row && row.expires_at > nowMs ? { host: row.host, pid: row.pid } : null;
  }
}
