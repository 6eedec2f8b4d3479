// The SQLite store (the embedded default): one database file (WAL) shared by runs, ledger, command inbox and
// artifact metadata; one runner per database (the lease row). Every write transaction is BEGIN IMMEDIATE
// (docs/architecture.md: deferred transactions hit SQLITE_BUSY with two writer processes despite busy_timeout).
// bun:sqlite is synchronous: the async repositories complete before their promise is awaited, so a transaction
// body that awaits only store calls runs within one turn of the event loop. Transactions of one process still
// queue behind each other (a body that awaited real I/O would otherwise interleave on the one connection), and
// nested calls (found through AsyncLocalStorage) join the outer one. Notifications go out only after commit.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Database, type Statement } from 'bun:sqlite';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Store } from './api.ts';
import { SqliteArtifactRepo } from './artifacts.ts';
import { SqliteCommandRepo } from './commands.ts';
import { SqliteFlowSnapshotRepo } from './flow-snapshots.ts';
import { SqliteKgRepo } from './kg.ts';
import { SqliteClaimRepo, SqliteLeaseRepo } from './lease.ts';
import { SqliteLedgerRepo } from './ledger.ts';
import { Notifier } from './notifier.ts';
import { SqliteRunRepo } from './runs.ts';
import { SqliteTelegramRepo } from './telegram.ts';
import { migrate, SCHEMA_VERSION } from './schema.ts';
import { parseFault, type FaultSpec } from './fault.ts';

export interface StoreOptions {
  synchronous?: 'NORMAL' | 'FULL';
  /** Where artifact blobs live (default: `artifacts/` beside the database file). */
  artifactsDir?: string;
  busyTimeoutMs?: number;
  /**
   * Test-only fault injection `<point>:<n>[:kill|throw]` (default: env ABSTRACTGATEWAY_TEST_FAULT, read once here):
   * at the n-th time the process passes the named boundary it SIGKILLs itself (or throws). See src/store/fault.ts.
   */
  fault?: string | null;
}

export class SqliteStore implements Store {
  readonly backend = 'sqlite' as const;
  readonly multiRunner = false;
  readonly runs: SqliteRunRepo;
  readonly ledger: SqliteLedgerRepo;
  readonly commands: SqliteCommandRepo;
  readonly artifacts: SqliteArtifactRepo;
  readonly lease: SqliteLeaseRepo;
  readonly claims: SqliteClaimRepo;
  readonly flowSnapshots: SqliteFlowSnapshotRepo;
  readonly telegram: SqliteTelegramRepo;
  readonly kg: SqliteKgRepo;
  readonly notifier = new Notifier();
  /**
   * Set while a transaction body runs (in its async chain): nested calls join it. Closed when the body returns, so
   * a timer or detached promise started inside never joins a later transaction by mistake.
   */
  private readonly scope = new AsyncLocalStorage<{ open: boolean }>();
  /** The tail of this process's transaction queue. */
  private tail: Promise<void> = Promise.resolve();
  private savepoints = 0;
  /** Temp blob dir of an in-memory store, created on first use and removed on close. */
  private tempArtifacts: string | null = null;
  private readonly faultSpec: FaultSpec | null;
  private faultHits = 0;
  private readonly stmt: { begin: Statement; commit: Statement; rollback: Statement; dataVersion: Statement };

