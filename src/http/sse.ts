// Ledger tailing for SSE: a per-run fan-out hub plus the wire framing.
//
// Push, not poll: a run's channel is woken by the store notifier right after an in-process commit, and by one
// hub-wide timer that notices commits from other processes through `store.dataVersion()`. On a wake the channel
// reads the run status and then the ledger ONCE for all of its waiting subscribers (from the smallest cursor)
// and hands each its own slice. Reading the status before the ledger makes "terminal + nothing left to read"
// a safe moment to send `done`: every record committed up to the final status is in that read.
import type { Store } from '../store/index.ts';
import { isTerminal } from '../runtime/types.ts';

export interface RawRecord { seq: number; json: string }

export type TailEvent =
  | { kind: 'records'; records: RawRecord[]; frames: Uint8Array }
  | { kind: 'done'; cursor: number }
  | { kind: 'idle' }
  | { kind: 'closed' }
  | { kind: 'shutdown' };

const BATCH = 200;
/** Resolution of heartbeats (heartbeat_s is at least 0.1 s). */
const HEARTBEAT_TICK_MS = 50;

type Deliver = (ev: TailEvent) => void;

export class Subscription {
  cursor: number;
  /** Channel wake counter at the last read that left this subscriber caught up (-1 = must read). */
  seen = -1;
  doneReady = false;
  waiter: Deliver | null = null;
  closed = false;
  /** When this subscriber last received something (heartbeats are due `heartbeatMs` after it). */
  lastSent = Date.now();

  constructor(private readonly channel: RunChannel, after: number, readonly heartbeatMs: number) {
    this.cursor = after;
  }

  /** First batch, read synchronously so the stream can answer at once. */
  initial(): TailEvent {
    return this.channel.read([this]).get(this) ?? { kind: 'idle' };
  }

  /**
   * Next event: records, done, `idle` when a heartbeat is due (the hub's one timer decides), or `closed`.
   * No per-call timers or listeners: with a thousand subscribers on a run, each delivery stays cheap.
   */
  next(): Promise<TailEvent> {
    if (this.closed) return Promise.resolve({ kind: 'closed' });
    if (this.doneReady) return Promise.resolve({ kind: 'done', cursor: this.cursor });
    return new Promise<TailEvent>((resolve) => {
      this.waiter = (ev) => {
        this.waiter = null;
        this.lastSent = Date.now();
        resolve(ev);
      };
      if (this.seen !== this.channel.wakes) this.channel.schedule();
    });
  }

  /** Called by the hub's heartbeat timer. */
  heartbeat(now: number): void {
    if (!this.waiter || now - this.lastSent < this.heartbeatMs) return;
    this.seen = -1; // re-check the run on the next call: a cheap safety net for status-only changes
    this.waiter({ kind: 'idle' });
  }

  close(kind: 'closed' | 'shutdown' = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.waiter?.({ kind });
    this.channel.remove(this);
  }
}

class RunChannel {
  readonly subs = new Set<Subscription>();
  wakes = 0;
  private scheduled = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly hub: LedgerHub, private readonly store: Store, readonly runId: string) {
    this.unsubscribe = store.notifier.onLedger(runId, () => this.wake());
  }

  wake(): void {
    this.wakes++;
    this.schedule();
  }

  /** Coalesces wakes and next() calls made in the same tick into one read. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      const waiting = [...this.subs].filter((s) => s.waiter);
      if (!waiting.length) return;
      for (const [sub, ev] of this.read(waiting)) if (ev.kind !== 'idle') sub.waiter?.(ev);
    });
  }

  /** One status read + one ledger read shared by `targets`; returns what each should receive (idle = keep waiting). */
  read(targets: Subscription[]): Map<Subscription, TailEvent> {
    const out = new Map<Subscription, TailEvent>();
    const wakes = this.wakes;
    let terminal: boolean;
    let from: number;
    let rows: RawRecord[];
    try {
      this.hub.reads++;
      const run = this.store.runs.get(this.runId);
      terminal = !run || isTerminal(run.status);
      from = Math.min(...targets.map((s) => s.cursor));
      rows = this.store.ledger.listRawAfter(this.runId, from, BATCH);
    } catch (err) {
      console.error(`[sse] ledger read failed for run ${this.runId}:`, err);
      for (const s of targets) out.set(s, { kind: 'closed' });
      return out;
    }
    const end = rows.length ? rows[rows.length - 1]!.seq : from;
    // Subscribers at the same cursor get the same bytes: frame them once per read, not once per subscriber.
    const framed = new Map<string, Uint8Array>();
    const frames = (recs: RawRecord[]) => {
      const k = `${recs[0]!.seq}-${recs.length}`;
      let f = framed.get(k);
      if (!f) framed.set(k, (f = stepFrames(recs)));
      return f;
    };
    for (const sub of targets) {
      let mine = rows.filter((r) => r.seq > sub.cursor);
      let full = rows.length === BATCH;
      if (!mine.length && full && sub.cursor >= end) {
        mine = this.store.ledger.listRawAfter(this.runId, sub.cursor, BATCH); // ahead of the shared window (rare)
        full = mine.length === BATCH;
      }
      if (mine.length) sub.cursor = mine[mine.length - 1]!.seq;
      sub.seen = full ? -1 : wakes;
      sub.doneReady = terminal && !full;
      if (mine.length) out.set(sub, { kind: 'records', records: mine, frames: frames(mine) });
      else out.set(sub, sub.doneReady ? { kind: 'done', cursor: sub.cursor } : { kind: 'idle' });
    }
    return out;
  }

  remove(sub: Subscription): void {
    this.subs.delete(sub);
    if (!this.subs.size) {
      this.unsubscribe();
      this.hub.dropChannel(this);
    }
  }
}

