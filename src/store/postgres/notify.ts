// Notifications of the PostgreSQL store. In process: `PgNotifier` collects what each transaction announces in
// that transaction's own context (concurrent transactions of one process never flush or discard each other's
// notes) and delivers it after commit. Across processes: the same notes go out by pg_notify inside the
// transaction (PostgreSQL delivers them only at commit, and drops them on rollback), and a LISTEN connection
// fires the local subscribers for other stores' commits (`Notifier.deliverRemote`). A notification only says
// "look again": cursors stay the truth, so a lost one delays a reader until its next poll.
// Payload: a JSON array `[origin, item...]`, item `l:<run_id>` (ledger append), `c` (command), `r` (runnable
// run); `origin` is the sending store's random id, so a store ignores its own. Kept under PostgreSQL's 8000-byte
// payload limit by splitting.
import { Notifier, type AppendedRecord } from '../notifier.ts';
import type { PendingNotes, TxCtx } from './conn.ts';

export const CHANNEL = 'abstractgateway';
const MAX_PAYLOAD_BYTES = 7900;

export class PgNotifier extends Notifier {
  constructor(private readonly ctxOf: () => TxCtx | null) { super(); }

  override queueLedger(runId: string): void {
    const c = this.ctxOf();
    if (c) c.notes.ledger.add(runId); else super.queueLedger(runId);
  }
  override queueCommand(): void {
    const c = this.ctxOf();
    if (c) c.notes.command = true; else super.queueCommand();
  }
  override queueRunChange(): void {
    const c = this.ctxOf();
    if (c) c.notes.runChange = true; else super.queueRunChange();
  }
  override queueAppend(rec: AppendedRecord): void {
    if (!this.observed) return;
    const c = this.ctxOf();
    if (c) c.notes.appends.push(rec); else super.queueAppend(rec);
  }

  /** After the commit of the transaction that collected `notes`: hand them to the subscribers. */
  deliver(notes: PendingNotes): void {
    for (const rec of notes.appends) super.queueAppend(rec);
    for (const runId of notes.ledger) super.queueLedger(runId);
    if (notes.command) super.queueCommand();
    if (notes.runChange) super.queueRunChange();
    this.flush();
  }
}

/** The pg_notify payloads announcing `notes` to other processes (empty when there is nothing to say). */
export function encodeNotes(origin: string, notes: PendingNotes): string[] {
  const items: string[] = [];
  for (const runId of notes.ledger) items.push(`l:${runId}`);
  if (notes.command) items.push('c');
  if (notes.runChange) items.push('r');
  if (!items.length) return [];
  const out: string[] = [];
  let cur: string[] = [origin];
  let bytes = Buffer.byteLength(JSON.stringify(cur));
  for (const item of items) {
    const add = Buffer.byteLength(JSON.stringify(item)) + 1;
    if (cur.length > 1 && bytes + add > MAX_PAYLOAD_BYTES) {
      out.push(JSON.stringify(cur));
      cur = [origin];
      bytes = Buffer.byteLength(JSON.stringify(cur));
    }
    if (bytes + add > MAX_PAYLOAD_BYTES) continue; // a run id too long to announce: readers poll it
    cur.push(item);
    bytes += add;
  }
  if (cur.length > 1) out.push(JSON.stringify(cur));
  return out;
}

export type RemoteEvent = { kind: 'ledger'; runId: string } | { kind: 'command' } | { kind: 'run' };

/** The events of a payload, or null when it is not ours or was sent by `self`. */
export function decodeNotes(payload: string, self: string): RemoteEvent[] | null {
  let v: unknown;
  try { v = JSON.parse(payload); } catch { return null; }
  if (!Array.isArray(v) || typeof v[0] !== 'string' || v[0] === self) return null;
  const out: RemoteEvent[] = [];
  for (const item of v.slice(1)) {
    if (typeof item !== 'string') continue;
    if (item.startsWith('l:')) out.push({ kind: 'ledger', runId: item.slice(2) });
    else if (item === 'c') out.push({ kind: 'command' });
    else if (item === 'r') out.push({ kind: 'run' });
  }
  return out;
}
