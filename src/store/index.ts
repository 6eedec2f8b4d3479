// The durable store: one SQLite database (WAL) shared by runs, ledger, command inbox and artifact metadata.
// Every write transaction is BEGIN IMMEDIATE (docs/architecture.md: deferred transactions hit SQLITE_BUSY
// with two writer processes despite busy_timeout). Notifications go out only after the outermost commit.
import { Database } from 'bun:sqlite';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ArtifactRepo } from './artifacts.ts';
import { CommandRepo } from './commands.ts';
import { LeaseRepo } from './lease.ts';
import { FlowSnapshotRepo } from './flow-snapshots.ts';
import { TelegramRepo } from './telegram.ts';
import { LedgerRepo } from './ledger.ts';
import { Notifier } from './notifier.ts';
import { RunRepo } from './runs.ts';
import { migrate } from './schema.ts';
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

export class Store {
  readonly runs: RunRepo;
  readonly ledger: LedgerRepo;
  readonly commands: CommandRepo;
  readonly artifacts: ArtifactRepo;
  readonly lease: LeaseRepo;
  readonly flowSnapshots: FlowSnapshotRepo;
  readonly telegram: TelegramRepo;
  readonly notifier = new Notifier();
  private depth = 0;
  /** Temp blob dir of an in-memory store, created on first use and removed on close. */
  private tempArtifacts: string | null = null;
  private readonly faultSpec: FaultSpec | null;
  private faultHits = 0;

  private constructor(readonly db: Database, readonly path: string, artifactsDir: string | null, fault: string | null) {
    this.faultSpec = parseFault(fault);
    const inTx = <T>(fn: () => T): T => this.tx(fn);
    this.runs = new RunRepo(db);
    this.lease = new LeaseRepo(db);
    this.ledger = new LedgerRepo(db, this.notifier, inTx);
    this.commands = new CommandRepo(db, this.notifier, inTx);
    this.flowSnapshots = new FlowSnapshotRepo(db, inTx);
    this.telegram = new TelegramRepo(db);
    this.artifacts = new ArtifactRepo(
      db,
      () => artifactsDir ?? (this.tempArtifacts ??= mkdtempSync(join(tmpdir(), 'ag-artifacts-'))),
      (point) => this.fault(point),
    );
  }

  static open(path: string, opts: StoreOptions = {}): Store {
    const memory = path === ':memory:';
    if (!memory) mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path, { create: true, strict: true });
    db.exec(`PRAGMA busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
    if (!memory) db.exec('PRAGMA journal_mode = WAL');
    db.exec(`PRAGMA synchronous = ${opts.synchronous ?? 'FULL'}`);
    db.exec('PRAGMA foreign_keys = ON');
    migrate(db);
    const artifactsDir = opts.artifactsDir ?? (memory ? null : join(dirname(path), 'artifacts'));
    return new Store(db, path, artifactsDir, opts.fault === undefined ? (process.env.ABSTRACTGATEWAY_TEST_FAULT ?? null) : opts.fault);
  }

  /**
   * Runs `fn` in one immediate transaction. Nested calls simply join the outer transaction (no savepoint: an error
   * rolls the whole unit back, which is what callers want; `savepoint` isolates a part explicitly).
   */
  tx<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.depth = 1;
    let out: T;
    const t0 = this.notifier.observed ? performance.now() : 0;
    try {
      out = this.db.transaction(() => {
        const r = fn();
        this.fault('precommit');
        return r;
      }).immediate();
    } catch (err) {
      this.notifier.discard();
      throw err;
    } finally {
      this.depth = 0;
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
  savepoint<T>(fn: () => T): T {
    if (this.depth === 0) return this.tx(fn);
    return this.db.transaction(fn)();
  }

  /** Changes whenever another connection (process) commits: a cheap cross-process change detector. */
  dataVersion(): number {
    return (this.db.query('PRAGMA data_version').get() as { data_version: number }).data_version;
  }

  /** Online, consistent copy of the database (safe while other processes write). */
  backup(toPath: string): void {
    this.db.query('VACUUM INTO ?').run(toPath);
  }

  close(): void {
    this.db.close();
    if (this.tempArtifacts) rmSync(this.tempArtifacts, { recursive: true, force: true });
  }
}

export type { RunIndexRow, RunListQuery } from './runs.ts';
export type { ChainReport, NewStepRecord, RunMetrics } from './ledger.ts';
export type { AppendResult, CommandWithOutcome, NewCommand } from './commands.ts';
export type { ArtifactMeta } from './artifacts.ts';
export type { LeaseRow } from './lease.ts';
