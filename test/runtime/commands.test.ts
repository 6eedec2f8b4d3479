// Inbox commands applied by the runtime: payloads validated at the edge (camelCase aliases accepted, bad
// payloads rejected with a reason), feature command types registered per runtime instance.
import { afterEach, describe, expect, test } from 'bun:test';
import { applyCommand } from '../../src/runtime/commands.ts';
import { graphWorkflow } from '../../src/runtime/graph.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { installSchedules } from '../../src/features/schedules.ts';
import { installMemory } from '../../src/features/memory.ts';
import { isPaused } from '../../src/model/index.ts';
import { openHarness, type Harness } from '../support/harness.ts';
import { forEachBackend } from '../support/backends.ts';
import type { Store } from '../../src/store/index.ts';

let h: Harness<Store>;
afterEach(() => h?.close());

const askFlow = graphWorkflow('ask', 'ask', {
  ask: () => ({ effect: { type: 'ask_user', payload: { prompt: 'Name?' }, result_key: 'answer' }, next_node: 'done' }),
  done: (run) => ({ complete_output: { answer: run.vars.answer } }),
});

let n = 0;
async function send(runId: string, type: string, payload: unknown) {
  const seq = (await h.store.commands.append({ command_id: `c${++n}`, run_id: runId, type, payload: payload as never })).seq;
  return applyCommand(h.runtime, (await h.store.commands.listAfter(seq - 1, 1))[0]!);
}

forEachBackend((backendName) => {
  describe('command payloads', () => {
    test('resume with a payload answers the wait; waitKey is an alias of wait_key', async () => {
      h = await openHarness({ workflows: [askFlow] });
      const run = await h.runtime.start('ask');
      const waiting = await h.runToEnd(run.run_id);
      expect(await send(run.run_id, 'resume', { payload: { x: 1 }, waitKey: 'other' })).toEqual({
        status: 'rejected', reason: `wait_key mismatch: expected '${waiting.waiting!.wait_key}', got 'other'`,
      });
      expect(await send(run.run_id, 'resume', { payload: { x: 1 }, waitKey: waiting.waiting!.wait_key })).toEqual({ status: 'applied', reason: null });
      expect((await h.runToEnd(run.run_id)).output).toEqual({ answer: { x: 1 } });
    });

    test('bad payloads are rejected with the reason, never thrown', async () => {
      h = await openHarness({ workflows: [askFlow] });
      const run = await h.runtime.start('ask');
      await h.runToEnd(run.run_id);
      expect(await send(run.run_id, 'resume', { payload: [1] })).toEqual({ status: 'rejected', reason: 'resume payload.payload must be an object' });
      expect(await send(run.run_id, 'resume', { payload: null })).toEqual({ status: 'rejected', reason: 'resume payload.payload must be an object' });
      expect(await send(run.run_id, 'emit_event', { name: '  ' })).toEqual({ status: 'rejected', reason: 'emit_event requires payload.name' });
      expect(await send(run.run_id, 'emit_event', { name: 7 })).toEqual({ status: 'rejected', reason: 'emit_event requires payload.name' });
      expect(await send(run.run_id, 'emit_event', { name: 'x', scope: 'galaxy' })).toEqual({ status: 'rejected', reason: "unknown event scope: 'galaxy'" });
      expect(await send('ghost', 'pause', {})).toEqual({ status: 'rejected', reason: "Run 'ghost' not found" });
      expect(await send(run.run_id, 'nope', {})).toEqual({ status: 'rejected', reason: "Unknown command type 'nope'" });
    });

    test('pause takes a string reason only; a non-object payload reads as {}', async () => {
      h = await openHarness({ workflows: [askFlow] });
      const run = await h.runtime.start('ask');
      expect((await send(run.run_id, 'pause', { reason: 42 }))?.status).toBe('applied');
      expect(isPaused(await h.run(run.run_id))).toBe(true);
      expect((await h.run(run.run_id)).vars._runtime.control.pause_reason).toBeUndefined();
      expect((await send(run.run_id, 'resume', 'not an object'))?.status).toBe('applied');
      expect(isPaused(await h.run(run.run_id))).toBe(false);
    });
  });

  describe('feature commands are registered per runtime instance', () => {
    test('a runtime without schedules or memory rejects their commands though another runtime installed them', async () => {
      h = await openHarness({ workflows: [askFlow] });
      const other = new Runtime(h.store, h.workflows);
      installSchedules(other);
      installMemory(other);
      const run = await h.runtime.start('ask');
      expect(await send(run.run_id, 'update_schedule', { interval: '1s' })).toEqual({
        status: 'rejected', reason: "Command type 'update_schedule' is not supported by this gateway yet",
      });
      expect(await send(run.run_id, 'compact_memory', {})).toEqual({
        status: 'rejected', reason: "Command type 'compact_memory' is not supported by this gateway yet",
      });
      // the runtime that has them validates the payload
      const seq = (await h.store.commands.append({ command_id: 'x1', run_id: run.run_id, type: 'compact_memory', payload: { preserveRecent: -1 } })).seq;
      expect(await applyCommand(other, (await h.store.commands.listAfter(seq - 1, 1))[0]!)).toEqual({
        status: 'rejected', reason: 'preserve_recent must be an integer >= 0',
      });
    });
  });
});