  private constructor(readonly db: Database, readonly path: string, artifactsDir: string | null, fault: string | null) {
    this.faultSpec = parseFault(fault);
    const inTx = <T>(fn: () => T): Promise<T> => this.tx(fn);
    this.runs = new SqliteRunRepo(db);
    this.lease = new SqliteLeaseRepo(db);
    this.claims = new SqliteClaimRepo(db);
    this.ledger = new SqliteLedgerRepo(db, this.notifier, inTx);
    this.commands = new SqliteCommandRepo(db, this.notifier, inTx);
    this.flowSnapshots = new SqliteFlowSnapshotRepo(db, inTx);
    this.telegram = new SqliteTelegramRepo(db);
    this.kg = new SqliteKgRepo(db);
    this.artifacts = new SqliteArtifactRepo(
      db,
      () => artifactsDir ?? (this.tempArtifacts ??= mkdtempSync(join(tmpdir(), 'ag-artifacts-'))),
      (point) => this.fault(point),
    );
    this.stmt = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
      dataVersion: db.prepare('PRAGMA data_version'),
    };
  }

  get location(): string {
    return this.path;
  }

  static open(path: string, opts: StoreOptions = {}): SqliteStore {
    const memory = path === ':memory:';
    if (!memory) mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path, { create: true, strict: true });
    db.exec(`PRAGMA busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
    if (!memory) db.exec('PRAGMA journal_mode = WAL');
    db.exec(`PRAGMA synchronous = ${opts.synchronous ?? 'FULL'}`);
    db.exec('PRAGMA foreign_keys = ON');
    migrate(db);
    const artifactsDir = opts.artifactsDir ?? (memory ? null : join(dirname(path), 'artifacts'));
    return new SqliteStore(db, path, artifactsDir, opts.fault === undefined ? (process.env.ABSTRACTGATEWAY_TEST_FAULT ?? null) : opts.fault);
  }

  /** Waits for this process's earlier transactions; resolves with the release function. */
  private acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const prev = this.tail;
    this.tail = next;
    return prev.then(() => release);
  }

  /**
   * Runs `fn` in one immediate transaction. Nested calls simply join the outer transaction (no savepoint: an error
   * rolls the whole unit back, which is what callers want; `savepoint` isolates a part explicitly).
   */
  async tx<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.scope.getStore()?.open) return fn();
    const release = await this.acquire();
    const t0 = this.notifier.observed ? performance.now() : 0;
    let out: T;
    try {
      this.stmt.begin.run();
      try {
        const ctx = { open: true };
        try {
          out = await this.scope.run(ctx, fn);
        } finally {
          ctx.open = false;
        }
        this.fault('precommit');
        this.stmt.commit.run();
      } catch (err) {
        if (this.db.inTransaction) this.stmt.rollback.run();
        this.notifier.discard();
        throw err;
      }
    } finally {
      release();
    }
    this.fault('commit');
    if (t0) this.notifier.timing('commit', performance.now() - t0);
    this.notifier.flush();
    return out;
  }

  /**
   * A named commit boundary (test-only fault injection; a no-op unless a fault is armed). Every outermost
   * transaction passes `precommit` (inside, before COMMIT) and `commit` (after COMMIT); the runtime names the
   * boundaries of its multi-step paths (e.g. `command.applied`, `subflow.child_created`).
   */
  fault(point: string): void {
    const f = this.faultSpec;
    if (!f || f.point !== point || ++this.faultHits !== f.n) return;
    if (f.action === 'throw') throw new Error(`injected fault at ${point}#${f.n}`);
    process.kill(process.pid, 'SIGKILL');
  }

  /** Inside a transaction: runs `fn` so that its failure undoes only its own writes. */
  async savepoint<T>(fn: () => Promise<T> | T): Promise<T> {
    if (!this.scope.getStore()?.open) return this.tx(fn);
    const name = `sp${++this.savepoints}`;
    this.db.exec(`SAVEPOINT ${name}`);
    try {
      const out = await fn();
      this.db.exec(`RELEASE ${name}`);
      return out;
    } catch (err) {
      this.db.exec(`ROLLBACK TO ${name}`);
      this.db.exec(`RELEASE ${name}`);
      throw err;
    }
  }

  /** Changes whenever another connection (process) commits: a cheap cross-process change detector. */
  async dataVersion(): Promise<number> {
    return this.dataVersionNow();
  }

  /** The same, synchronously (the SSE hub's timer). */
  dataVersionNow(): number {
    return (this.stmt.dataVersion.get() as { data_version: number }).data_version;
  }

  async schemaVersion(): Promise<number> {
    return SCHEMA_VERSION;
  }

  /** Online, consistent copy of the database (safe while other processes write). */
  backup(toPath: string): void {
    this.db.query('VACUUM INTO ?').run(toPath);
  }

  async close(): Promise<void> {
    this.closeNow();
  }

  /** Closes at once (process exit paths that cannot await). */
  closeNow(): void {
    this.db.close();
    if (this.tempArtifacts) rmSync(this.tempArtifacts, { recursive: true, force: true });
  }
}
