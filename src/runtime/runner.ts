// The runner loop (docs/runtime.md "Runner"): apply inbox commands strictly in seq order, tick runnable runs fairly
// (least recently updated first, bounded steps per tick), wake due `until` waits, repair parents of finished
// children. In-process it is woken at once by commits (new commands, new or resumed runs); across processes
// it notices work by polling indexed queries every `pollMs`.
import { GATEWAY_ACTOR } from '../model/index.ts';
import type { Store } from '../store/index.ts';
import { nowIso } from '../util/time.ts';
import { applyCommand } from './commands.ts';
import { RunnerLease } from './lock.ts';
import type { Runtime } from './runtime.ts';

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
  private idleWaiters: (() => void)[] = [];
  /** What may have changed since the last look: commits in this process say so; other processes are polled. */
  private commandsDirty = true;
  private runsDirty = true;
  private lastPoll = 0;

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
  start(): boolean {
    if (this.running) return true;
    if (!this.lease.acquire()) return false;
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
    this.lease.release();
  }

  wake(): void {
    this.woken = true;
    const r = this.wakeResolve;
    this.wakeResolve = null;
    r?.();
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
        this.renewLease();
        const now = Date.now();
        if (now - this.lastPoll >= this.opts.pollMs) {
          // Work this process was not told about: another process's commits, due `until` waits.
          this.lastPoll = now;
          this.commandsDirty = this.runsDirty = true;
        }
        if (this.commandsDirty) {
          this.commandsDirty = false;
          worked = this.applyCommands();
        }
        if (this.runsDirty) {
          this.runsDirty = false;
          worked = this.scheduleTicks() || worked;
        }
        this.repairParents();
      } catch (err) {
        this.opts.log?.(`runner iteration failed: ${err instanceof Error ? err.stack : String(err)}`);
      }
      if (worked || this.woken) {
        this.woken = false;
        await new Promise((r) => setImmediate(r));
        continue;
      }
      if (!this.inflight.size) for (const w of this.idleWaiters.splice(0)) w();
      await this.sleep(this.sleepMs());
    }
  }

  private renewLease(): void {
    if (Date.now() - this.lastRenew < RunnerLease.renewEveryMs) return;
    this.lastRenew = Date.now();
    if (!this.lease.acquire()) {
      this.opts.log?.('runner lease lost to another process; stopping');
      void this.stop();
    }
  }

  /** Until the next poll or the next due `until`, whichever comes first. */
  private sleepMs(): number {
    const next = this.store.runs.nextDueUntil();
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
  private applyCommands(): boolean {
    const cursor = this.store.commands.cursor();
    const batch = this.store.commands.listAfter(cursor, this.opts.commandBatchLimit);
    if (batch.length === this.opts.commandBatchLimit) this.commandsDirty = true; // more after this batch
    for (const cmd of batch) {
      if (cmd.status === 'pending' && (cmd.type === 'cancel' || cmd.type === 'pause')) {
        for (const id of this.runtime.tree(cmd.run_id)) this.runtime.abortInflight(id);
      }
      const outcome = applyCommand(this.runtime, cmd);
      if (outcome.status === 'rejected') this.opts.log?.(`command ${cmd.seq} (${cmd.type}) rejected: ${outcome.reason}`);
    }
    return batch.length > 0;
  }

  private scheduleTicks(): boolean {
    const cap = this.opts.maxConcurrentTicks ?? 64;
    const free = cap - this.inflight.size;
    if (free <= 0) {
      this.runsDirty = true; // look again when a tick finishes
      return false;
    }
    const ids = [
      ...this.store.runs.listDueUntil(this.runtime.clock.nowIso(), this.opts.runScanLimit),
      ...this.store.runs.listRunnable(this.opts.runScanLimit, GATEWAY_ACTOR),
    ];
    let started = 0;
    for (const id of ids) {
      if (started >= free) {
        this.runsDirty = true;
        break;
      }
      if (this.inflight.has(id)) continue;
      started++;
      const p = this.tickOne(id).finally(() => {
        this.inflight.delete(id);
        this.runsDirty = true; // the run may still be runnable (step budget used up)
        this.wake();
      });
      this.inflight.set(id, p);
    }
    return started > 0;
  }

  private async tickOne(runId: string): Promise<void> {
    try {
      await this.runtime.tick(runId, this.opts.tickMaxSteps);
    } catch (err) {
      // tick() already converts node failures into failed runs; this is a missing workflow or a store error.
      this.opts.log?.(`tick ${runId} failed: ${err instanceof Error ? err.message : String(err)}`);
      await new Promise((r) => setTimeout(r, this.opts.pollMs));
    }
  }

  /** Parents left waiting on a child that already ended (e.g. a crash between the two commits). */
  private repairParents(): void {
    if (Date.now() - this.lastRepair < 2_000) return;
    this.lastRepair = Date.now();
    for (const parent of this.store.runs.listParentsOfEndedChildren(this.opts.runScanLimit)) this.runtime.resumeParentIfChildDone(parent);
  }
}
