// freshDatabase against the real test server (ABSTRACTGATEWAY_TEST_DATABASE_URL): each call makes a new empty
// database that is reachable at the returned URL and isolated from the others, and drop() removes it even while
// a connection to it is still open. Skipped with one line when no server is configured (describePg).
import { afterAll, expect, test } from 'bun:test';
import { SQL } from 'bun';
import { describePg, freshDatabase, pgTestUrl, type FreshDatabase } from './pg.ts';

describePg('freshDatabase', () => {
  const made: FreshDatabase[] = [];
  const fresh = async (prefix: string) => {
    const db = await freshDatabase(prefix);
    made.push(db);
    return db;
  };
  afterAll(async () => {
    for (const db of made) await db.drop();
  });

  async function exists(name: string): Promise<boolean> {
    const admin = new SQL(pgTestUrl()!, { max: 1 });
    try {
      const rows = await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`;
      return rows.length === 1;
    } finally {
      await admin.close();
    }
  }

  test('creates a distinct empty database reachable at its URL, isolated from the others', async () => {
    const a = await fresh('pgtest');
    const b = await fresh('pgtest');
    expect(a.name).not.toBe(b.name);
    expect(await exists(a.name)).toBe(true);
    const sa = new SQL(a.url, { max: 1 });
    const sb = new SQL(b.url, { max: 1 });
    try {
      const [row] = await sa`SELECT current_database() AS db`;
      expect(row.db).toBe(a.name);
      await sa`CREATE TABLE t (x int)`;
      await sa`INSERT INTO t VALUES (1)`;
      const [{ n }] = await sb`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`;
      expect(n).toBe(0);
    } finally {
      await sa.close();
      await sb.close();
    }
  });

  test('drop() removes the database even with a connection still open, and may be called twice', async () => {
    const db = await fresh('pgtest_drop');
    const open = new SQL(db.url, { max: 1 });
    await open`SELECT 1`;
    await db.drop();
    expect(await exists(db.name)).toBe(false);
    await db.drop();
    await open.close().catch(() => {});
  });

  test('the prefix is made a valid identifier and the name fits in 63 bytes', async () => {
    const db = await fresh(`9 Weird-Prefix ${'x'.repeat(80)}`);
    expect(db.name).toMatch(/^[a-z_][a-z0-9_]*$/);
    expect(db.name.length).toBeLessThanOrEqual(63);
    expect(db.name.startsWith('t_9_weird_prefix_')).toBe(true);
    expect(await exists(db.name)).toBe(true);
  });
});
