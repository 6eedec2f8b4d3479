// In-process push: subscribers hear about ledger appends and new commands right after the commit that made
// them durable (never before: a rolled-back transaction notifies nothing). Other processes are noticed through
// `Store.dataVersion()` instead.

type Listener = () => void;

export class Notifier {
  private ledgerSubs = new Map<string, Set<Listener>>();
  private commandSubs = new Set<Listener>();
  private runSubs = new Set<Listener>();
  private pendingRuns = new Set<string>();
  private pendingCommand = false;
  private pendingRunChange = false;

  /** Called once per ledger append inside a transaction; delivered at commit. */
  queueLedger(runId: string): void { this.pendingRuns.add(runId); }
  queueCommand(): void { this.pendingCommand = true; }
  /** A run became runnable (new run, resumed, woken): wakes the runner. */
  queueRunChange(): void { this.pendingRunChange = true; }

  discard(): void {
    this.pendingRuns.clear();
    this.pendingCommand = false;
    this.pendingRunChange = false;
  }

  flush(): void {
    if (this.pendingRuns.size) {
      const runs = [...this.pendingRuns];
      this.pendingRuns.clear();
      for (const runId of runs) {
        const subs = this.ledgerSubs.get(runId);
        if (subs) for (const cb of [...subs]) safe(cb);
      }
    }
    if (this.pendingCommand) {
      this.pendingCommand = false;
      for (const cb of [...this.commandSubs]) safe(cb);
    }
    if (this.pendingRunChange) {
      this.pendingRunChange = false;
      for (const cb of [...this.runSubs]) safe(cb);
    }
  }

  onLedger(runId: string, cb: Listener): () => void {
    let subs = this.ledgerSubs.get(runId);
    if (!subs) this.ledgerSubs.set(runId, (subs = new Set()));
    subs.add(cb);
    return () => {
      subs!.delete(cb);
      if (!subs!.size) this.ledgerSubs.delete(runId);
    };
  }

  onCommand(cb: Listener): () => void {
    this.commandSubs.add(cb);
    return () => this.commandSubs.delete(cb);
  }

  onRunChange(cb: Listener): () => void {
    this.runSubs.add(cb);
    return () => this.runSubs.delete(cb);
  }

  ledgerSubscriberCount(runId?: string): number {
    if (runId) return this.ledgerSubs.get(runId)?.size ?? 0;
    let n = 0;
    for (const s of this.ledgerSubs.values()) n += s.size;
    return n;
  }
}

function safe(fn: () => void): void {
  try { fn(); } catch (err) { console.error('[notifier] subscriber failed:', err); }
}
