// One active runner per data directory: a lease row in the shared database. The holder renews it; a runner whose
// process died (same host, pid gone) or whose lease expired is taken over at once. Portable (no flock), and it
// lives next to the data it protects.
import type { Store } from '../store/index.ts';
import { hostname } from 'node:os';

const LEASE_MS = 5_000;

export class RunnerLease {
  private readonly owner = `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`;
  constructor(private readonly store: Store) {}

  /** Takes or renews the lease; false when another live runner holds it. */
  acquire(): boolean {
    return this.store.tx(() => {
      const row = this.store.db.query('SELECT owner, host, pid, expires_at FROM runner_lease WHERE id = 1').get() as
        | { owner: string; host: string; pid: number; expires_at: number }
        | null;
      const now = Date.now();
      if (row && row.owner !== this.owner && row.expires_at > now && !(row.host === hostname() && !pidAlive(row.pid))) {
        return false;
      }
      this.store.db
        .query(
          `INSERT INTO runner_lease (id, owner, host, pid, expires_at) VALUES (1, ?, ?, ?, ?)
           ON CONFLICT(id) DO UPDATE SET owner = excluded.owner, host = excluded.host, pid = excluded.pid,
           expires_at = excluded.expires_at`,
        )
        .run(this.owner, hostname(), process.pid, now + LEASE_MS);
      return true;
    });
  }

  holder(): { host: string; pid: number } | null {
    const row = this.store.db.query('SELECT host, pid, expires_at FROM runner_lease WHERE id = 1').get() as
      | { host: string; pid: number; expires_at: number }
      | null;
    return row && row.expires_at > Date.now() ? { host: row.host, pid: row.pid } : null;
  }

  release(): void {
    this.store.tx(() => this.store.db.query('DELETE FROM runner_lease WHERE id = 1 AND owner = ?').run(this.owner));
  }

  static readonly renewEveryMs = LEASE_MS / 5;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
