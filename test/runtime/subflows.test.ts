// Subflow children are started once per parent step (issue 12 §3): deterministic child ids, adoption of a child
// an earlier attempt created, and a parent resumed at once when its async child ended before its wait committed.
// Many runners (PostgreSQL): a tick whose claim was taken over starts no second child and fails no parent, and a
// child ticked inline keeps its claim while its effect runs.
import { afterEach, expect, test } from 'bun:test';
import { graphWorkflow, StaticWorkflows } from '../../src/runtime/graph.ts';
import { Runner } from '../../src/runtime/runner.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import type { RunState } from '../../src/model/index.ts';
import { createHarness, openHarness, type Harness } from '../support/harness.ts';
import { forEachBackend, openStore } from '../support/backends.ts';
import type { Store } from '../../src/store/index.ts';

let h: Harness<Store> | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const child = graphWorkflow('child', 'c', { c: (run) => ({ complete_output: { doubled: run.vars.n * 2 } }) });
const parent = (extra = {}) =>
  graphWorkflow('parent', 's', {
    s: () => ({ effect: { type: 'start_subworkflow', payload: { workflow_id: 'child', vars: { n: 21 }, ...extra }, result_key: 'sub' }, next_node: 'd' }),
    d: (run) => ({ complete_output: { sub: run.vars.sub } }),
  });

