// Auth lockout per client IP (docs/security.md) with two deliberate fixes of reference quirks: locks keep millisecond
// precision (a 0.5 s lock is enforced; Retry-After rounds up), and failure counts decay after a quiet period.
// Memory is bounded: the table is an LRU of at most `maxEntries` IPs.

export interface LockoutConfig {
  after: number; // the N-th consecutive failure (N >= after) locks
  baseS: number; // lock = baseS * 2^(N - after) ...
  maxS: number; // ... capped at maxS
  decayS: number; // failures are forgotten after this long without a new one (counted from the lock's end)
  maxEntries: number;
}

interface Entry {
  failures: number;
  lastFailureMs: number;
  lockedUntilMs: number;
}

export class AuthLockout {
  private readonly table = new Map<string, Entry>();

  constructor(private readonly cfg: LockoutConfig, private readonly now: () => number = Date.now) {}

  get size(): number { return this.table.size; }

  /** Milliseconds this IP stays locked (0 = not locked). */
  remainingMs(ip: string): number {
    const e = this.live(ip);
    return e ? Math.max(0, e.lockedUntilMs - this.now()) : 0;
  }

  /** Count a failure; returns the lock it triggers in ms (0 = none, answer 401). */
  recordFailure(ip: string): number {
    const now = this.now();
    const e = this.live(ip) ?? { failures: 0, lastFailureMs: now, lockedUntilMs: 0 };
    e.failures++;
    e.lastFailureMs = now;
    let lockMs = 0;
    if (e.failures >= this.cfg.after) {
      lockMs = Math.min(this.cfg.baseS * 2 ** (e.failures - this.cfg.after), this.cfg.maxS) * 1000;
      e.lockedUntilMs = now + lockMs;
    }
    this.table.delete(ip); // re-insert: Map order doubles as LRU order
    this.table.set(ip, e);
    while (this.table.size > this.cfg.maxEntries) this.table.delete(this.table.keys().next().value!);
    return lockMs;
  }

  recordSuccess(ip: string): void {
    this.table.delete(ip);
  }

  /** The IP's entry unless it has decayed: no failure and no lock for the last decayS seconds. */
  private live(ip: string): Entry | undefined {
    const e = this.table.get(ip);
    if (!e) return undefined;
    if (this.now() - Math.max(e.lastFailureMs, e.lockedUntilMs) >= this.cfg.decayS * 1000) {
      this.table.delete(ip);
      return undefined;
    }
    return e;
  }
}
