// The runner loop (docs/runtime.md "Runner"): apply inbox commands in seq order, tick runnable runs fairly
// (least recently updated first, bounded steps per tick), wake due `until` waits, repair parents of finished
// children. In-process it is woken at once by commits (new commands, new or resumed runs); across processes
// by the store's notifications (PostgreSQL LISTEN/NOTIFY) or by polling indexed queries every `pollMs`.
// On SQLite one runner holds the database's lease; on a many-runner store (PostgreSQL) every runner claims
// the runs it ticks (store.claims: FOR UPDATE SKIP LOCKED, renewed while the tick runs, taken over when a
// runner dies) and the inbox is applied by whichever runner holds its cursor row at the time.
import { GATEWAY_ACTOR } from '../model/index.ts';
import type { Store } from '../store/index.ts';
import { nowIso } from '../util/time.ts';
import { applyCommand } from './commands.ts';
import { RunnerLease } from './lock.ts';
import type { Runtime } from './runtime.ts';
import { hostname } from 'node:os';

export interface RunnerOptions {
  pollMs: number;
  commandBatchLimit: number;
  tickMaxSteps: number;
  runScanLimit: number;
  /** Ticks allowed in flight at once (they overlap only while awaiting external effects). */
  maxConcurrentTicks?: number;
  log?: (msg: string) => void;
}

export class Runner {
  private readonly lease: RunnerLease;
  private running = false;
  private loopDone: Promise<void> | null = null;
  private wakeResolve: (() => void) | null = null;
  private woken = false;
  private inflight = new Map<string, Promise<void>>();
  private unsubs: (() => void)[] = [];
  private lastRepair = 0;
  private lastRenew = 0;
  private renewTimer: ReturnType<typeof setInterval> | null = null;
  private idleWaiters: (() => void)[] = [];
  /** What may have changed since the last look: commits in this process say so; other processes are polled. */
  private commandsDirty = true;
  private runsDirty = true;
  private lastPoll = 0;
  /** This runner's name in run claims (many-runner stores). */
  readonly owner = `${hostname()}:${process.pid}:${crypto.randomUUID().slice(0, 8)}`;

  constructor(
    private readonly store: Store,
    private readonly runtime: Runtime,
    private readonly opts: RunnerOptions,
  ) {
    this.lease = new RunnerLease(store);
  }

  get active(): boolean {
    return this.running;
  }

  /** Takes the data directory's runner lease and starts the loop; false when another runner holds it. */
  async start(): Promise<boolean> {
    if (this.running) return true;
    if (!this.store.multiRunner && !(await this.lease.acquire())) return false;
    this.running = true;
    this.lastRenew = Date.now();
    this.unsubs.push(
      this.store.notifier.onCommand(() => {
        this.commandsDirty = true;
        this.wake();
      }),
      this.store.notifier.onRunChange(() => {
        this.runsDirty = true;
        this.wake();
      }),
    );
    if (this.store.multiRunner) this.startClaimRenewal();
    this.loopDone = this.loop();
    return true;
  }

  /** Stops after the current step: waits for in-flight ticks, releases the lease. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const u of this.unsubs.splice(0)) u();
    this.wake();
    await this.loopDone;
    await Promise.allSettled([...this.inflight.values()]);
    if (this.renewTimer) clearInterval(this.renewTimer); // after the ticks in flight: they keep their claims to the end
    this.renewTimer = null;
    if (!this.store.multiRunner) await this.lease.release();
  }

  /**
   * Wakes the loop in a task of its own: a wake comes from a commit, often inside a request's handler, and the
   * loop's work must hold back neither that response nor the SSE bytes the commit pushed (Bun sends socket
   * writes on its next turn of the event loop, not at the write).
   */
  wake(): void {
    this.woken = true;
    const r = this.wakeResolve;
    this.wakeResolve = null;
    if (r) setImmediate(r);
  }

