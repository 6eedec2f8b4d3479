import { afterEach, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrate } from '../../src/migrate/index.ts';
import { SqliteStore } from '../../src/store/index.ts';
import { tempDir } from '../support/harness.ts';
import { BLOB_ID, LEGACY_BYTES, RUN_A, RUN_B, pyRecord, writeFileBackend, writeSqliteBackend } from './fixtures.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of cleanups.splice(0)) await c(); });

function setup() {
  const src = tempDir('ag-mig-src-');
  const dst = tempDir('ag-mig-dst-');
  const store = SqliteStore.open(join(dst.path, 'gateway.sqlite3'));
  cleanups.push(async () => { await store.close(); src.cleanup(); dst.cleanup(); });
  return { from: src.path, store, artifactsDir: join(dst.path, 'artifacts') };
}

describe('migrate: Python file backend', () => {
  test('imports runs, ledgers, commands, cursor and artifacts, reporting bad lines by file:line', async () => {
    const s = setup();
    writeFileBackend(s.from);
    const phases = new Set<string>();
    const sum = await migrate({ ...s, onProgress: (p) => phases.add(p.phase) });

    expect(sum.sources.map((x) => x.kind)).toEqual(['file']);
    expect(sum.runs).toEqual({ imported: 2, updated: 0, unchanged: 0 });
    expect(phases).toEqual(new Set(['runs', 'ledger', 'commands', 'artifacts']));

    // run ids and the wait survive; `until` is normalised to the canonical form
    const a = (await s.store.runs.get(RUN_A))!;
    expect(a.status).toBe('waiting');
    expect(a.waiting?.wait_key).toBe(`user:${RUN_A}:node-2`);
    expect((await s.store.runs.get(RUN_B))!.waiting?.until).toBe('2026-02-05T10:00:00.000000+00:00');

    // ledger: line order = seq, the bad line does not consume a seq, original fields kept, chain recomputed
    const led = await s.store.ledger.listAfter(RUN_A, 0, 100);
    expect(led.map((r) => [r.step_id, r.status])).toEqual([['step-1', 'started'], ['step-1', 'completed'], ['step-2', 'completed']]);
    expect(led[1]!.effect).toEqual(pyRecord(RUN_A, 1).effect);
    expect(led[0]!.prev_hash).toBeNull();
    expect(led[1]!.prev_hash).toBe(led[0]!.record_hash);
    expect((await s.store.ledger.verify(RUN_A)).ok).toBe(true);
    expect(await s.store.ledger.count(RUN_B)).toBe(2); // glued line recovered as two records
    expect(sum.ledger).toEqual({ runs: 2, records: 5, unchanged: 0 });

    // commands keep their seq; those at or below the Python cursor count as processed
    const cmds = await s.store.commands.listAfter(0, 100);
    expect(cmds.map((c) => [c.seq, c.command_id, c.status])).toEqual([[1, 'cmd-1', 'applied'], [2, 'cmd-2', 'applied'], [4, 'cmd-4', 'pending']]);
    expect(await s.store.commands.cursor()).toBe(2);
    expect(sum.cursor).toEqual({ source: 2, before: 0, after: 2 });
    // a new command continues after the highest imported seq
    expect((await s.store.commands.append({ run_id: RUN_A, type: 'pause' })).seq).toBe(5);

    // artifacts: blob copied, legacy file re-stored content-addressed, missing blob reported
    expect(sum.artifacts.imported).toBe(2);
    const art = (await s.store.artifacts.meta('art1'))!;
    expect(art).toMatchObject({ blob_id: BLOB_ID, run_id: RUN_A, created_at: '2026-02-05T09:00:00.000000+00:00', tags: { kind: 'text' } });
    expect(await (await s.store.artifacts.content('art1'))!.text()).toBe('hello artifact');
    expect(await (await s.store.artifacts.content('legacy1'))!.bytes()).toEqual(LEGACY_BYTES);

    const where = sum.skipped.map((b) => b.where).sort();
    expect(where).toEqual(['artifacts/refs/lost.meta', 'commands.jsonl:3', `ledger_${RUN_A}.jsonl:3`, 'run_broken.json']);
    expect(sum.skipped.find((b) => b.where === 'commands.jsonl:3')!.reason).toContain('missing command_id');
  });

  test('is idempotent: a second run imports nothing new, and picks up appended lines incrementally', async () => {
    const s = setup();
    writeFileBackend(s.from);
    await migrate(s);
    const again = await migrate(s);
    expect(again.runs).toEqual({ imported: 0, updated: 0, unchanged: 2 });
    expect(again.ledger).toEqual({ runs: 0, records: 0, unchanged: 5 });
    expect(again.commands).toEqual({ imported: 0, unchanged: 3 });
    expect(again.artifacts).toEqual({ imported: 0, unchanged: 2 });
    expect(await s.store.ledger.count(RUN_A)).toBe(3);

    // the Python gateway kept running: one more ledger line and a newer run checkpoint
    const ledgerPath = join(s.from, `ledger_${RUN_A}.jsonl`);
    await Bun.write(ledgerPath, readFileSync(ledgerPath, 'utf8') + JSON.stringify(pyRecord(RUN_A, 3)) + '\n');
    const run = JSON.parse(readFileSync(join(s.from, `run_${RUN_A}.json`), 'utf8'));
    await Bun.write(join(s.from, `run_${RUN_A}.json`), JSON.stringify({ ...run, status: 'completed', waiting: null, updated_at: '2026-02-06T00:00:00.000000+00:00' }));
    const third = await migrate(s);
    expect(third.ledger.records).toBe(1);
    expect(third.runs.updated).toBe(1);
    expect((await s.store.runs.get(RUN_A))!.status).toBe('completed');
    expect(await s.store.ledger.verify(RUN_A)).toMatchObject({ ok: true, count: 4 });
  });

  test('refuses a directory with no Python gateway data', async () => {
    const s = setup();
    await expect(migrate(s)).rejects.toThrow(/No Python gateway data found/);
    await expect(migrate({ ...s, from: join(s.from, 'nope') })).rejects.toThrow(/is not a directory/);
  });
});

describe('migrate: Python SQLite backend', () => {
  test('imports the Python schema, keeping seqs and the cursor; bad rows reported', async () => {
    const s = setup();
    writeSqliteBackend(s.from);
    const sum = await migrate(s);
    expect(sum.sources.map((x) => x.kind)).toEqual(['sqlite']);
    expect(sum.runs.imported).toBe(1);
    expect((await s.store.runs.get(RUN_A))!.output).toEqual({ answer: 42 });
    expect(await s.store.ledger.count(RUN_A)).toBe(3);
    expect((await s.store.ledger.verify(RUN_A)).ok).toBe(true);
    expect((await s.store.commands.listAfter(0, 10)).map((c) => c.seq)).toEqual([1, 2, 5]);
    expect(await s.store.commands.cursor()).toBe(2);
    expect(sum.skipped.map((b) => b.where).sort()).toEqual(['artifacts/refs/lost.meta', `gateway.sqlite3 ledger[${RUN_A}#4]`, 'gateway.sqlite3 runs[bad-run]']);
    expect(existsSync(join(s.artifactsDir, 'blobs', `${BLOB_ID}.bin`))).toBe(true);

    const again = await migrate(s);
    expect(again.runs.imported + again.ledger.records + again.commands.imported + again.artifacts.imported).toBe(0);
  });

  test('refuses our own database as a source', async () => {
    const s = setup();
    await SqliteStore.open(join(s.from, 'gateway.sqlite3')).close();
    await expect(migrate(s)).rejects.toThrow(/not a Python AbstractGateway database/);
  });
});
