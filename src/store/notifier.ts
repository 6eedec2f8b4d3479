// In-process push: subscribers hear about ledger appends and new commands right after the commit that made
// them durable (never before: a rolled-back transaction notifies nothing). Other processes are noticed through
// `Store.dataVersion()` instead.

type Listener = () => void;

/** One appended ledger record as observers see it (after commit). */
export interface AppendedRecord {
  run_id: string;
  seq: number;
  status: string;
  node_id: string;
  effect_type: string | null;
  idempotency_key: string | null;
  error: string | null;
  /** `result.wait.reason` of a waiting record. */
  wait_reason: string | null;
}

/**
 * cli: process-wide observers (metrics, the server log): every committed ledger append, and the duration of
 * each store transaction and runtime tick. Nothing is queued or timed for them while none is registered.
 */
export interface Observer {
  append?(rec: AppendedRecord): void;
  commit?(ms: number): void;
  tick?(ms: number): void;
}

export class Notifier {
  private ledgerSubs = new Map<string, Set<Listener>>();
  private commandSubs = new Set<Listener>();
  private runSubs = new Set<Listener>();
  private pendingRuns = new Set<string>();
  private pendingCommand = false;
  private pendingRunChange = false;
  private observers = new Set<Observer>();
  private pendingAppends: AppendedRecord[] = [];

  /** True while some observer listens (callers skip building what nobody reads). */
  get observed(): boolean { return this.observers.size > 0; }
  observe(o: Observer): () => void {
    this.observers.add(o);
    return () => this.observers.delete(o);
  }
  queueAppend(rec: AppendedRecord): void { if (this.observers.size) this.pendingAppends.push(rec); }
  timing(kind: 'commit' | 'tick', ms: number): void {
    for (const o of this.observers) { const f = o[kind]; if (f) safe(() => f.call(o, ms)); }
  }

  /** Called once per ledger append inside a transaction; delivered at commit. */
  queueLedger(runId: string): void { this.pendingRuns.add(runId); }
  queueCommand(): void { this.pendingCommand = true; }
  /** A run became runnable (new run, resumed, woken): wakes the runner. */
  queueRunChange(): void { this.pendingRunChange = true; }

  discard(): void {
    this.pendingAppends.length = 0;
    this.pendingRuns.clear();
    this.pendingCommand = false;
    this.pendingRunChange = false;
  }

  flush(): void {
    if (this.pendingAppends.length) {
      const recs = this.pendingAppends.splice(0);
      for (const o of this.observers) if (o.append) for (const r of recs) safe(() => o.append!(r));
    }
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

  /** An event another process committed (PostgreSQL LISTEN/NOTIFY): fires the subscribers now, nothing queued. */
  deliverRemote(kind: 'ledger' | 'command' | 'run', runId?: string): void {
    const subs = kind === 'ledger' ? (runId === undefined ? undefined : this.ledgerSubs.get(runId))
      : kind === 'command' ? this.commandSubs : this.runSubs;
    if (subs) for (const cb of [...subs]) safe(cb);
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
