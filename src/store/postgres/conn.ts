// The ambient transaction of the PostgreSQL store: an AsyncLocalStorage holds the handle of the transaction (or
// savepoint) that the current async chain runs in, so every repository call made while `store.tx(fn)` runs joins
// it, and runs on the pool otherwise. A context is marked done when its transaction ends: a timer or callback
// scheduled inside a transaction inherits the context but must not join a finished transaction.
// Each context also collects what the transaction will announce (ledger runs, new commands, runnable runs):
// delivered in process after commit, to other processes by pg_notify inside the transaction (see notify.ts).
import type { SQL } from 'bun';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AppendedRecord } from '../notifier.ts';

/** What one transaction (or savepoint) will announce once it commits. */
export class PendingNotes {
  readonly ledger = new Set<string>();
  command = false;
  runChange = false;
  readonly appends: AppendedRecord[] = [];

  get empty(): boolean { return !this.ledger.size && !this.command && !this.runChange && !this.appends.length; }

  /** A released savepoint's notes become its transaction's. */
  mergeInto(parent: PendingNotes): void {
    for (const r of this.ledger) parent.ledger.add(r);
    parent.command ||= this.command;
    parent.runChange ||= this.runChange;
    parent.appends.push(...this.appends);
  }
}

export interface TxCtx {
  /** The transaction's handle, or a savepoint's (its own client, valid until the savepoint ends). */
  h: SQL;
  done: boolean;
  notes: PendingNotes;
}

export class Db {
  readonly als = new AsyncLocalStorage<TxCtx>();

  constructor(
    readonly pool: SQL,
    /** The store's `tx` (a repository write outside a transaction opens its own through it). */
    private readonly txFn: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {}

  /** The live ambient transaction, or null. */
  ctx(): TxCtx | null {
    const c = this.als.getStore();
    return c && !c.done ? c : null;
  }

  get inside(): boolean { return this.ctx() !== null; }

  /** The handle to query on: the ambient transaction's, else the pool. */
  get q(): SQL { return this.ctx()?.h ?? this.pool; }

  /** Runs `fn` in the ambient transaction, or in a new one. */
  inTx<T>(fn: () => Promise<T>): Promise<T> {
    return this.ctx() ? fn() : this.txFn(fn);
  }
}

/** int8 / numeric columns arrive as strings from Bun's SQL client. */
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
