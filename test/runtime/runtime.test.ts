import { afterEach, describe, expect, test } from 'bun:test';
import { graphWorkflow } from '../../src/runtime/graph.ts';
import type { Workflow } from '../../src/runtime/types.ts';
import { isoFromMs } from '../../src/util/time.ts';
import { createHarness, openHarness, type Harness } from '../support/harness.ts';
import { forEachBackend } from '../support/backends.ts';
import { ManualClock } from '../support/clock.ts';
import type { Store } from '../../src/store/index.ts';

let h: Harness<Store>;
afterEach(() => h?.close());

const askFlow = graphWorkflow('ask', 'ask', {
  ask: () => ({ effect: { type: 'ask_user', payload: { prompt: 'Name?', choices: ['a', 'b'] }, result_key: 'answer' }, next_node: 'done' }),
  done: (run) => ({ complete_output: { answer: run.vars.answer } }),
});

// Every test below runs on both backends; the tampering test needs SQLite's raw file (it stays SQLite-only).
forEachBackend(() => {
  describe('tick and completion', () => {
    test('complete_output appends a completion record then abstract.status last', async () => {
      h = await openHarness({ workflows: [graphWorkflow('w', 'a', { a: () => ({ next_node: 'b' }), b: () => ({ complete_output: { ok: 1 } }) })] });
      const run = await h.runtime.start('w', { vars: { x: 1 } });
      expect(run.session_id).toBe(run.run_id);
      expect(run.vars._limits.max_iterations).toBe(25);
      const done = await h.runToEnd(run.run_id);
      expect(done.status).toBe('completed');
      expect(done.output).toEqual({ ok: 1 });
      const led = await h.ledger(run.run_id);
      expect(led.map((r) => r.status)).toEqual(['completed', 'completed']);
      expect(led[0]!.result).toEqual({ completed: true, output: { ok: 1 } });
      expect(led[1]!.effect?.payload.name).toBe('abstract.status');
      expect(led[1]!.idempotency_key).toBe('system:terminal_status:completed');
      expect((await h.store.ledger.verify(run.run_id)).ok).toBe(true);
    });

    test('ask_user waits with the spec wait key; resume writes result_key and a resume marker', async () => {
      h = await openHarness({ workflows: [askFlow] });
      const run = await h.runtime.start('ask');
      const waiting = await h.runToEnd(run.run_id);
      expect(waiting.status).toBe('waiting');
      expect(waiting.waiting).toMatchObject({ reason: 'user', wait_key: `user:${run.run_id}:ask`, prompt: 'Name?', choices: ['a', 'b'], resume_to_node: 'done', result_key: 'answer' });
      const led = await h.ledger(run.run_id);
      expect(led.map((r) => r.status)).toEqual(['started', 'waiting']);
      expect(led[0]!.step_id).toBe(led[1]!.step_id);
      await expect(h.runtime.resume(run.run_id, { response: 'x' }, 'user:wrong')).rejects.toThrow(/wait_key mismatch/);
      const done = await h.answer(run.run_id, { response: 'alice' }, `user:${run.run_id}:ask`);
      expect(done.status).toBe('completed');
      expect(done.output).toEqual({ answer: { response: 'alice' } });
      const resume = (await h.ledger(run.run_id))[2]!;
      expect(resume.effect).toMatchObject({ type: 'resume', payload: { wait_reason: 'user', payload: { response: 'alice' } } });
      expect(resume.result).toEqual({ resumed: true });
    });

    test('terminal wait completes on resume with success/result and a via:resume record', async () => {
      h = await openHarness({ workflows: [graphWorkflow('t', 'ask', { ask: () => ({ effect: { type: 'ask_user', payload: { prompt: 'p' }, result_key: null } }) })] });
      const run = await h.runtime.start('t');
      await h.runToEnd(run.run_id);
      const done = await h.runtime.resume(run.run_id, { ok: true });
      expect(done.status).toBe('completed');
      expect(done.output).toEqual({ success: true, result: { ok: true } });
      const led = await h.ledger(run.run_id);
      expect(led.at(-2)!.result).toMatchObject({ completed: true, via: 'resume' });
      expect(led.at(-1)!.effect?.payload.payload).toEqual({ text: 'completed' });
    });

    test('a node that throws fails the run with a tick_exception record', async () => {
      h = await openHarness({ workflows: [graphWorkflow('boom', 'a', { a: () => { throw new Error('kaput'); } })] });
      const run = await h.runtime.start('boom');
      const r = await h.runToEnd(run.run_id);
      expect(r.status).toBe('failed');
      expect(r.error).toBe('Error: kaput');
      const led = await h.ledger(run.run_id);
      expect(led[0]!.idempotency_key).toBe(`system:tick_exception:${run.run_id}`);
      expect(led[1]!.idempotency_key).toBe('system:terminal_status:failed');
    });

    test('unknown effect type fails the run with the spec message', async () => {
      h = await openHarness({ workflows: [graphWorkflow('u', 'a', { a: () => ({ effect: { type: 'nope', payload: {}, result_key: null }, next_node: 'a' }) })] });
      const run = await h.runtime.start('u');
      const r = await h.runToEnd(run.run_id);
      expect(r.status).toBe('failed');
      expect(r.error).toBe('No effect handler registered for nope');
    });

    test('terminal effect node completes with {success, result}', async () => {
      h = await openHarness({ workflows: [graphWorkflow('au', 'a', { a: () => ({ effect: { type: 'answer_user', payload: { message: 'hi', level: 'warn' }, result_key: 'r' } }) })] });
      const run = await h.runtime.start('au');
      const r = await h.runToEnd(run.run_id);
      expect(r.output).toEqual({ success: true, result: { message: 'hi', level: 'warning' } });
      expect(r.vars.r).toEqual({ message: 'hi', level: 'warning' });
    });
  });

  describe('idempotent effects', () => {
    test('a completed effect is never re-executed after a restart at that node', async () => {
      let calls = 0;
      const wf = graphWorkflow('ext', 'a', {
        a: () => ({ effect: { type: 'side', payload: { n: 1 }, result_key: 'out' }, next_node: 'b' }),
        b: (run) => ({ complete_output: { out: run.vars.out } }),
      });
      h = await openHarness({ workflows: [wf] });
      h.runtime.registerEffect('side', () => ({ status: 'completed', result: { calls: ++calls } }));
      const run = await h.runtime.start('ext');
      await h.runToEnd(run.run_id);
      // Simulate a crash between effect completion and the checkpoint: put the run back at node a.
      const r = await h.run(run.run_id);
      await h.store.tx(() => h.store.runs.save({ ...r, status: 'running', current_node: 'a', output: null }));
      const again = await h.runToEnd(run.run_id);
      expect(calls).toBe(1);
      expect(again.output).toEqual({ out: { calls: 1 } });
    });

    test('an external effect is checkpointed as started before it runs', async () => {
      let seen = -1;
      const wf = graphWorkflow('ck', 'a', { a: () => ({ effect: { type: 'ext', payload: {}, result_key: null }, next_node: null }) });
      h = await openHarness({ workflows: [wf] });
      h.runtime.registerEffect('ext', async (ctx) => {
        seen = await h.store.ledger.count(ctx.run.run_id);
        return { status: 'completed', result: {} };
      });
      const run = await h.runtime.start('ck');
      await h.runToEnd(run.run_id);
      expect(seen).toBe(1);
    });
  });

  describe('time waits', () => {
    test('wait_until in the past completes immediately; in the future waits then wakes', async () => {
      let until = '';
      const wf = graphWorkflow('wu', 'w', {
        w: () => ({ effect: { type: 'wait_until', payload: { until }, result_key: null }, next_node: 'd' }),
        d: () => ({ complete_output: { woke: true } }),
      });
      const clock = new ManualClock();
      h = await openHarness({ workflows: [wf], clock });
      until = isoFromMs(clock.now() + 150);
      const run = await h.runtime.start('wu');
      const w = await h.runToEnd(run.run_id);
      expect(w.status).toBe('waiting');
      expect(w.waiting?.until).toBe(until);
      expect(await h.store.runs.listDueUntil(until, 10)).toEqual([run.run_id]);
      clock.advance(200);
      const done = await h.runToEnd(run.run_id);
      expect(done.status).toBe('completed');
    });
  });

  describe('pause / resume / cancel', () => {
    const loop = graphWorkflow('loop', 'a', { a: () => ({ next_node: 'a' }) });

    test('pause a running run → pause wait; resume_run releases it; resume() refuses while paused', async () => {
      h = await openHarness({ workflows: [loop, askFlow] });
      const run = await h.runtime.start('loop');
      await h.runtime.pause(run.run_id, 'ops');
      const p = await h.run(run.run_id);
      expect(p.status).toBe('waiting');
      expect(p.waiting).toMatchObject({ wait_key: `pause:${run.run_id}`, prompt: 'Paused', details: { kind: 'pause' } });
      expect(p.vars._runtime.control).toMatchObject({ paused: true, pause_reason: 'ops' });
      expect((await h.runtime.tick(run.run_id)).status).toBe('waiting');
      await expect(h.runtime.resume(run.run_id, {})).rejects.toThrow('Run is paused');
      await h.runtime.resumeRun(run.run_id);
      const r = await h.run(run.run_id);
      expect(r.status).toBe('running');
      expect(r.vars._runtime.control.paused).toBeUndefined();
      expect(r.vars._runtime.control.resumed_at).toBeString();
    });

    test('pausing a real ask_user wait is a no-op', async () => {
      h = await openHarness({ workflows: [askFlow] });
      const run = await h.runtime.start('ask');
      await h.runToEnd(run.run_id);
      await h.runtime.pause(run.run_id);
      expect((await h.run(run.run_id)).vars._runtime.control).toBeUndefined();
    });

    test('cancel a tree: parent and async child', async () => {
      const parent = graphWorkflow('parent', 's', {
        s: () => ({ effect: { type: 'start_subworkflow', payload: { workflow_id: 'loop', async: true, wait: true }, result_key: 'sub' }, next_node: 'd' }),
        d: () => ({ complete_output: {} }),
      });
      h = await openHarness({ workflows: [loop, parent] });
      const run = await h.runtime.start('parent');
      await h.runtime.tick(run.run_id);
      const p = await h.run(run.run_id);
      expect(p.waiting?.reason).toBe('subworkflow');
      const childId = p.waiting!.details!.sub_run_id as string;
      expect((await h.run(childId)).parent_run_id).toBe(run.run_id);
      const ids = await h.runtime.tree(run.run_id);
      expect(ids).toEqual([run.run_id, childId]);
      for (const id of ids) await h.runtime.cancel(id, 'stop');
      expect((await h.run(run.run_id)).status).toBe('cancelled');
      expect((await h.run(childId)).status).toBe('cancelled');
      expect((await h.run(childId)).error).toBe('stop');
    });
  });

  describe('subworkflows', () => {
    const child = graphWorkflow('child', 'c', { c: (run) => ({ complete_output: { doubled: run.vars.n * 2 } }) });
    const askChild = graphWorkflow('askchild', 'q', {
      q: () => ({ effect: { type: 'ask_user', payload: { prompt: 'q?' }, result_key: 'a' }, next_node: 'e' }),
      e: (run) => ({ complete_output: { a: run.vars.a } }),
    });
    const parentOf = (target: string, extra = {}): Workflow =>
      graphWorkflow(`p-${target}`, 's', {
        s: () => ({ effect: { type: 'start_subworkflow', payload: { workflow_id: target, vars: { n: 21 }, ...extra }, result_key: 'sub' }, next_node: 'd' }),
        d: (run) => ({ complete_output: { sub: run.vars.sub } }),
      });

    test('sync child completes inline', async () => {
      h = await openHarness({ workflows: [child, parentOf('child')] });
      const run = await h.runtime.start('p-child');
      const r = await h.runToEnd(run.run_id);
      expect(r.output!.sub.output).toEqual({ doubled: 42 });
    });

    test('sync child that waits parks the parent; answering the child resumes the parent', async () => {
      h = await openHarness({ workflows: [askChild, parentOf('askchild')] });
      const run = await h.runtime.start('p-askchild');
      const p = await h.runToEnd(run.run_id);
      expect(p.waiting).toMatchObject({ reason: 'subworkflow' });
      const childId = p.waiting!.details!.sub_run_id as string;
      expect(p.waiting!.details!.sub_waiting).toEqual({ reason: 'user', wait_key: `user:${childId}:q` });
      await h.answer(childId, { response: 'yes' });
      const done = await h.run(run.run_id);
      expect(done.status).toBe('completed');
      expect(done.output!.sub).toEqual({ sub_run_id: childId, output: { a: { response: 'yes' } } });
    });

    test('unknown workflow fails the parent with the spec message', async () => {
      h = await openHarness({ workflows: [parentOf('ghost')] });
      const run = await h.runtime.start('p-ghost');
      const r = await h.runToEnd(run.run_id);
      expect(r.status).toBe('failed');
      expect(r.error).toBe("Workflow 'ghost' not found in registry");
    });

    test('failed async child is reported to the waiting parent', async () => {
      const bad = graphWorkflow('bad', 'x', { x: () => { throw new Error('nope'); } });
      h = await openHarness({ workflows: [bad, parentOf('bad', { async: true, wait: true })] });
      const run = await h.runtime.start('p-bad');
      await h.settle();
      const r = await h.run(run.run_id);
      expect(r.status).toBe('completed');
      expect(r.output!.sub.output).toMatchObject({ success: false, error: 'Error: nope' });
    });
  });

  describe('events', () => {
    const listener = (id: string, name: string) =>
      graphWorkflow(id, 'w', {
        w: () => ({ effect: { type: 'wait_event', payload: { name }, result_key: 'evt' }, next_node: 'h' }),
        h: (run) => ({ complete_output: { got: run.vars.evt } }),
      });
    const emitter = graphWorkflow('emitter', 'e', {
      e: () => ({ effect: { type: 'emit_event', payload: { name: 'ping', payload: { n: 1 }, event_id: 'e1', session_id: 'S1' }, result_key: 'r' }, next_node: 'd' }),
      d: (run) => ({ complete_output: { r: run.vars.r } }),
    });

    test('emit delivers to named and wildcard listeners in the session, not other sessions', async () => {
      h = await openHarness({ workflows: [listener('l1', 'ping'), listener('l2', '*'), emitter] });
      const a = await h.runtime.start('l1', { sessionId: 'S1' });
      const b = await h.runtime.start('l2', { sessionId: 'S1' });
      const c = await h.runtime.start('l1', { sessionId: 'S2' });
      for (const r of [a, b, c]) await h.runToEnd(r.run_id);
      expect((await h.run(a.run_id)).waiting?.wait_key).toBe('evt:session:S1:ping');
      const em = await h.runtime.start('emitter', { sessionId: 'S1' });
      const out = await h.runToEnd(em.run_id);
      expect(out.output!.r.delivered).toBe(2);
      expect(new Set(out.output!.r.delivered_to)).toEqual(new Set([a.run_id, b.run_id]));
      await h.settle();
      const got = (await h.run(a.run_id)).output!.got;
      expect(got).toMatchObject({ event_id: 'e1', name: 'ping', scope: 'session', session_id: 'S1', payload: { n: 1 } });
      expect(got.emitter).toEqual({ run_id: em.run_id, workflow_id: 'emitter', node_id: 'e' });
      expect((await h.run(c.run_id)).status).toBe('waiting');
    });
  });

  describe('listeners', () => {
    test('are parked before their root runs, so an event the root emits at once is not missed', async () => {
      const listener = graphWorkflow('lst', 'w', {
        w: () => ({ effect: { type: 'wait_event', payload: { name: 'ping' }, result_key: 'evt' }, next_node: 'd' }),
        d: (run) => ({ complete_output: { got: run.vars.evt.payload } }),
      });
      const root = graphWorkflow('root', 'e', {
        e: () => ({ effect: { type: 'emit_event', payload: { name: 'ping', payload: { hi: 1 } }, result_key: 'r' }, next_node: 'd' }),
        d: (run) => ({ complete_output: { delivered: run.vars.r.delivered } }),
      }, ['lst']);
      h = await openHarness({ workflows: [listener, root] });
      const run = await h.runtime.start('root', { sessionId: 'S' });
      const [child] = await h.store.runs.children(run.run_id);
      expect(child!.workflow_id).toBe('lst');
      expect(child!.session_id).toBe('S');
      const done = await h.runToEnd(run.run_id);
      expect(done.output).toEqual({ delivered: 1 });
      await h.settle();
      expect((await h.run(child!.run_id)).output).toEqual({ got: { hi: 1 } });
    });
  });
});

describe('hash chain [sqlite]', () => {
  test('tampering with a stored record is detected at its seq', async () => {
    const hs = createHarness({ workflows: [askFlow] });
    h = hs;
    const run = await h.runtime.start('ask');
    await h.runToEnd(run.run_id);
    await h.answer(run.run_id, { response: 'bob' });
    expect(await h.store.ledger.verify(run.run_id)).toMatchObject({ ok: true, count: 5 });
    hs.store.db.query(`UPDATE ledger SET record_json = replace(record_json, 'bob', 'eve') WHERE run_id = ? AND seq = 3`).run(run.run_id);
    const rep = await h.store.ledger.verify(run.run_id);
    expect(rep.ok).toBe(false);
    expect(rep.first_bad_seq).toBe(3);
    expect(rep.errors[0]!.type).toBe('record_hash_mismatch');
  });
});

