// Ledger tailing for SSE: a per-run fan-out hub plus the wire framing.
//
// Push, not poll: a run's channel is woken by the store notifier right after an in-process commit, and by one
// hub-wide timer that notices commits from other processes through `store.dataVersion()` (one poll at a time:
// a slow store never stacks polls). On a wake the channel reads the run status and then the ledger ONCE for all
// of its waiting subscribers (from the smallest cursor) and hands each its own slice. Reading the status before
// the ledger makes "terminal + nothing left to read" a safe moment to send `done`: every record committed up to
// the final status is in that read. The store is asynchronous: a channel runs at most one read at a time (wakes
// during a read are picked up by the next one), so a subscriber is never sent the same records twice.
//
// Each stream is attached to the security plugin's stream pool, which may evict it (a `: stream replaced`
// comment, then the end of the stream) to make room for a new subscriber: see docs/reliability.md.
import type { Store } from '../store/index.ts';
import { attachSseStream, releaseSseSlot } from './security/index.ts';
import { isTerminal } from '../model/index.ts';

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


/** Where a subscriber's bytes go: Bun's direct-stream controller (write buffers, flush sends). */
export interface Sink {
  write(chunk: Uint8Array): unknown;
  flush(): unknown;
  close(): void;
}

export class Subscription {
  cursor: number;
  /** Channel wake counter at the last read that left this subscriber caught up (-1 = must read). */
  seen = -1;
  closed = false;
  /** A flush is still pending (slow client): no pushes until it drains; it then catches up from its cursor. */
  busy = false;
  /** When the pending flush started (the socket buffer is full: the client is not reading), or null. */
  busySince: number | null = null;
  /** When this subscriber last received something (heartbeats are due `heartbeatMs` after it). */
  lastSent = Date.now();
  /** Not yet served: its first read answers at once, with the backlog or a keep-alive. */
  fresh = true;
  private served!: () => void;
  /** Settles once the first delivery has been handed to the sink (or the subscription ended first). */
  private readonly firstDelivery = new Promise<void>((r) => (this.served = r));
  private readonly ended: (() => void)[] = [];
  /** Settles once the last write handed to the socket has been flushed (awaited on shutdown). */
  drained: Promise<unknown> = Promise.resolve();

  constructor(private readonly channel: RunChannel, after: number, readonly heartbeatMs: number, private readonly sink: Sink) {
    this.cursor = after;
  }

  /**
   * First delivery: the channel's next read gives the client its backlog (or a keep-alive) at once. Resolves
   * once that first delivery has been written (or the subscription has ended).
   */
  start(): Promise<void> {
    this.channel.schedule();
    return this.firstDelivery;
  }

  onEnd(cb: () => void): void {
    if (this.closed) cb();
    else this.ended.push(cb);
  }

  /** Pushes an event straight to the socket: no per-subscriber promise or generator on the hot path. */
  deliver(ev: TailEvent): void {
    if (this.closed) return;
    const first = this.fresh;
    this.fresh = false;
    if (ev.kind === 'idle') {
      if (first) this.send(KEEP_ALIVE);
    } else if (ev.kind === 'records') {
      this.send(ev.frames);
      if (this.seen === -1) this.channel.schedule(); // a full batch: there is more to read
    } else if (ev.kind === 'done') {
      this.send(doneFrame(this.channel.runId, ev.cursor));
      this.close();
    } else if (ev.kind === 'closed' || ev.kind === 'shutdown') {
      this.close(ev.kind);
    }
    if (first) this.served();
  }

  /** Called by the hub's heartbeat timer. */
  heartbeat(now: number): void {
    if (this.closed || this.busy || now - this.lastSent < this.heartbeatMs) return;
    this.seen = -1; // re-check the run on the next read: a cheap safety net for status-only changes
    this.send(KEEP_ALIVE);
    this.channel.schedule();
  }

  private send(bytes: Uint8Array): void {
    if (this.closed) return;
    try {
      // Bun's direct stream answers a write it could not hand to the socket (the client is not reading) with a
      // promise that settles once the buffer drains; flush() may too.
      const written = this.sink.write(bytes);
      this.lastSent = Date.now();
      const flushed = this.sink.flush();
      const pending = isPromise(written) ? written : isPromise(flushed) ? flushed : null;
      if (pending) {
        this.drained = pending;
        this.busy = true;
        this.busySince ??= Date.now();
        pending.then(
          () => {
            this.busy = false;
            this.busySince = null;
            if (this.seen !== this.channel.wakes) this.channel.schedule();
          },
          () => this.close(),
        );
      }
    } catch {
      this.close(); // the client went away mid-write
    }
  }

  close(kind: 'closed' | 'shutdown' | 'evicted' = 'closed'): void {
    if (this.closed) return;
    if (kind === 'shutdown') this.send(SHUTDOWN);
    else if (kind === 'evicted' && !this.busy) this.send(EVICTED);
    this.closed = true;
    this.served();
    this.channel.remove(this);
    try { this.sink.close(); } catch {}
    for (const cb of this.ended.splice(0)) cb();
  }
}

const isPromise = (v: unknown): v is Promise<unknown> => !!v && typeof (v as Promise<unknown>).then === 'function';

