// The store's public face: the contract (api.ts), the SQLite store (the embedded default) and `openStore`, which
// picks the backend from the configuration (ABSTRACTGATEWAY_STORE_BACKEND=sqlite|postgres). The PostgreSQL store
// is loaded only when asked for.
import type { Store, StoreBackend } from './api.ts';
import { SqliteStore, type StoreOptions } from './sqlite.ts';

export * from './api.ts';
export { SqliteStore, type StoreOptions } from './sqlite.ts';
export { encodeRunCursor, decodeRunCursor, parseRunJson } from './runs.ts';
export { hashRecord, newChainWalk } from './ledger.ts';
export { isSafeArtifactId } from './artifacts.ts';
export { Notifier, type AppendedRecord, type Observer } from './notifier.ts';

export interface OpenStoreOptions extends StoreOptions {
  backend?: StoreBackend;
  /** SQLite: the database file (or `:memory:`). */
  dbPath?: string;
  /** PostgreSQL: a `postgres://` URL (PG* variables fill what it leaves out). */
  databaseUrl?: string | null;
  /** PostgreSQL: connections in the pool. */
  poolMax?: number;
  /** PostgreSQL: a direct connection for LISTEN (the pool may go through PgBouncer). */
  listenUrl?: string | null;
  /** PostgreSQL: named prepared statements (off behind PgBouncer older than 1.21). */
  prepare?: boolean;
}

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  if (opts.backend === 'postgres') {
    if (!opts.databaseUrl) throw new Error('ABSTRACTGATEWAY_STORE_BACKEND=postgres needs ABSTRACTGATEWAY_DATABASE_URL (postgres://user@host:5432/db)');
    const { PostgresStore } = await import('./postgres/index.ts');
    return PostgresStore.open(opts.databaseUrl, { poolMax: opts.poolMax, fault: opts.fault, listenUrl: opts.listenUrl ?? null, prepare: opts.prepare });
  }
  return SqliteStore.open(opts.dbPath ?? ':memory:', opts);
}
