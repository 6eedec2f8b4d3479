// The PostgreSQL tests run against a real server named by ABSTRACTGATEWAY_TEST_DATABASE_URL (a superuser URL;
// `scripts/pg/cluster.sh start` makes a throwaway cluster and prints one). Files that need it declare their
// tests with `describePg`, which skips them with one clear line (printed once per test process) when no URL is
// set. CI sets ABSTRACTGATEWAY_REQUIRE_POSTGRES=1, which turns the absence into a failure instead.
// `freshDatabase(prefix)` creates a uniquely named database on that server for one test file or test and
// drops it again (WITH (FORCE): connections still open are closed), so tests never share tables.
// Beware: Bun's SQL client lets a PGDATABASE environment variable override the database named in a URL, so a
// stray PGDATABASE makes `new SQL(fresh.url)` connect elsewhere (pass `database: fresh.name` to be explicit).
import { describe, test } from 'bun:test';
import { SQL } from 'bun';

/** The admin URL of the test server, or null when none is configured. */
export function pgTestUrl(): string | null {
  const url = process.env.ABSTRACTGATEWAY_TEST_DATABASE_URL?.trim();
  return url ? url : null;
}

export const HAS_PG = pgTestUrl() !== null;

/** The line printed (once per test process) when no test server is configured. */
export const PG_SKIP_LINE =
  'skipping the PostgreSQL tests: set ABSTRACTGATEWAY_TEST_DATABASE_URL (scripts/pg/cluster.sh start prints one)';

let warned = false;

/**
 * `describe` for tests that need the PostgreSQL test server. Without a URL the body never runs (so it may
 * connect at the top of the body) and one skipped test stands for the whole group; with
 * ABSTRACTGATEWAY_REQUIRE_POSTGRES=1 that one test fails instead.
 */
export function describePg(name: string, body: () => void): void {
  if (pgTestUrl() !== null) {
    describe(name, body);
    return;
  }
  if (process.env.ABSTRACTGATEWAY_REQUIRE_POSTGRES === '1') {
    test(`${name} (needs PostgreSQL)`, () => {
      throw new Error('ABSTRACTGATEWAY_REQUIRE_POSTGRES=1 but ABSTRACTGATEWAY_TEST_DATABASE_URL is not set');
    });
    return;
  }
  if (!warned) {
    warned = true;
    console.warn(PG_SKIP_LINE);
  }
  test.skip(`${name} (needs PostgreSQL)`, () => {});
}

export interface FreshDatabase {
  /** The admin URL with its database replaced by the new one (user, host, port and parameters kept). */
  url: string;
  /** The database's name. */
  name: string;
  /** Drops the database, closing connections still open to it; safe to call twice. */
  drop(): Promise<void>;
}

let counter = 0;

/**
 * Creates an empty database named `<prefix>_<pid>_<time>_<n>` (the prefix lowercased, other characters than
 * [a-z0-9_] replaced by `_`, the whole at most 63 bytes) on the test server.
 */
export async function freshDatabase(prefix: string): Promise<FreshDatabase> {
  const admin = pgTestUrl();
  if (admin === null) throw new Error(`freshDatabase: ${PG_SKIP_LINE}`);
  let head = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (!/^[a-z_]/.test(head)) head = `t_${head}`;
  const tail = `_${process.pid}_${Date.now().toString(36)}_${++counter}`;
  const name = head.slice(0, 63 - tail.length) + tail;
  await withAdmin(admin, (sql) => sql.unsafe(`CREATE DATABASE "${name}"`));
  const u = new URL(admin);
  u.pathname = `/${name}`;
  let dropped = false;
  return {
    url: u.toString(),
    name,
    async drop() {
      if (dropped) return;
      await withAdmin(admin, (sql) => sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      dropped = true;
    },
  };
}

/** A new database copied from `template` (CREATE DATABASE … TEMPLATE: a file copy; nobody may be connected to it). */
export async function cloneDatabase(template: FreshDatabase, prefix: string): Promise<FreshDatabase> {
  const fresh = await freshDatabase(prefix);
  await fresh.drop();
  const admin = pgTestUrl()!;
  await withAdmin(admin, (sql) => sql.unsafe(`CREATE DATABASE "${fresh.name}" TEMPLATE "${template.name}"`));
  let dropped = false;
  return {
    ...fresh,
    async drop() {
      if (dropped) return;
      await withAdmin(admin, (sql) => sql.unsafe(`DROP DATABASE IF EXISTS "${fresh.name}" WITH (FORCE)`));
      dropped = true;
    },
  };
}

/** One short-lived admin connection (closed before returning, so no test keeps it open). */
async function withAdmin<T>(url: string, fn: (sql: SQL) => Promise<T>): Promise<T> {
  const sql = new SQL(url, { max: 1 });
  try {
    return await fn(sql);
  } finally {
    await sql.close();
  }
}
