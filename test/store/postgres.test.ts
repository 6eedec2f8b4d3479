// The PostgreSQL store (src/store/postgres/) against the test server of ABSTRACTGATEWAY_TEST_DATABASE_URL
// (test/support/pg.ts: without it the file skips under the one PostgreSQL skip line). Each run of this file
// creates its own databases (ag_t_<random>) and drops them at the end. Several stores on one database stand for
// several processes.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { SQL } from 'bun';
import type { RunState, StepRecord } from '../../src/model/index.ts';
import type { NewStepRecord } from '../../src/store/api.ts';
import { hashRecord } from '../../src/store/ledger.ts';
import { PostgresStore } from '../../src/store/postgres/index.ts';
import { PG_SCHEMA_VERSION } from '../../src/store/postgres/schema.ts';
import { nowIso } from '../../src/util/time.ts';
import { eventually } from '../support/clock.ts';
import { describePg, pgTestUrl } from '../support/pg.ts';

const BASE_URL = pgTestUrl() ?? '';
const available = BASE_URL !== '';

const admin = available ? new SQL(BASE_URL, { max: 2 }) : null;
const created: string[] = [];
const stores: PostgresStore[] = [];

function dbUrl(name: string): string {
  const u = new URL(BASE_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

async function freshDatabase(): Promise<string> {
  const name = `ag_t_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`;
  await admin!.unsafe(`CREATE DATABASE ${name}`);
  created.push(name);
  return dbUrl(name);
}

async function open(url: string, opts: Parameters<typeof PostgresStore.open>[1] = {}): Promise<PostgresStore> {
  const s = await PostgresStore.open(url, { poolMax: 4, fault: null, ...opts });
  stores.push(s);
  return s;
}

let url = '';
let A: PostgresStore;
let B: PostgresStore;

beforeAll(async () => {
  if (!available) return;
  url = await freshDatabase();
  [A, B] = await Promise.all([open(url), open(url)]);
});

afterAll(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const name of created) await admin!.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin?.close();
});

const ids = () => crypto.randomUUID();

function run(id: string, over: Partial<RunState> = {}): RunState {
  const now = nowIso();
  return {
    run_id: id, workflow_id: 'w', status: 'running', current_node: 'a', vars: {}, waiting: null, output: null,
    error: null, created_at: now, updated_at: now, actor_id: 'gateway', session_id: id, parent_run_id: null, ...over,
  } as RunState;
}

function rec(runId: string, i: number, over: Partial<NewStepRecord> = {}): NewStepRecord {
  return {
    run_id: runId, step_id: `s${i}`, node_id: `n${i}`, status: 'completed', effect: null, result: { i, text: 'héllo ✓' },
    error: null, started_at: nowIso(), ended_at: nowIso(), actor_id: 'gateway', session_id: null, attempt: 1,
    idempotency_key: null, ...over,
  };
}