  /** Resolves when the runner has nothing left to do right now (tests and graceful shutdown). */
  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.commandsDirty = this.runsDirty = true;
      this.wake();
    });
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let worked = false;
      try {
        await this.renewLease();
        const now = Date.now();
        if (now - this.lastPoll >= this.opts.pollMs) {
          // Work this process was not told about: another process's commits, due `until` waits.
          this.lastPoll = now;
          this.commandsDirty = this.runsDirty = true;
        }
        if (this.commandsDirty) {
          this.commandsDirty = false;
          worked = await this.applyCommands();
          // Let the event loop write out what the commands' commits pushed to SSE before ticking: Bun sends those
          // bytes on its next I/O turn, which a setImmediate can still precede (seen under load), a timer cannot.
          if (worked) await new Promise((r) => setTimeout(r, 0));
        }
        if (this.runsDirty) {
          this.runsDirty = false;
          worked = (await this.scheduleTicks()) || worked;
        }
        await this.repairParents();
      } catch (err) {
        this.opts.log?.(`runner iteration failed: ${err instanceof Error ? err.stack : String(err)}`);
      }
      if (worked || this.woken) {
        this.woken = false;
        await new Promise((r) => setImmediate(r));
        continue;
      }
      if (!this.inflight.size) for (const w of this.idleWaiters.splice(0)) w();
      const ms = await this.sleepMs();
      if (this.woken) continue; // woken while the next due time was read (a real await on PostgreSQL)
      await this.sleep(ms);
    }
  }

  /**
   * Many-runner stores: the claims of every run ticked in this process (the runner's ticks and the children they
   * tick inline; long LLM calls) are extended on a timer of a third of the claim period, so that neither a busy
   * loop iteration nor a long effect lets them lapse. A renewal still in flight is not overlapped.
   */
  private startClaimRenewal(): void {
    let busy = false;
    const timer = setInterval(() => {
      const ids = this.runtime.tickingIds();
      if (busy || !ids.length) return;
      busy = true;
      this.store.claims.renew(this.owner, ids, Date.now() + this.runtime.claimMs)
        .catch((err) => this.opts.log?.(`claim renewal failed: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => { busy = false; });
    }, Math.max(50, Math.floor(this.runtime.claimMs / 3)));
    timer.unref?.();
    this.renewTimer = timer;
  }

  private async renewLease(): Promise<void> {
    if (this.store.multiRunner) return; // claims are renewed on their own timer (startClaimRenewal)
    if (Date.now() - this.lastRenew < RunnerLease.renewEveryMs) return;
    this.lastRenew = Date.now();
    if (!(await this.lease.acquire())) {
      this.opts.log?.('runner lease lost to another process; stopping');
      void this.stop();
    }
  }

  /** Until the next poll or the next due `until`, whichever comes first. */
  private async sleepMs(): Promise<number> {
    const next = await this.store.runs.nextDueUntil();
    if (!next) return this.opts.pollMs;
    const dueIn = Date.parse(next.slice(0, 23) + 'Z') - this.runtime.clock.now();
    return Math.max(1, Math.min(this.opts.pollMs, dueIn + 1));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeResolve = null;
        this.runsDirty = true; // a due `until` (or the poll interval)
        resolve();
      }, ms);
      this.wakeResolve = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Applies pending commands in seq order; each outcome and the cursor commit with the command's effect. */
  private async applyCommands(): Promise<boolean> {
    const batch = await this.store.commands.listPending(this.opts.commandBatchLimit);
    if (batch.length === this.opts.commandBatchLimit) this.commandsDirty = true; // more after this batch
    for (const cmd of batch) {
      if (cmd.type === 'cancel' || cmd.type === 'pause') {
        for (const id of await this.runtime.tree(cmd.run_id)) this.runtime.abortInflight(id);
      }
      const outcome = await applyCommand(this.runtime, cmd);
      if (!outcome) {
        this.commandsDirty = true; // another runner holds the inbox: look again at the next poll
        return false;
      }
      if (outcome.status === 'rejected') this.opts.log?.(`command ${cmd.seq} (${cmd.type}) rejected: ${outcome.reason}`);
    }
    return batch.length > 0;
  }

  private async scheduleTicks(): Promise<boolean> {
    const cap = this.opts.maxConcurrentTicks ?? 64;
    const free = cap - this.inflight.size;
    if (free <= 0) {
      this.runsDirty = true; // look again when a tick finishes
      return false;
    }
    const now = this.runtime.clock;
    // Due `until` waits are judged by the runtime's clock; claim leases by the wall clock (liveness between processes).
    const wall = Date.now();
    const ids = await this.store.claims.claim(this.owner, this.opts.runScanLimit, GATEWAY_ACTOR, now.nowIso(), wall, wall + this.runtime.claimMs);
    const owner = this.store.multiRunner ? this.owner : null;
    let started = 0;
    const unused: string[] = [];
    for (const id of ids) {
      // Being ticked here already (by this runner, or inline by a parent's tick): the claim just got extended;
      // it must neither be released as unused nor ticked twice.
      if (this.inflight.has(id) || this.runtime.isTicking(id)) continue;
      if (started >= free) {
        this.runsDirty = true;
        unused.push(id);
        continue;
      }
      started++;
      const p = this.tickOne(id, owner).then((more) => {
        this.inflight.delete(id);
        if (more) this.runsDirty = true; // still runnable (step budget used up): look again
        // A run that ended or waits needs no new look: whatever became runnable meanwhile said so at its commit.
        if (this.runsDirty || !this.inflight.size) this.wake();
      });
      this.inflight.set(id, p);
    }
    if (owner && unused.length) await this.store.claims.release(owner, unused);
    return started > 0;
  }

  /** Ticks one run; true when it may still be runnable (running after its step budget, or the tick failed). */
  private async tickOne(runId: string, owner: string | null): Promise<boolean> {
    try {
      return (await this.runtime.tick(runId, this.opts.tickMaxSteps, owner)).status === 'running';
    } catch (err) {
      // tick() already converts node failures into failed runs; this is a missing workflow or a store error.
      this.opts.log?.(`tick ${runId} failed: ${err instanceof Error ? err.message : String(err)}`);
      await new Promise((r) => setTimeout(r, this.opts.pollMs));
      return true;
    } finally {
      if (owner) await this.store.claims.release(owner, [runId]).catch(() => {});
    }
  }

  /** Parents left waiting on a child that already ended (e.g. a crash between the two commits). */
  private async repairParents(): Promise<void> {
    if (Date.now() - this.lastRepair < 2_000) return;
    this.lastRepair = Date.now();
    for (const parent of await this.store.runs.listParentsOfEndedChildren(this.opts.runScanLimit)) {
      await this.runtime.resumeParentIfChildDone(parent);
    }
  }
}
