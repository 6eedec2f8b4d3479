// The PostgreSQL store (src/store/api.ts contract): many API processes and runners on one database, through Bun's
// built-in SQL client (no ORM). Transactions are ambient (conn.ts): `tx(fn)` opens one with `sql.begin` and every
// repository call in `fn`'s async chain joins it; nested `tx` joins the outer one; `savepoint` isolates a part.
// Before COMMIT the transaction's notes go out by pg_notify (delivered by PostgreSQL only at commit), then the
// `precommit` fault boundary; after COMMIT the `commit` boundary, then the in-process subscribers (notify.ts).
// A transaction that fails — a deadlock (40P01) or serialization failure (40001) included — is rolled back and
// its error thrown, never re-run here: the runtime's closures mutate memory, so it treats a failed commit like
// a crash (and replays from the durable state).
//
// Connections: one bounded pool (`poolMax`, default 10) plus, unless `listen: false`, one LISTEN connection.
// Behind PgBouncer in transaction mode: the store keeps no session state (advisory locks are transaction-level
// `pg_advisory_xact_lock` only; no SET, no temp tables); Bun's client uses named prepared statements by default,
// which need PgBouncer >= 1.21 with `max_prepared_statements` > 0 — otherwise open with `prepare: false`; and
// LISTEN needs a session, so point `listenUrl` at PostgreSQL directly (without it, remote notifications are
// missed and readers fall back to their polls: `dataVersion()` still moves every second).
import { SQL } from 'bun';
import type { Store } from '../api.ts';
import { parseFault, type FaultSpec } from '../fault.ts';
import { PgArtifactRepo } from './artifacts.ts';
import { PgClaimRepo } from './claims.ts';
import { PgCommandRepo } from './commands.ts';
import { Db, PendingNotes, type TxCtx } from './conn.ts';
import { PgFlowSnapshotRepo } from './flow-snapshots.ts';
import { PgKgRepo } from './kg.ts';
import { PgLeaseRepo } from './lease.ts';
import { PgLedgerRepo } from './ledger.ts';
import { CHANNEL, decodeNotes, encodeNotes, PgNotifier } from './notify.ts';
import { PgRunRepo } from './runs.ts';
import { migrate, schemaVersion } from './schema.ts';
import { PgTelegramRepo } from './telegram.ts';

export interface PostgresStoreOptions {
  /** Pool size (default 10). */
  poolMax?: number;
  /** Test-only fault injection, as for SQLite (default: env ABSTRACTGATEWAY_TEST_FAULT). See src/store/fault.ts. */
  fault?: string | null;
  /** Receive other processes' notifications on a LISTEN connection (default true). */
  listen?: boolean;
  /** Where to LISTEN when `url` goes through a transaction-mode pooler (default: `url`). */
  listenUrl?: string | null;
  /** Named prepared statements (default true); false behind PgBouncer transaction mode older than 1.21. */
  prepare?: boolean;
}