class RunChannel {
  readonly subs = new Set<Subscription>();
  wakes = 0;
  /** A drain is queued or running (it re-checks who is behind after each read, so wakes are never lost). */
  private draining = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly hub: LedgerHub, private readonly store: Store, readonly runId: string) {
    this.unsubscribe = store.notifier.onLedger(runId, () => this.wake());
  }

  wake(): void {
    this.wakes++;
    this.schedule();
  }

  /**
   * Coalesces wakes into one read for every subscriber that is behind. One drain per channel at a time: wakes
   * that arrive while a read is in flight are served by the drain's next round (it loops until nobody is behind).
   */
  schedule(): void {
    if (this.draining) return;
    this.draining = true;
    queueMicrotask(() => void this.drain());
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        const behind: Subscription[] = [];
        for (const s of this.subs) if (!s.closed && !s.busy && s.seen !== this.wakes) behind.push(s);
        if (!behind.length) return;
        for (const [sub, ev] of await this.read(behind)) sub.deliver(ev);
      }
    } catch (err) {
      console.error(`[sse] delivery failed for run ${this.runId}:`, err);
    } finally {
      this.draining = false;
    }
  }

  /** One status read + one ledger read shared by `targets`; returns what each should receive (idle = keep waiting). */
  private async read(targets: Subscription[]): Promise<Map<Subscription, TailEvent>> {
    const out = new Map<Subscription, TailEvent>();
    const wakes = this.wakes;
    let terminal: boolean;
    let from: number;
    let rows: RawRecord[];
    try {
      this.hub.reads++;
      const status = await this.store.runs.status(this.runId);
      terminal = status === null || isTerminal(status);
      from = Math.min(...targets.map((s) => s.cursor));
      rows = await this.store.ledger.listRawAfter(this.runId, from, BATCH);
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
        try {
          mine = await this.store.ledger.listRawAfter(this.runId, sub.cursor, BATCH); // ahead of the shared window (rare)
        } catch (err) {
          console.error(`[sse] ledger read failed for run ${this.runId}:`, err);
          out.set(sub, { kind: 'closed' });
          continue;
        }
        full = mine.length === BATCH;
      }
      if (mine.length) sub.cursor = mine[mine.length - 1]!.seq;
      sub.seen = full ? -1 : wakes;
      const doneReady = terminal && !full;
      if (mine.length) {
        out.set(sub, { kind: 'records', records: mine, frames: frames(mine) });
        if (doneReady) sub.seen = -1; // the next read sends done
      } else out.set(sub, doneReady ? { kind: 'done', cursor: sub.cursor } : { kind: 'idle' });
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
  /** A `dataVersion()` poll is in flight (never two at once). */
  private polling = false;
  /** Ledger reads performed (observability and tests of read sharing). */
  reads = 0;

  constructor(private readonly store: Store, private readonly crossProcessPollMs = 250) {}

  open(runId: string, after: number, heartbeatMs: number, sink: Sink, signal: AbortSignal): Subscription {
    let ch = this.channels.get(runId);
    if (!ch) {
      ch = new RunChannel(this, this.store, runId);
      this.channels.set(runId, ch);
      this.startTimer();
    }
    const sub = new Subscription(ch, after, heartbeatMs, sink);
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

  /** Ends every stream with the shutdown comment; resolves once those last writes are flushed to the sockets. */
  close(): Promise<void> {
    const subs = [...this.channels.values()].flatMap((ch) => [...ch.subs]);
    for (const s of subs) s.close('shutdown');
    this.stopTimer();
    return Promise.allSettled(subs.map((s) => s.drained)).then(() => {});
  }

  /** Subscribers of a run that are caught up and wait for the next append (observability, tests). */
  parkedCount(runId: string): number {
    const ch = this.channels.get(runId);
    let n = 0;
    for (const s of ch?.subs ?? []) if (!s.closed && !s.busy && s.seen === ch!.wakes) n++;
    return n;
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
    void this.pollVersion(true);
  }

  /** Reads the store's data version (skipped while a poll is in flight); `wake`: wake every channel if it moved. */
  private async pollVersion(wake: boolean): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const v = await this.store.dataVersion();
      if (v === this.version) return;
      this.version = v;
      if (wake) for (const ch of this.channels.values()) ch.wake();
    } catch {
      // a failed poll: the next tick tries again
    } finally {
      this.polling = false;
    }
  }

  private startTimer(): void {
    if (this.timer) return;
    this.lastVersionCheck = Date.now();
    void this.pollVersion(false); // the baseline: commits after it wake the channels
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
/** Sent to a stream the stream pool replaced with a newer one (docs/reliability.md, SSE policy). */
export const EVICTED = enc.encode(': stream replaced by a newer one (stream limit), reconnect with your last cursor\n\n');

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
 * The SSE response for one client, as a Bun "direct" stream: records from `after`, keep-alives when idle, `done`
 * once the run is terminal and fully sent, a final comment on shutdown. Bytes are written straight to the socket by
 * the run's channel, so a delivery to 1,000 subscribers costs 1,000 writes, not 1,000 generator resumptions.
 * The SSE concurrency slot is released when the stream ends, whatever ends it.
 */
export function sseResponse(hub: LedgerHub, runId: string, after: number, heartbeatMs: number, request: Request): Response {
  let sub: Subscription | null = null;
  const source = {
    type: 'direct' as const,
    pull(controller: Sink) {
      return new Promise<void>((resolve) => {
        const opened = hub.open(runId, after, heartbeatMs, controller, request.signal);
        sub = opened;
        attachSseStream(request, { stalledSince: () => opened.busySince, evict: () => opened.close('evicted') });
        opened.onEnd(() => {
          releaseSseSlot(request);
          resolve();
        });
        void opened.start();
      });
    },
    cancel() {
      sub?.close();
    },
  };
  return new Response(new ReadableStream(source as unknown as ConstructorParameters<typeof ReadableStream>[0]), {
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' },
  });
}