describePg('postgres store', () => {
  test('migrations: idempotent, safe when two processes open a fresh database at once, newer refused', async () => {
    const fresh = await freshDatabase();
    const [x, y] = await Promise.all([open(fresh, { listen: false }), open(fresh, { listen: false })]);
    expect(await x.schemaVersion()).toBe(PG_SCHEMA_VERSION);
    expect(await y.schemaVersion()).toBe(PG_SCHEMA_VERSION);
    const again = await open(fresh, { listen: false });
    expect(await again.schemaVersion()).toBe(PG_SCHEMA_VERSION);
    const [row] = await again.pool`SELECT COUNT(*)::int AS n FROM schema_migrations`;
    expect(row.n).toBe(PG_SCHEMA_VERSION);
    expect(again.location).toBe(fresh);
    await again.pool`INSERT INTO schema_migrations (version, applied_at) VALUES (${PG_SCHEMA_VERSION + 1}, 'x')`;
    await expect(PostgresStore.open(fresh, { listen: false })).rejects.toThrow(/newer than this gateway supports/);
    expect(A.backend).toBe('postgres');
    expect(A.multiRunner).toBe(true);
  });

  test('prepare: false (PgBouncer transaction mode) runs the same statements', async () => {
    const s = await open(url, { prepare: false, listen: false });
    const id = `np-${ids()}`;
    await s.runs.save(run(id, { status: 'waiting', waiting: { reason: 'event', wait_key: `k-${id}` } as RunState['waiting'] }));
    await s.tx(async () => {
      await s.ledger.append(rec(id, 0));
      await s.commands.append({ run_id: id, type: 'pause' });
      s.notifier.queueRunChange();
    });
    expect((await s.ledger.countMany([id])).get(id)).toBe(1);
    expect((await s.runs.listWaitingOnKeys([`k-${id}`])).length).toBe(1);
    expect(await s.ledger.verify(id)).toMatchObject({ ok: true, count: 1 });
    await s.claims.release('nobody', [id]);
  });

  test('fault boundaries: precommit (inside: rolled back) and commit (after: durable, not yet announced)', async () => {
    const pre = await open(url, { listen: false, fault: 'precommit:1:throw' });
    const id = `f-${ids()}`;
    await expect(pre.tx(() => pre.runs.save(run(id)))).rejects.toThrow('injected fault at precommit#1');
    expect(await pre.runs.exists(id)).toBe(false);
    const post = await open(url, { listen: false, fault: 'commit:1:throw' });
    let heard = 0;
    post.notifier.onLedger(id, () => heard++);
    await expect(post.ledger.append(rec(id, 0))).rejects.toThrow('injected fault at commit#1');
    expect(await post.ledger.count(id)).toBe(1);
    expect(heard).toBe(0);
  });

  test('SIGKILL at precommit leaves nothing (and frees the run\'s ledger lock); at commit the record is durable', async () => {
    const worker = new URL('../support/pg-fault-worker.ts', import.meta.url).pathname;
    const spawn = (fault: string, runId: string) => Bun.spawn([process.execPath, worker, url, fault, runId], { stdout: 'pipe', stderr: 'pipe' });
    const pre = `kill-pre-${ids()}`;
    const post = `kill-post-${ids()}`;
    const [p1, p2] = [spawn('precommit:1', pre), spawn('commit:1', post)];
    await Promise.all([p1.exited, p2.exited]);
    expect([p1.signalCode, p2.signalCode]).toEqual(['SIGKILL', 'SIGKILL']);
    expect(await A.ledger.count(pre)).toBe(0);
    expect((await A.ledger.append(rec(pre, 0))).seq).toBe(1);
    expect(await A.ledger.count(post)).toBe(1);
    expect(await A.ledger.verify(post)).toMatchObject({ ok: true, count: 1 });
  });

  test('a deadlock fails one transaction, which is not re-run', async () => {
    // Connections opened after this detect the deadlock in 20 ms (instead of 1 s).
    await admin!.unsafe(`ALTER DATABASE ${new URL(url).pathname.slice(1)} SET deadlock_timeout = '20ms'`);
    const [x, y] = await Promise.all([open(url, { listen: false }), open(url, { listen: false })]);
    const [d1, d2] = [`d1-${ids()}`, `d2-${ids()}`];
    await x.runs.save(run(d1));
    await x.runs.save(run(d2));
    let xHas!: () => void;
    let yHas!: () => void;
    const xHasP = new Promise<void>((r) => (xHas = r));
    const yHasP = new Promise<void>((r) => (yHas = r));
    let calls = 0;
    const px = x.tx(async () => { calls++; await x.runs.get(d1); xHas(); await yHasP; await x.runs.get(d2); });
    const py = y.tx(async () => { calls++; await y.runs.get(d2); yHas(); await xHasP; await y.runs.get(d1); });
    const res = await Promise.allSettled([px, py]);
    const failed = res.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(failed.length).toBe(1);
    expect((failed[0]!.reason as { errno?: string }).errno).toBe('40P01');
    expect(calls).toBe(2);
  });

  test('location hides the password', async () => {
    const { redactUrl } = await import('../../src/store/postgres/index.ts');
    expect(redactUrl('postgres://u:secret@h:5432/db')).toBe('postgres://u@h:5432/db');
  });

  test('runs: save/get/list with cursor paging, due and runnable lists, waits, children, tree counts', async () => {
    const wf = `wf_${ids()}`;
    const base = Date.parse('2030-01-01T00:00:00Z');
    const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '000+00:00');
    const mk = (i: number) => run(`r-${wf}-${String(i).padStart(2, '0')}`, { workflow_id: wf, updated_at: iso(base + (i % 4) * 1000) });
    for (let i = 0; i < 9; i++) await A.runs.save(mk(i));
    const got = await B.runs.get(`r-${wf}-03`);
    expect(got?.workflow_id).toBe(wf);
    expect(await B.runs.get('nope')).toBeNull();
    expect(await B.runs.exists(`r-${wf}-03`)).toBe(true);
    expect(await B.runs.updatedAt(`r-${wf}-03`)).toBe(iso(base + 3000));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof B.runs.list>> = await B.runs.list({ workflowId: wf, limit: 4, cursor });
      seen.push(...page.items.map((r) => r.run_id));
      cursor = page.next_cursor;
    } while (cursor);
    const expected = Array.from({ length: 9 }, (_, i) => mk(i))
      .sort((a, b) => (a.updated_at === b.updated_at ? (a.run_id < b.run_id ? 1 : -1) : a.updated_at < b.updated_at ? 1 : -1))
      .map((r) => r.run_id);
    expect(seen).toEqual(expected);

    const due = run(`due-${wf}`, { workflow_id: wf, status: 'waiting', waiting: { reason: 'until', wait_key: 'k1', until: '2000-01-01T00:00:00.000000+00:00' } as RunState['waiting'] });
    await A.runs.save(due);
    expect(await B.runs.listDueUntil('2001-01-01T00:00:00.000000+00:00', 100)).toContain(due.run_id);
    expect((await B.runs.nextDueUntil())! <= '2000-01-01T00:00:00.000000+00:00').toBe(true);
    expect((await B.runs.listWaitingOnKeys(['k1', 'zz'])).map((r) => r.run_id)).toEqual([due.run_id]);
    const child = run(`child-${wf}`, { workflow_id: wf, parent_run_id: due.run_id, status: 'completed' });
    await A.runs.save(child);
    const parent = run(`parent-${wf}`, {
      workflow_id: wf, status: 'waiting', waiting: { reason: 'subworkflow', wait_key: `subworkflow:${child.run_id}` } as RunState['waiting'],
    });
    await A.runs.save(parent);
    expect((await B.runs.listParentsOfEndedChildren(100)).map((r) => r.run_id)).toContain(parent.run_id);
    expect((await B.runs.children(due.run_id)).map((r) => r.run_id)).toEqual([child.run_id]);
    expect(await A.runs.bumpTreeCount(due.run_id)).toBe(1);
    expect(await B.runs.bumpTreeCount(due.run_id)).toBe(2);
    expect(await B.runs.listRunnable(1000, 'gateway')).toContain(`r-${wf}-00`);
    const byStatus = await B.runs.countByStatus();
    expect(byStatus.find((s) => s.status === 'waiting')!.n).toBeGreaterThanOrEqual(2);
    expect(await B.runs.count()).toBeGreaterThanOrEqual(12);
  });

  test('runs.get inside a transaction locks the row until commit (read-merge-write is atomic across stores)', async () => {
    const id = `lock-${ids()}`;
    await A.runs.save(run(id, { vars: { n: 0 } }));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let held!: () => void;
    const holding = new Promise<void>((r) => (held = r));
    const first = A.tx(async () => {
      const r = (await A.runs.get(id))!;
      held();
      await gate;
      r.vars = { n: (r.vars.n as number) + 1 };
      await A.runs.save(r);
    });
    await holding;
    const second = B.tx(async () => {
      const r = (await B.runs.get(id))!;
      r.vars = { n: (r.vars.n as number) + 1 };
      await B.runs.save(r);
    });
    await eventually(async () => (await admin!.unsafe(
      `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`, [new URL(url).pathname.slice(1)])).length > 0,
      5000, 'the second transaction to wait for the row');
    release();
    await Promise.all([first, second]);
    expect((await A.runs.get(id))!.vars.n).toBe(2);
  });

  test('ledger: 100 appends chain; the stored JSON is the record; a tampered row is reported', async () => {
    const id = `led-${ids()}`;
    const heard: number[] = [];
    A.notifier.onLedger(id, () => heard.push(1));
    let last: StepRecord | null = null;
    for (let i = 0; i < 100; i++) {
      const { seq, record } = await A.ledger.append(rec(id, i, i % 10 === 0 ? { idempotency_key: `k${i}`, effect: { type: 'llm_call', payload: {}, result_key: null } as never, result: { usage: { total_tokens: 7 } } } : {}));
      expect(seq).toBe(i + 1);
      expect(record.prev_hash).toBe(last?.record_hash ?? null);
      expect(record.record_hash).toBe(hashRecord(record));
      last = record;
    }
    expect(heard.length).toBe(100);
    const raw = await B.ledger.listRawAfter(id, 99, 10);
    expect(raw).toEqual([{ seq: 100, json: JSON.stringify(last) }]);
    expect((await B.ledger.listAfter(id, 10, 2)).map((r) => r.step_id)).toEqual(['s10', 's11']);
    expect(await B.ledger.count(id)).toBe(100);
    expect((await B.ledger.countMany([id, 'none'])).get('none')).toBe(0);
    const m = (await B.ledger.metricsMany([id])).get(id)!;
    expect(m).toEqual({ steps: 100, llm_calls: 10, tool_calls: 0, tokens_total: 70 });
    const other = `led-m-${ids()}`;
    const tools = (calls: unknown) => ({ effect: { type: 'tool_calls', payload: { tool_calls: calls }, result_key: null } as never });
    await A.ledger.append(rec(other, 0, tools([{ name: 'a' }, { name: 'b' }, { name: 'c' }])));
    await A.ledger.append(rec(other, 1, tools({ not: 'an array' })));
    await A.ledger.append(rec(other, 2, { ...tools([1]), status: 'failed' }));
    await A.ledger.append(rec(other, 3, { effect: { type: 'llm_call', payload: {}, result_key: null } as never, result: { text: 'nul \u0000 here', usage: { total_tokens: 5 } } }));
    expect((await B.ledger.metricsMany([other, 'none'])).get(other)).toEqual({ steps: 3, llm_calls: 1, tool_calls: 3, tokens_total: 5 });
    expect((await B.ledger.metricsMany(['none'])).get('none')).toEqual({ steps: 0, llm_calls: 0, tool_calls: 0, tokens_total: 0 });
    expect((await B.ledger.findCompleted(id, 'k20'))?.step_id).toBe('s20');
    expect(await B.ledger.countEnded(id, 'k20')).toBe(1);
    const ok = await B.ledger.verify(id);
    expect(ok).toMatchObject({ ok: true, count: 100, head_hash: last!.record_hash });
    const scanned = await B.ledger.scan(0, 100_000);
    expect(scanned.filter((r) => JSON.parse(r.record_json).run_id === id).length).toBe(100);

    await A.pool.unsafe(`UPDATE ledger SET record_json = replace(record_json, '"i":51', '"i":52') WHERE run_id = $1 AND seq = 52`, [id]);
    const bad = await B.ledger.verify(id);
    expect(bad.ok).toBe(false);
    expect(bad.first_bad_seq).toBe(52);
    expect(bad.errors.length).toBe(1);
    expect(bad.errors[0]!.type).toBe('record_hash_mismatch');
  });

  test('ledger: concurrent appends from two stores on one run never duplicate a seq and keep the chain', async () => {
    const id = `conc-${ids()}`;
    const work = (s: PostgresStore, tag: string) => Promise.all(Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 10; i++) await s.ledger.append(rec(id, i, { step_id: `${tag}-${w}-${i}` }));
    }));
    await Promise.all([work(A, 'a'), work(B, 'b')]);
    const rows = await A.pool`SELECT seq FROM ledger WHERE run_id = ${id} ORDER BY seq`;
    expect(rows.map((r: { seq: number }) => r.seq)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    expect(await A.ledger.verify(id)).toMatchObject({ ok: true, count: 80 });
  });

  test('commands: idempotent on command_id; the cursor row is taken FOR UPDATE SKIP LOCKED', async () => {
    const runId = `cmd-${ids()}`;
    const cid = ids();
    const first = await A.commands.append({ command_id: cid, run_id: runId, type: 'pause', payload: { a: 1 } });
    const dup = await B.commands.append({ command_id: cid, run_id: runId, type: 'pause' });
    expect(first).toMatchObject({ accepted: true, duplicate: false });
    expect(dup).toEqual({ accepted: false, duplicate: true, seq: first.seq });
    const got = (await B.commands.get(cid))!;
    expect(got).toMatchObject({ seq: first.seq, run_id: runId, payload: { a: 1 }, status: 'pending', reason: null });
    expect(await B.commands.lastSeq()).toBeGreaterThanOrEqual(first.seq);
    expect((await B.commands.listAfter(first.seq - 1, 10))[0]!.command_id).toBe(cid);
    await A.commands.setOutcome(first.seq, 'rejected', 'because');
    expect((await B.commands.get(cid))!).toMatchObject({ status: 'rejected', reason: 'because' });
    expect((await B.commands.countByOutcome()).some((r) => r.type === 'pause' && r.outcome === 'rejected' && r.n >= 1)).toBe(true);

    // A consumer without a row: created on first use inside a transaction.
    const fresh = `c-${ids()}`;
    expect(await A.commands.cursor(fresh)).toBe(0);
    expect(await A.tx(() => A.commands.cursor(fresh))).toBe(0);

    const consumer = `c-${ids()}`;
    await A.commands.saveCursor(3, consumer);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let held!: () => void;
    const holding = new Promise<void>((r) => (held = r));
    const a = A.tx(async () => {
      const c = await A.commands.cursor(consumer);
      held();
      await gate;
      await A.commands.saveCursor(c! + 2, consumer);
      return c;
    });
    await holding;
    expect(await B.tx(() => B.commands.cursor(consumer))).toBeNull();
    expect(await B.commands.cursor(consumer)).toBe(3); // outside a transaction: a plain read
    release();
    expect(await a).toBe(3);
    expect(await B.tx(() => B.commands.cursor(consumer))).toBe(5);

    const imported = { ...got, seq: 1_000_000, command_id: ids(), status: 'applied' as const, reason: null, applied_at: nowIso() };
    expect(await A.commands.importRecord(imported)).toBe(true);
    expect(await A.commands.importRecord(imported)).toBe(false);
    const next = await B.commands.append({ run_id: runId, type: 'resume' });
    expect(next.seq).toBeGreaterThan(1_000_000);
  });

  test('claims: two owners get disjoint sets, due waits first, an expired claim is taken over, holds()', async () => {
    const fresh = await freshDatabase();
    const [x, y] = await Promise.all([open(fresh, { listen: false }), open(fresh, { listen: false })]);
    const actor = 'gateway';
    for (let i = 0; i < 6; i++) await x.runs.save(run(`run-${i}`, { updated_at: `2030-01-01T00:00:0${i}.000000+00:00` }));
    for (let i = 0; i < 2; i++) {
      await x.runs.save(run(`due-${i}`, { status: 'waiting', waiting: { reason: 'until', wait_key: `t${i}`, until: `2000-01-0${i + 1}T00:00:00.000000+00:00` } as RunState['waiting'] }));
    }
    await x.runs.save(run('other-actor', { actor_id: 'someone' }));
    const nowIsoS = '2001-01-01T00:00:00.000000+00:00';
    const t = 1_000_000;
    expect(await x.claims.claim('X', 3, actor, nowIsoS, t, t + 1000)).toEqual(['due-0', 'due-1', 'run-0']);
    const [p, q] = await Promise.all([x.claims.claim('X2', 2, actor, nowIsoS, t, t + 1000), y.claims.claim('Y', 2, actor, nowIsoS, t, t + 1000)]);
    expect(new Set([...p, ...q]).size).toBe(p.length + q.length);
    const rest = await y.claims.claim('Y', 10, actor, nowIsoS, t, t + 1000);
    const all = [...p, ...q.filter((r) => !rest.includes(r)), ...rest];
    expect(new Set(all)).toEqual(new Set(['run-1', 'run-2', 'run-3', 'run-4', 'run-5']));
    expect(await y.claims.claim('Z', 10, actor, nowIsoS, t, t + 1000)).toEqual([]);
    expect(await y.claims.holds('X', 'run-0', t)).toBe(true);
    expect(await y.claims.holds('Y', 'run-0', t)).toBe(false);
    // X renews run-0 only; once the others expire, Z takes them over and X no longer holds them.
    await x.claims.renew('X', ['run-0'], t + 10_000);
    const taken = await y.claims.claim('Z', 10, actor, nowIsoS, t + 2000, t + 3000);
    expect(taken).toContain('due-0');
    expect(taken).not.toContain('run-0');
    expect(await x.claims.holds('X', 'due-0', t + 2000)).toBe(false);
    expect(await x.tx(() => x.claims.holds('X', 'run-0', t + 2000))).toBe(true);
    await x.claims.release('X', ['run-0']);
    expect(await y.claims.claim('W', 10, actor, nowIsoS, t + 2000, t + 3000)).toEqual(['run-0']);
    // An owner re-claiming what it holds extends it.
    expect((await y.claims.claim('Z', 10, actor, nowIsoS, t + 2000, t + 4000)).length).toBe(7);
  });

  test('LISTEN/NOTIFY: another store hears ledger appends and commands; a store ignores its own', async () => {
    const id = `ln-${ids()}`;
    let bHeard = 0;
    let aHeard = 0;
    let bCommands = 0;
    const v0 = await B.dataVersion();
    const offB = B.notifier.onLedger(id, () => bHeard++);
    const offA = A.notifier.onLedger(id, () => aHeard++);
    const offC = B.notifier.onCommand(() => bCommands++);
    await A.ledger.append(rec(id, 0));
    await eventually(() => bHeard === 1, 1000, 'B to hear A\'s append');
    expect(await B.dataVersion()).toBeGreaterThan(v0);
    await A.commands.append({ run_id: id, type: 'pause' });
    await eventually(() => bCommands >= 1, 1000, 'B to hear A\'s command');
    // A's own notification came back to A before the command's (one connection, commit order): ignored.
    const id2 = `ln2-${ids()}`;
    let aHeard2 = 0;
    const offA2 = A.notifier.onLedger(id2, () => aHeard2++);
    await B.ledger.append(rec(id2, 0));
    await eventually(() => aHeard2 === 1, 1000, 'A to hear B\'s append');
    expect(aHeard).toBe(1);
    offA(); offB(); offC(); offA2();
  });

  test('LISTEN survives a dropped connection: re-subscribed, subscribers told to look again', async () => {
    const db = new URL(url).pathname.slice(1);
    let wakes = 0;
    const offC = B.notifier.onCommand(() => wakes++);
    const killed = await admin!.unsafe(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'listen%'`, [db]);
    expect(killed.length).toBeGreaterThanOrEqual(2);
    await eventually(() => wakes >= 1, 5000, 'B to re-subscribe');
    const id = `relisten-${ids()}`;
    let heard = 0;
    const off = B.notifier.onLedger(id, () => heard++);
    await A.ledger.append(rec(id, 0));
    await eventually(() => heard === 1, 1000, 'B to hear A again');
    off(); offC();
  });

  test('rollback: nothing written, nothing notified (here or elsewhere); a concurrent commit still notifies', async () => {
    const id = `rb-${ids()}`;
    const ok = `rb-ok-${ids()}`;
    let local = 0;
    let remote = 0;
    let remoteOk = 0;
    const offs = [A.notifier.onLedger(id, () => local++), B.notifier.onLedger(id, () => remote++), B.notifier.onLedger(ok, () => remoteOk++)];
    let localOk = 0;
    offs.push(A.notifier.onLedger(ok, () => localOk++));
    let proceed!: () => void;
    const gate = new Promise<void>((r) => (proceed = r));
    const failing = A.tx(async () => {
      await A.ledger.append(rec(id, 0));
      await gate;
      throw new Error('boom');
    });
    const committing = A.tx(async () => {
      await A.ledger.append(rec(ok, 0));
    });
    await committing;
    expect(localOk).toBe(1);
    proceed();
    await expect(failing).rejects.toThrow('boom');
    expect(await A.ledger.count(id)).toBe(0);
    await eventually(() => remoteOk === 1, 1000, 'B to hear the committed append');
    const probe = `rb-probe-${ids()}`;
    let probeHeard = 0;
    offs.push(B.notifier.onLedger(probe, () => probeHeard++));
    await A.ledger.append(rec(probe, 0));
    await eventually(() => probeHeard === 1, 1000, 'B to hear the probe');
    expect(local).toBe(0);
    expect(remote).toBe(0);
    for (const off of offs) off();
  });

  test('transactions: nested tx joins, savepoint undoes only its part, a timer scheduled inside does not join', async () => {
    const id = `sp-${ids()}`;
    let later: Promise<void> | null = null;
    await A.tx(async () => {
      await A.runs.save(run(id));
      await A.tx(() => A.ledger.append(rec(id, 0)));
      await expect(A.savepoint(async () => {
        await A.ledger.append(rec(id, 1));
        throw new Error('undo me');
      })).rejects.toThrow('undo me');
      await A.savepoint(() => A.ledger.append(rec(id, 2)));
      later = new Promise<void>((resolve) => setTimeout(() => void A.ledger.append(rec(id, 3)).then(() => resolve()), 0));
    });
    await later;
    expect((await A.ledger.listAfter(id, 0, 10)).map((r) => r.step_id)).toEqual(['s0', 's2', 's3']);
    expect(await A.ledger.verify(id)).toMatchObject({ ok: true, count: 3 });
    await expect(A.tx(async () => { await A.runs.save(run(`${id}-x`)); throw new Error('no'); })).rejects.toThrow('no');
    expect(await A.runs.exists(`${id}-x`)).toBe(false);
  });

  test('artifacts: bytes in the database, content-addressed and deduplicated', async () => {
    const bytes = new TextEncoder().encode(`blob ${ids()}`);
    const m1 = await A.artifacts.put(bytes, { contentType: 'text/plain', tags: { k: 'v' } });
    const m2 = await B.artifacts.put(bytes, { contentType: 'text/plain' });
    expect(m2.artifact_id).toBe(m1.artifact_id);
    const runId = `art-${ids()}`;
    const m3 = await B.artifacts.put(bytes, { runId, createdAt: '2030-01-01T00:00:00.000000+00:00' });
    expect(m3.artifact_id).not.toBe(m1.artifact_id);
    expect(m3).toMatchObject({ blob_id: m1.blob_id, size_bytes: bytes.byteLength, run_id: runId, created_at: '2030-01-01T00:00:00.000000+00:00' });
    const [blobs] = await A.pool`SELECT COUNT(*)::int AS n FROM artifact_blobs WHERE blob_id = ${m1.blob_id}`;
    expect(blobs.n).toBe(1);
    const content = (await B.artifacts.content(m1.artifact_id))!;
    expect(content.type).toStartWith('text/plain'); // Bun adds ;charset=utf-8, as for the SQLite store's Bun.file
    expect(new Uint8Array(await content.arrayBuffer())).toEqual(bytes);
    expect(await B.artifacts.content('missing')).toBeNull();
    expect(await B.artifacts.meta('missing')).toBeNull();
    const j = await A.artifacts.putJson({ a: [1, 2] }, { runId });
    expect(j.content_type).toBe('application/json');
    expect(await (await B.artifacts.content(j.artifact_id))!.json()).toEqual({ a: [1, 2] });
    expect((await B.artifacts.listByRun(runId, 10)).map((m) => m.artifact_id).sort()).toEqual([m3.artifact_id, j.artifact_id].sort());
    const listed = await B.artifacts.listIds('', 1000);
    expect(listed).toEqual([...listed].sort());
    expect(listed).toContain(m1.artifact_id);
    await expect(A.artifacts.put(bytes, { artifactId: '../etc' })).rejects.toThrow(/Invalid artifact id/);
  });

  test('knowledge graph: assert dedupes, query filters, search ranks in (0, 1], embeddings, delete', async () => {
    const owner = `o-${ids()}`;
    const base = {
      scope: 'session', owner_id: owner, subject_type: null, object_type: null, confidence: 0.9, valid_from: null,
      valid_until: null, span_id: null, run_id: null, attributes: { note: 'from chat' },
    };
    const a1 = await A.kg.assert({ ...base, subject: 'Alice', predicate: 'likes', object: 'green tea', observed_at: '2030-01-01T00:00:01.000000+00:00' });
    const again = await B.kg.assert({ ...base, subject: 'Alice', predicate: 'likes', object: 'green tea', observed_at: '2030-01-02T00:00:00.000000+00:00' });
    expect(a1.created).toBe(true);
    expect(again).toEqual({ assertion: a1.assertion, created: false });
    await A.kg.assert({ ...base, subject: 'Bob', predicate: 'likes', object: 'coffee', observed_at: '2030-01-01T00:00:02.000000+00:00' });
    await A.kg.assert({ ...base, owner_id: `${owner}-other`, subject: 'Alice', predicate: 'likes', object: 'tea', observed_at: '2030-01-01T00:00:03.000000+00:00' });
    const owners = [{ scope: 'session', owner_id: owner }];
    expect((await B.kg.query({ owners, limit: 10 })).map((a) => a.subject)).toEqual(['Bob', 'Alice']);
    expect((await B.kg.query({ owners, limit: 10, order: 'asc', subject: 'alice' })).map((a) => a.object)).toEqual(['green tea']);
    const hits = await B.kg.search('tea drinkers', { owners, limit: 10 });
    expect(hits.map((h) => h.assertion.assertion_id)).toEqual([a1.assertion.assertion_id]);
    expect(hits[0]!.score).toBeGreaterThan(0);
    expect(hits[0]!.score).toBeLessThanOrEqual(1);
    expect((await B.kg.search('cof', { owners, limit: 10 })).map((h) => h.assertion.subject)).toEqual(['Bob']);
    expect(await B.kg.search('  ___ ', { owners, limit: 10 })).toEqual([]);
    expect((await B.kg.search('chat', { owners, limit: 10 })).length).toBe(2);
    await A.kg.saveEmbedding(a1.assertion.assertion_id, 'm', [0.5, 1]);
    await A.kg.saveEmbedding(a1.assertion.assertion_id, 'm', [0.25]);
    expect(await B.kg.embedding(a1.assertion.assertion_id, 'm')).toEqual([0.25]);
    expect(await B.kg.get(a1.assertion.assertion_id)).toEqual(a1.assertion);
    expect(await B.kg.delete(a1.assertion.assertion_id)).toBe(true);
    expect(await B.kg.delete(a1.assertion.assertion_id)).toBe(false);
    expect(await B.kg.embedding(a1.assertion.assertion_id, 'm')).toBeNull();
  });

  test('telegram, flow snapshots, runner lease', async () => {
    const bot = `bot-${ids()}`;
    expect(await A.telegram.offset(bot)).toBe(0);
    await A.telegram.saveOffset(bot, 10);
    await B.telegram.saveOffset(bot, 5);
    expect(await A.telegram.offset(bot)).toBe(10);
    await A.telegram.saveBinding(bot, { chat_id: 'c1', run_id: 'r', session_id: 's', workflow_id: 'w' });
    expect((await B.telegram.binding(bot, 'c1'))).toMatchObject({ chat_id: 'c1', run_id: 'r' });
    expect((await B.telegram.bindings(bot)).length).toBe(1);
    await A.telegram.recordSent(`call-${bot}`, { delivery: 'unknown' });
    await A.telegram.recordSent(`call-${bot}`, { message_id: 2 });
    expect(await B.telegram.sentFor(`call-${bot}`)).toEqual({ message_id: 2 });
    await B.telegram.forgetSent(`call-${bot}`);
    expect(await A.telegram.sentFor(`call-${bot}`)).toBeNull();

    const v = `v-${ids()}`;
    const before = await A.flowSnapshots.documentCount();
    await A.flowSnapshots.save(v, new Map<string, unknown>([['f1', { id: 'f1', n: [1] }], ['f2', { id: 'f1', n: [1] }]]));
    expect(await B.flowSnapshots.documentCount()).toBe(before + 1);
    expect(await B.flowSnapshots.load(v)).toEqual(new Map<string, unknown>([['f1', { id: 'f1', n: [1] }], ['f2', { id: 'f1', n: [1] }]]));
    expect(await B.flowSnapshots.load('none')).toBeNull();

    await A.lease.take({ owner: 'o1', host: 'h', pid: 1, expires_at: 5000 });
    expect(await B.lease.read()).toEqual({ owner: 'o1', host: 'h', pid: 1, expires_at: 5000 });
    expect(await B.lease.holder(4000)).toEqual({ host: 'h', pid: 1 });
    expect(await B.lease.holder(6000)).toBeNull();
    await B.lease.release('other');
    expect(await A.lease.read()).not.toBeNull();
    await B.lease.release('o1');
    expect(await A.lease.read()).toBeNull();
  });
});

describe('notification payloads', () => {
  test('split under 8000 bytes, decoded back in full, own payloads ignored', async () => {
    const { encodeNotes, decodeNotes } = await import('../../src/store/postgres/notify.ts');
    const { PendingNotes } = await import('../../src/store/postgres/conn.ts');
    const notes = new PendingNotes();
    const runIds = Array.from({ length: 500 }, (_, i) => `run-${i}-${'é'.repeat(20)}`);
    for (const r of runIds) notes.ledger.add(r);
    notes.command = true;
    notes.runChange = true;
    const payloads = encodeNotes('me', notes);
    expect(payloads.length).toBeGreaterThan(1);
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThan(8000);
    const events = payloads.flatMap((p) => decodeNotes(p, 'other')!);
    expect(events.filter((e) => e.kind === 'ledger').map((e) => (e as { runId: string }).runId)).toEqual(runIds);
    expect(events.filter((e) => e.kind !== 'ledger')).toEqual([{ kind: 'command' }, { kind: 'run' }]);
    expect(decodeNotes(payloads[0]!, 'me')).toBeNull();
    expect(decodeNotes('not json', 'x')).toBeNull();
    expect(encodeNotes('me', new PendingNotes())).toEqual([]);
  });
});