/** The URL without its password (for logs and `location`). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1@');
  }
}

type TransactionSQL = SQL & { savepoint<T>(fn: (sp: SQL) => Promise<T>): Promise<T> };

export class PostgresStore implements Store {
  readonly backend = 'postgres' as const;
  readonly multiRunner = true;
  readonly location: string;
  readonly runs: PgRunRepo;
  readonly ledger: PgLedgerRepo;
  readonly commands: PgCommandRepo;
  readonly artifacts: PgArtifactRepo;
  readonly lease: PgLeaseRepo;
  readonly claims: PgClaimRepo;
  readonly flowSnapshots: PgFlowSnapshotRepo;
  readonly telegram: PgTelegramRepo;
  readonly kg: PgKgRepo;
  readonly notifier: PgNotifier;
  private readonly db: Db;
  /** This store's id in notification payloads (its own notifications are ignored when they come back). */
  private readonly origin = crypto.randomUUID().slice(0, 8);
  private remoteEvents = 0;
  private sub: { unlisten(): Promise<void> } | null = null;
  private listenSql: SQL | null = null;
  private readonly faultSpec: FaultSpec | null;
  private faultHits = 0;
  private closed = false;

  private constructor(readonly pool: SQL, url: string, fault: string | null) {
    this.location = redactUrl(url);
    this.faultSpec = parseFault(fault);
    this.db = new Db(pool, (fn) => this.tx(fn));
    this.notifier = new PgNotifier(() => this.db.ctx());
    this.runs = new PgRunRepo(this.db);
    this.ledger = new PgLedgerRepo(this.db, this.notifier);
    this.commands = new PgCommandRepo(this.db, this.notifier);
    this.artifacts = new PgArtifactRepo(this.db, (point) => this.fault(point));
    this.lease = new PgLeaseRepo(this.db);
    this.claims = new PgClaimRepo(this.db);
    this.flowSnapshots = new PgFlowSnapshotRepo(this.db);
    this.telegram = new PgTelegramRepo(this.db);
    this.kg = new PgKgRepo(this.db);
  }

  static async open(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
    // The database named in the URL wins over a stray PGDATABASE (Bun's client would let the variable override it).
    const database = dbName(url);
    const pool = new SQL(url, { max: opts.poolMax ?? 10, prepare: opts.prepare ?? true, ...(database ? { database } : {}) });
    let store: PostgresStore | null = null;
    try {
      await migrate(pool);
      store = new PostgresStore(pool, url, opts.fault === undefined ? (process.env.ABSTRACTGATEWAY_TEST_FAULT ?? null) : opts.fault);
      if (opts.listen !== false) await store.listen(opts.listenUrl ?? null);
      return store;
    } catch (err) {
      if (store) await store.close();
      else await pool.close();
      throw err;
    }
  }

  private async listen(listenUrl: string | null): Promise<void> {
    if (listenUrl) this.listenSql = new SQL(listenUrl, { max: 1, ...(dbName(listenUrl) ? { database: dbName(listenUrl)! } : {}) });
    let first = true;
    this.sub = await (this.listenSql ?? this.pool).listen(CHANNEL, (payload) => this.onRemote(payload), () => {
      if (first) { first = false; return; }
      // Re-subscribed after the connection dropped: notifications may have been missed, so everyone looks again
      // (ledger readers notice through dataVersion()).
      if (this.closed) return;
      this.remoteEvents++;
      this.notifier.deliverRemote('command');
      this.notifier.deliverRemote('run');
    });
  }

  private onRemote(payload: string): void {
    const events = decodeNotes(payload, this.origin);
    if (!events || this.closed) return;
    this.remoteEvents++;
    for (const e of events) this.notifier.deliverRemote(e.kind, e.kind === 'ledger' ? e.runId : undefined);
  }

  async tx<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.db.ctx()) return await fn();
    const ctx: TxCtx = { h: this.pool, done: false, notes: new PendingNotes() };
    const t0 = this.notifier.observed ? performance.now() : 0;
    let out: T;
    try {
      const box = await this.pool.begin(async (h) => {
        ctx.h = h;
        const v = await this.db.als.run(ctx, fn);
        // From here on nothing joins: a timer or callback that `fn` left behind runs outside this transaction.
        ctx.done = true;
        const payloads = encodeNotes(this.origin, ctx.notes);
        if (payloads.length) await h`SELECT pg_notify(${CHANNEL}, p) FROM unnest(${payloads}::text[]) AS p`;
        this.fault('precommit');
        return { v };
      });
      out = (box as { v: T }).v;
    } finally {
      // Rolled back: its notes die with `ctx` (other transactions of this process keep theirs).
      ctx.done = true;
    }
    this.fault('commit');
    if (t0) this.notifier.timing('commit', performance.now() - t0);
    this.notifier.deliver(ctx.notes);
    return out;
  }

  async savepoint<T>(fn: () => Promise<T> | T): Promise<T> {
    const parent = this.db.ctx();
    if (!parent) return this.tx(fn);
    const child: TxCtx = { h: parent.h, done: false, notes: new PendingNotes() };
    try {
      const box = await (parent.h as TransactionSQL).savepoint(async (sp) => {
        child.h = sp;
        const v = await this.db.als.run(child, fn);
        child.done = true;
        return { v };
      });
      child.notes.mergeInto(parent.notes);
      return box.v;
    } finally {
      child.done = true;
    }
  }

  /** A named commit boundary for test-only fault injection (same contract as the SQLite store's). */
  fault(point: string): void {
    const f = this.faultSpec;
    if (!f || f.point !== point || ++this.faultHits !== f.n) return;
    if (f.action === 'throw') throw new Error(`injected fault at ${point}#${f.n}`);
    process.kill(process.pid, 'SIGKILL');
  }

  /** Moves on every notification from another process, and at least once a second (a missed one only delays). */
  async dataVersion(): Promise<number> {
    return this.remoteEvents + Math.floor(Date.now() / 1000);
  }

  schemaVersion(): Promise<number> {
    return schemaVersion(this.pool);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const sub = this.sub;
    this.sub = null;
    try { await sub?.unlisten(); } catch { /* the connection may already be gone */ }
    if (this.listenSql) await this.listenSql.close();
    await this.pool.close();
  }
}

/** The database a postgres:// URL names (null when it names none). */
function dbName(url: string): string | null {
  try {
    const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
    return name || null;
  } catch {
    return null;
  }
}