forEachBackend((backendName) => {
  test('the child id depends on the parent, the effect and how often it already ended — not on chance', async () => {
    h = await openHarness({ workflows: [child, parent()] });
    const p = await h.runtime.start('parent');
    const ctx = { run: p, idempotencyKey: 'k1' };
    const id = await h.runtime.childRunId(ctx);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await h.runtime.childRunId(ctx)).toBe(id);
    expect(await h.runtime.childRunId({ run: p, idempotencyKey: 'k2' })).not.toBe(id);
    // Once the effect has ended in the parent's ledger (a loop's first visit), the next visit gets a new child.
    await h.store.ledger.append({ run_id: p.run_id, step_id: 's1', node_id: 's', status: 'waiting', effect: { type: 'start_subworkflow', payload: {}, result_key: null }, result: null, error: null, started_at: p.created_at, ended_at: p.created_at, actor_id: null, session_id: p.session_id, attempt: 1, idempotency_key: 'k1' } as any);
    expect(await h.runtime.childRunId(ctx)).not.toBe(id);
  });

  // SQLite-only: it rewinds the parent by deleting its ledger rows (no such operation in the store contract).
  if (backendName === 'sqlite') test('a parent replaying its step adopts the child the first attempt started (one child, run once)', async () => {
    const hs = createHarness({ workflows: [child, parent({ async: true, wait: true })] });
    h = hs;
    const p = await h.runtime.start('parent');
    const before: RunState = structuredClone(await h.run(p.run_id));
    await h.runtime.tick(p.run_id);
    await h.settle();
    expect((await h.run(p.run_id)).status).toBe('completed');
    const [kid] = await h.store.runs.children(p.run_id);
    // The crash case: the parent's checkpoint and ledger as they were before the step, the child already done.
    hs.store.db.query('DELETE FROM ledger WHERE run_id = ?').run(p.run_id);
    await h.store.tx(() => h!.store.runs.save(before));
    await h.runtime.tick(p.run_id);
    await h.settle();
    const again = await h.run(p.run_id);
    expect(again.status).toBe('completed');
    expect((await h.store.runs.children(p.run_id)).map((r) => r.run_id)).toEqual([kid!.run_id]);
    expect(again.output!.sub).toMatchObject({ sub_run_id: kid!.run_id, output: { doubled: 42 } });
    expect((await h.ledger(kid!.run_id)).filter((r) => r.idempotency_key === 'system:terminal_status:completed')).toHaveLength(1);
  });

  test('a child that ended before its parent committed the wait resumes the parent in that commit', async () => {
    // The race with the runner made deterministic: this effect starts the child, runs it to its end, and only then
    // parks the parent on it (the parent's wait reaches the database after the child's end).
    const racer = graphWorkflow('racer', 's', {
      s: () => ({ effect: { type: 'start_then_wait', payload: {}, result_key: 'sub' }, next_node: 'd' }),
      d: (run) => ({ complete_output: { sub: run.vars.sub } }),
    });
    h = await openHarness({ workflows: [child, racer] });
    const rt = h.runtime;
    rt.registerEffect('start_then_wait', async (ctx) => {
      const c = await rt.start('child', { vars: { n: 21 }, parentRunId: ctx.run.run_id, runId: await rt.childRunId(ctx) });
      await rt.tick(c.run_id);
      const key = `subworkflow:${c.run_id}`;
      return { status: 'waiting', wait: { reason: 'subworkflow', wait_key: key, until: null, resume_to_node: ctx.nextNode, result_key: 'sub', prompt: null, choices: null, allow_free_text: true, details: { sub_run_id: c.run_id } } };
    }, { external: false });
    const p = await rt.start('racer');
    await rt.tick(p.run_id);
    // No runner repair scan here: without the resume in the wait's commit the parent would still be waiting.
    expect((await h.run(p.run_id)).status).toBe('running');
    await h.settle();
    expect((await h.run(p.run_id)).output!.sub.output).toEqual({ doubled: 42 });
  });

  test('a child start the store refuses stops the parent\'s tick; the parent is not failed and completes on the next tick', async () => {
    // Commit #1 starts the parent; #2 is the child's start, inside the parent's tick (the injected store failure).
    const store = await openStore({ fault: 'precommit:2:throw' });
    const rt = new Runtime(store, new StaticWorkflows([child, parent()]));
    try {
      const p = await rt.start('parent');
      await expect(rt.tick(p.run_id)).rejects.toThrow(/injected fault at precommit#2/);
      expect(await store.runs.children(p.run_id)).toEqual([]);
      const after = (await store.runs.get(p.run_id))!;
      expect({ status: after.status, error: after.error }).toEqual({ status: 'running', error: null });
      const done = await rt.tick(p.run_id);
      expect(done.status).toBe('completed');
      expect(done.output!.sub.output).toEqual({ doubled: 42 });
    } finally {
      await store.close();
    }
  });

  // A tick gated by `gate` (registered non-external on the runtime) until `release()`; `entered` once it waits there.
  function gated(rt: Runtime) {
    let release!: () => void;
    let entered!: () => void;
    const open = new Promise<void>((r) => { release = r; });
    const reached = new Promise<void>((r) => { entered = r; });
    rt.registerEffect('gate', async () => {
      entered();
      await open;
      return { status: 'completed', result: {} };
    }, { external: false });
    return { release, reached };
  }
  /** Starts `parent` on `rt`, claims it for `owner` and ticks it with that claim until the tick waits at the gate. */
  async function claimedTickAtGate(store: Store, rt: Runtime, g: ReturnType<typeof gated>, owner: string) {
    const p = await rt.start('parent');
    const now = Date.now();
    expect(await store.claims.claimRun(owner, p.run_id, now, now + 60_000)).toBe(true);
    const tick = rt.tick(p.run_id, 10, owner);
    await g.reached;
    return { p, now, tick };
  }
  const asker = graphWorkflow('asker', 'ask', {
    ask: () => ({ effect: { type: 'ask_user', payload: { prompt: 'ok?' }, result_key: 'a' }, next_node: 'd' }),
    d: (run) => ({ complete_output: { a: run.vars.a } }),
  });

  if (backendName === 'postgres') test('a stalled tick whose run a successor moved on starts no second child', async () => {
    const store = await openStore();
    const wf = graphWorkflow('parent', 'g', {
      g: () => ({ effect: { type: 'gate', payload: {}, result_key: null }, next_node: 's' }),
      s: () => ({ effect: { type: 'start_subworkflow', payload: { workflow_id: 'asker' }, result_key: 'sub' }, next_node: 'd' }),
      d: (run) => ({ complete_output: { sub: run.vars.sub } }),
    });
    const stale = new Runtime(store, new StaticWorkflows([asker, wf]));
    const successor = new Runtime(store, new StaticWorkflows([asker, wf]));
    successor.registerEffect('gate', () => ({ status: 'completed', result: {} }), { external: false });
    const g = gated(stale);
    try {
      const { p, now, tick } = await claimedTickAtGate(store, stale, g, 'stale');
      // The successor sees the stale claim as lapsed (its clock is past the lease), takes the run over and moves
      // it on: its child waits for an answer, the parent waits on the child (an ended record of the effect).
      expect(await store.claims.claimRun('successor', p.run_id, now + 120_000, now + 180_000)).toBe(true);
      const moved = await successor.tick(p.run_id, 10, 'successor');
      expect(moved.status).toBe('waiting');
      const [kid] = await store.runs.children(p.run_id);
      expect(moved.waiting?.wait_key).toBe(`subworkflow:${kid!.run_id}`);
      // The stale tick goes on: it would count the successor's record, derive a new id and start a second child.
      g.release();
      await expect(tick).rejects.toThrow(/claim expired and another runner took the run over/);
      expect((await store.runs.children(p.run_id)).map((r) => r.run_id)).toEqual([kid!.run_id]);
      expect((await store.runs.get(p.run_id))!.waiting?.wait_key).toBe(`subworkflow:${kid!.run_id}`);
    } finally {
      await store.close();
    }
  });

  if (backendName === 'postgres') test('a child ticked inline whose claim was taken over stops its parent\'s tick instead of failing the parent', async () => {
    const store = await openStore();
    const slow = graphWorkflow('child', 'g', {
      g: () => ({ effect: { type: 'gate', payload: {}, result_key: null }, next_node: 'd' }),
      d: () => ({ complete_output: { ok: true } }),
    });
    const rt = new Runtime(store, new StaticWorkflows([slow, parent()]));
    const g = gated(rt);
    try {
      const { p, now, tick } = await claimedTickAtGate(store, rt, g, 'first');
      const [kid] = await store.runs.children(p.run_id);
      expect(await store.claims.claimRun('other', kid!.run_id, now + 120_000, now + 180_000)).toBe(true);
      g.release();
      await expect(tick).rejects.toThrow(/claim expired and another runner took the run over/);
      const [after, child] = [await store.runs.get(p.run_id), await store.runs.get(kid!.run_id)];
      expect({ status: after!.status, error: after!.error }).toEqual({ status: 'running', error: null });
      expect(child!.status).toBe('running');
    } finally {
      await store.close();
    }
  });

  // Claims are wall-clock leases renewed by the runner: this one waits out four claim periods for real.
  if (backendName === 'postgres') test('a sync child whose effect outlives the claim period completes, and so does its parent', async () => {
    const store = await openStore();
    const slow = graphWorkflow('child', 'w', {
      w: () => ({ effect: { type: 'slow', payload: {}, result_key: 'r' }, next_node: 'd' }),
      d: (run) => ({ complete_output: { doubled: run.vars.n * 2 } }),
    });
    const rt = new Runtime(store, new StaticWorkflows([slow, parent()]), { claimMs: 300 });
    rt.registerEffect('slow', async () => {
      await Bun.sleep(1_200);
      return { status: 'completed', result: {} };
    });
    // A long poll: nothing but the claim renewal keeps the claims alive while the effect runs.
    const runner = new Runner(store, rt, { pollMs: 5_000, commandBatchLimit: 100, tickMaxSteps: 100, runScanLimit: 100 });
    try {
      const p = await rt.start('parent');
      expect(await runner.start()).toBe(true);
      await runner.idle();
      const cur = (await store.runs.get(p.run_id))!;
      expect({ status: cur.status, error: cur.error }).toEqual({ status: 'completed', error: null });
      expect(cur.output!.sub.output).toEqual({ doubled: 42 });
    } finally {
      await runner.stop();
      await store.close();
    }
  });
});
