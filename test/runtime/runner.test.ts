import { afterEach, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { graphWorkflow } from '../../src/runtime/graph.ts';
import { Runner } from '../../src/runtime/runner.ts';
import { createHarness, openHarness, tempDir, type Harness } from '../support/harness.ts';
import { forEachBackend } from '../support/backends.ts';
import type { Store } from '../../src/store/index.ts';

let h: Harness<Store>;
let runner: Runner | null = null;
afterEach(async () => {
  await runner?.stop();
  runner = null;
  await h?.close();
});

const ask = graphWorkflow('ask', 'ask', {
  ask: () => ({ effect: { type: 'ask_user', payload: { prompt: 'Name?' }, result_key: 'answer' }, next_node: 'done' }),
  done: (run) => ({ complete_output: { answer: run.vars.answer } }),
});
const listen = graphWorkflow('listen', 'w', {
  w: () => ({ effect: { type: 'wait_event', payload: { name: 'go' }, result_key: 'evt' }, next_node: 'd' }),
  d: (run) => ({ complete_output: { evt: run.vars.evt } }),
});
const spin = graphWorkflow('spin', 'a', { a: () => ({ next_node: 'a' }) }); // never ends on its own

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting for condition');
    await Bun.sleep(2);
  }
}

forEachBackend((backendName) => {
  describe('runner', () => {
    test('ticks a new run at once and applies a resume command with payload', async () => {
      h = await openHarness({ workflows: [ask] });
      runner = h.runner({ pollMs: 5000 }); // a long poll: progress must come from in-process wake-ups
      expect(await runner.start()).toBe(true);
      const run = await h.runtime.start('ask');
      await until(async () => (await h.run(run.run_id)).status === 'waiting');
      const wrong = await h.store.commands.append({ command_id: 'c0', run_id: run.run_id, type: 'resume', payload: { wait_key: 'nope', payload: { response: 'x' } } });
      const ok = await h.store.commands.append({ command_id: 'c1', run_id: run.run_id, type: 'resume', payload: { payload: { response: 'alice' } } });
      await until(async () => (await h.run(run.run_id)).status === 'completed');
      expect((await h.run(run.run_id)).output).toEqual({ answer: { response: 'alice' } });
      expect(await h.store.commands.get('c0')).toMatchObject({ seq: wrong.seq, status: 'rejected' });
      expect((await h.store.commands.get('c0'))!.reason).toContain('wait_key mismatch');
      expect(await h.store.commands.get('c1')).toMatchObject({ seq: ok.seq, status: 'applied' });
      expect(await h.store.commands.cursor()).toBe(ok.seq);
    });

    test('pause, resume and cancel apply to the whole tree; unknown run is rejected', async () => {
      const parent = graphWorkflow('parent', 's', {
        s: () => ({ effect: { type: 'start_subworkflow', payload: { workflow_id: 'listen', async: true, wait: true }, result_key: 'sub' }, next_node: 'd' }),
        d: () => ({ complete_output: {} }),
      });
      h = await openHarness({ workflows: [listen, parent] });
      runner = h.runner();
      await runner.start();
      const run = await h.runtime.start('parent');
      await until(async () => (await h.runtime.tree(run.run_id)).length === 2 && (await h.run((await h.runtime.tree(run.run_id))[1]!)).status === 'waiting');
      const child = (await h.runtime.tree(run.run_id))[1]!;
      await h.store.commands.append({ command_id: 'p', run_id: run.run_id, type: 'pause', payload: { reason: 'ops' } });
      await until(async () => (await h.store.commands.get('p'))!.status === 'applied');
      expect((await h.run(child)).vars._runtime.control.paused).toBe(true);
      expect((await h.run(run.run_id)).vars._runtime.control.pause_reason).toBe('ops');
      await h.store.commands.append({ command_id: 'r', run_id: run.run_id, type: 'resume' });
      await until(async () => (await h.store.commands.get('r'))!.status === 'applied');
      expect((await h.run(child)).vars._runtime.control.paused).toBeUndefined();
      await h.store.commands.append({ command_id: 'x', run_id: run.run_id, type: 'cancel' });
      await until(async () => (await h.run(child)).status === 'cancelled');
      expect((await h.run(run.run_id)).status).toBe('cancelled');
      expect((await h.run(run.run_id)).error).toBe('Cancelled');
      await h.store.commands.append({ command_id: 'ghost', run_id: 'nope', type: 'pause' });
      await until(async () => (await h.store.commands.get('ghost'))!.status !== 'pending');
      expect(await h.store.commands.get('ghost')).toMatchObject({ status: 'rejected', reason: "Run 'nope' not found" });
    });

    test('emit_event command delivers to session listeners with an external emitter', async () => {
      h = await openHarness({ workflows: [listen] });
      runner = h.runner();
      await runner.start();
      const a = await h.runtime.start('listen', { sessionId: 'S' });
      await until(async () => (await h.run(a.run_id)).status === 'waiting');
      await h.store.commands.append({ command_id: 'e', run_id: 'S', type: 'emit_event', client_id: 'cli', payload: { name: 'go', payload: 5 } });
      await until(async () => (await h.run(a.run_id)).status === 'completed');
      expect((await h.run(a.run_id)).output!.evt).toMatchObject({ name: 'go', scope: 'session', session_id: 'S', payload: { value: 5 }, emitter: { source: 'external', client_id: 'cli' } });
      expect((await h.store.commands.get('e'))!.reason).toBe('delivered to 1 run(s)');
    });

    test('a run still running after its step budget is ticked again at once, not at the next poll', async () => {
      const steps = graphWorkflow('steps', 'a', {
        a: () => ({ next_node: 'b' }), b: () => ({ next_node: 'c' }), c: () => ({ next_node: 'd' }), d: () => ({ complete_output: { ok: true } }),
      });
      h = await openHarness({ workflows: [steps, ask] });
      runner = h.runner({ pollMs: 60_000, tickMaxSteps: 1 }); // four ticks; the poll would take a minute each
      await runner.start();
      const run = await h.runtime.start('steps');
      await until(async () => (await h.run(run.run_id)).status === 'completed');
      const other = await h.runtime.start('ask'); // after a tick that ended its run, the next start is still noticed
      await until(async () => (await h.run(other.run_id)).status === 'waiting');
    });

    test('a busy run does not starve others (bounded steps per tick, oldest first)', async () => {
      h = await openHarness({ workflows: [spin, ask] });
      runner = h.runner({ tickMaxSteps: 50 });
      await runner.start();
      for (let i = 0; i < 3; i++) await h.runtime.start('spin');
      const run = await h.runtime.start('ask');
      await until(async () => (await h.run(run.run_id)).status === 'waiting');
    });

    test('applies pending commands even behind the cursor (out-of-order commits), and never an applied one again', async () => {
      h = await openHarness({ workflows: [listen] });
      const run = await h.runtime.start('listen');
      await h.runToEnd(run.run_id);
      const late = await h.store.commands.append({ command_id: 'late', run_id: run.run_id, type: 'pause' });
      const done = await h.store.commands.append({ command_id: 'done', run_id: 'ghost', type: 'pause' });
      // Another API process committed `late` after the runner had moved past it; `done` already has its outcome.
      await h.store.commands.setOutcome(done.seq, 'rejected', 'earlier outcome');
      await h.store.commands.saveCursor(done.seq + 10);
      runner = h.runner();
      await runner.start();
      await until(async () => (await h.store.commands.get('late'))!.status !== 'pending');
      await runner.idle();
      expect(await h.store.commands.get('late')).toMatchObject({ status: 'applied', reason: null });
      expect(await h.store.commands.get('done')).toMatchObject({ status: 'rejected', reason: 'earlier outcome' });
      expect(await h.store.commands.cursor()).toBe(done.seq + 10);
      expect((await h.run(run.run_id)).vars._runtime.control.paused).toBe(true);
    });

    // SQLite's runner lease (PostgreSQL has many runners: test/cli/postgres-split.test.ts).
    if (backendName === 'sqlite') test('one active runner per database: a second waits; it takes over after stop', async () => {
      const dir = tempDir();
      h = createHarness({ workflows: [ask], path: join(dir.path, 'g.sqlite3') });
      const a = h.runner();
      const b = h.runner();
      expect(await a.start()).toBe(true);
      expect(await b.start()).toBe(false);
      await a.stop();
      expect(await b.start()).toBe(true);
      await b.stop();
      await h.close();
      dir.cleanup();
      h = createHarness();
    });
  });

  describe('events for paused listeners', () => {
    test('are held and delivered in order when the listener resumes (none lost)', async () => {
      const loopListener = graphWorkflow('ll', 'w', {
        w: () => ({ effect: { type: 'wait_event', payload: { name: 'tick' }, result_key: 'evt' }, next_node: 'h' }),
        h: (run) => {
          (run.vars.seen ??= []).push(run.vars.evt.payload.n);
          return { next_node: 'w' };
        },
      });
      h = await openHarness({ workflows: [loopListener] });
      runner = h.runner();
      await runner.start();
      const l = await h.runtime.start('ll', { sessionId: 'S' });
      await until(async () => (await h.run(l.run_id)).status === 'waiting');
      await h.store.commands.append({ command_id: 'p', run_id: l.run_id, type: 'pause' });
      for (let n = 1; n <= 3; n++) await h.store.commands.append({ command_id: `e${n}`, run_id: 'S', type: 'emit_event', payload: { name: 'tick', payload: { n } } });
      await until(async () => (await h.store.commands.get('e3'))!.status === 'applied');
      expect((await h.run(l.run_id)).vars.seen).toBeUndefined();
      await h.store.commands.append({ command_id: 'r', run_id: l.run_id, type: 'resume' });
      await until(async () => ((await h.run(l.run_id)).vars.seen ?? []).length === 3);
      expect((await h.run(l.run_id)).vars.seen).toEqual([1, 2, 3]);
      expect((await h.run(l.run_id)).vars._runtime.held_events).toBeUndefined();
    });
  });
});
