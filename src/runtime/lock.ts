// One active runner per data directory: a lease row in the shared database. The holder renews it; a runner whose
// process died (same host, pid gone) or whose lease expired is taken over at once. Portable (no flock), and it
// lives next to the data it protects.
import { hostname } from 'node:os';
import type { Store } from '../store/index.ts';
import { systemClock, type Clock } from '../util/clock.ts';

const LEASE_MS = 5_000;

export class RunnerLease {
  private readonly owner = `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`;
  constructor(private readonly store: Store, private readonly clock: Pick<Clock, 'now'> = systemClock) {}

  /** Takes or renews the lease; false when another live runner holds it. */
  acquire(): Promise<boolean> {
    return this.store.tx(async () => {
      const row = await this.store.lease.read();
      const now = this.clock.now();
      if (row && row.owner !== this.owner && row.expires_at > now && !(row.host === hostname() && !pidAlive(row.pid))) {
        return false;
      }
      await this.store.lease.take({ owner: this.owner, host: hostname(), pid: process.pid, expires_at: now + LEASE_MS });
      return true;
    });
  }

  holder(): Promise<{ host: string; pid: number } | null> {
    return this.store.lease.holder(this.clock.now());
  }

  release(): Promise<void> {
    return this.store.tx(() => this.store.lease.release(this.owner));
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