/** Per-run fan-out of ledger appends to SSE subscribers. One per app; `close()` on shutdown. */
export class LedgerHub {
  private readonly channels = new Map<string, RunChannel>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private version = -1;
  private lastVersionCheck = 0;
  /** Ledger reads performed (observability and tests of read sharing). */
  reads = 0;

  constructor(private readonly store: Store, private readonly crossProcessPollMs = 250) {}

  open(runId: string, after: number, heartbeatMs: number, signal: AbortSignal): Subscription {
    let ch = this.channels.get(runId);
    if (!ch) {
      ch = new RunChannel(this, this.store, runId);
      this.channels.set(runId, ch);
      this.startTimer();
    }
    const sub = new Subscription(ch, after, heartbeatMs);
    ch.subs.add(sub);
    signal.addEventListener('abort', () => sub.close(), { once: true });
    if (signal.aborted) sub.close();
    return sub;
  }

  subscriberCount(runId?: string): number {
    if (runId !== undefined) return this.channels.get(runId)?.subs.size ?? 0;
    let n = 0;
    for (const ch of this.channels.values()) n += ch.subs.size;
    return n;
  }

  dropChannel(ch: RunChannel): void {
    if (this.channels.get(ch.runId) === ch) this.channels.delete(ch.runId);
    if (!this.channels.size) this.stopTimer();
  }

  close(): void {
    for (const ch of [...this.channels.values()]) for (const s of [...ch.subs]) s.close('shutdown');
    this.stopTimer();
  }

  /** One timer for the hub: heartbeats due, and commits made by other processes. */
  private onTimer(): void {
    const now = Date.now();
    for (const ch of this.channels.values()) for (const sub of ch.subs) sub.heartbeat(now);
    if (now - this.lastVersionCheck >= this.crossProcessPollMs) {
      this.lastVersionCheck = now;
      this.checkOtherProcesses();
    }
  }

  /** Another process committed (the runner in split mode): wake every channel once. */
  private checkOtherProcesses(): void {
    let v: number;
    try { v = this.store.dataVersion(); } catch { return; }
    if (v === this.version) return;
    this.version = v;
    for (const ch of this.channels.values()) ch.wake();
  }

  private startTimer(): void {
    if (this.timer) return;
    this.version = this.store.dataVersion();
    this.timer = setInterval(() => this.onTimer(), Math.min(HEARTBEAT_TICK_MS, this.crossProcessPollMs));
    this.timer.unref?.();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

// ---- framing -------------------------------------------------------------------------------------------------

const enc = new TextEncoder();
export const KEEP_ALIVE = enc.encode(': keep-alive\n\n');
/** Sent when the server stops: the client reconnects later with its last cursor (the ledger is the truth). */
export const SHUTDOWN = enc.encode(': server shutting down, reconnect with your last cursor\n\n');

/** `id: n\nevent: step\ndata: {"cursor":n,"record":{...}}\n\n` per record, as one chunk. */
export function stepFrames(records: RawRecord[]): Uint8Array {
  let s = '';
  for (const r of records) s += `id: ${r.seq}\nevent: step\ndata: {"cursor":${r.seq},"record":${r.json}}\n\n`;
  return enc.encode(s);
}

/** The closing event: no `id:` line, so a client's last id stays the last record's cursor. */
export function doneFrame(runId: string, cursor: number): Uint8Array {
  return enc.encode(`event: done\ndata: ${JSON.stringify({ run_id: runId, cursor, status: 'terminal' })}\n\n`);
}

/**
 * The SSE body for one client: records from `after`, keep-alives when idle, `done` once the run is terminal and
 * fully sent. Yields at once (Elysia sends headers only on the first yield) and never yields nullish.
 */
export async function* tailLedger(
  hub: LedgerHub,
  runId: string,
  after: number,
  heartbeatMs: number,
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const sub = hub.open(runId, after, heartbeatMs, signal);
  try {
    let ev = sub.initial();
    for (;;) {
      if (ev.kind === 'records') yield ev.frames;
      else if (ev.kind === 'done') { yield doneFrame(runId, ev.cursor); return; }
      else if (ev.kind === 'idle') yield KEEP_ALIVE;
      else if (ev.kind === 'shutdown') { yield SHUTDOWN; return; }
      else return;
      ev = await sub.next();
    }
  } finally {
    sub.close();
  }
}
