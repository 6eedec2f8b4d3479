// The store contract, the runtime and the crash tests run against both backends. `forEachBackend(body)` declares
// the body's tests once per backend: `[sqlite]` always, `[postgres]` through describePg (skipped with one line
// when no test server is configured, a failure in CI). Inside, `backend()` names the current one and
// `openStore()` / `openHarness()` open a fresh store on it: SQLite in memory, or a PostgreSQL database of its own
// (emptied when the store or harness is closed and handed to the file's next test — creating and migrating a
// database costs ~300 ms, emptying one ~30 ms — and dropped at the end of the file), so tests never share rows.
import { afterAll, afterEach, beforeEach, describe } from 'bun:test';
import { SQL } from 'bun';
import { PostgresStore } from '../../src/store/postgres/index.ts';
import { SqliteStore, type Store } from '../../src/store/index.ts';
import { describePg, freshDatabase, type FreshDatabase } from './pg.ts';

export type BackendName = 'sqlite' | 'postgres';
let current: BackendName = 'sqlite';

/** The backend of the block being declared or run. */
export const backend = (): BackendName => current;

export function forEachBackend(body: (name: BackendName) => void): void {
  describe('[sqlite]', () => {
    body('sqlite');
  });
  describePg('[postgres]', () => {
    // bun runs hooks and tests after declaration: switch the backend around each test of this block.
    beforeEach(() => { current = 'postgres'; });
    afterEach(() => { current = 'sqlite'; });
    afterAll(async () => { await Promise.all(idle.splice(0).map((db) => db.drop())); });
    body('postgres');
  });
}

/** A fresh, empty store on the current backend; closing a PostgreSQL one empties its database for the file's next test. */
export async function openStore(opts: { fault?: string | null } = {}): Promise<Store> {
  if (current === 'sqlite') return SqliteStore.open(':memory:', { fault: opts.fault ?? null });
  const db = idle.pop() ?? await freshDatabase('ag_t');
  const store = await PostgresStore.open(db.url, { poolMax: 4, fault: opts.fault ?? null });
  const close = store.close.bind(store);
  store.close = async () => {
    await close();
    await empty(db).then(() => idle.push(db), () => db.drop());
  };
  return store;
}

/** Migrated databases emptied by a closed store, for the next test of the file. */
const idle: FreshDatabase[] = [];

async function empty(db: FreshDatabase): Promise<void> {
  const sql = new SQL(db.url, { max: 1, database: db.name });
  try {
    const tables = (await sql`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'`)
      .map((r: { tablename: string }) => `"${r.tablename}"`);
    if (tables.length) await sql.unsafe(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY CASCADE`);
  } finally {
    await sql.close();
  }
}
