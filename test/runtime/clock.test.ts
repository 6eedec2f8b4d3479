// Time is the runtime's clock: `until` waits come due when the clock says so, a paused run stays put once its
// wait is due, and resuming it lets the due wait fire. No real waiting: a manual clock.
import { afterEach, describe, expect, test } from 'bun:test';
import { isPaused } from '../../src/model/index.ts';
import { graphWorkflow, StaticWorkflows } from '../../src/runtime/graph.ts';
import { Runner } from '../../src/runtime/runner.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { SqliteStore } from '../../src/store/index.ts';
import { isoFromMs } from '../../src/util/time.ts';
import { eventually, ManualClock } from '../support/clock.ts';

let store: SqliteStore;
let runner: Runner | null = null;
afterEach(async () => { await runner?.stop(); runner = null; await store?.close(); });

async function setup() {
  store = SqliteStore.open(':memory:');
  const clock = new ManualClock(Date.UTC(2030, 0, 1));
  const nap = graphWorkflow('nap', 'w', {
    w: () => ({ effect: { type: 'wait_until', payload: { until: isoFromMs(clock.now() + 60_000) }, result_key: null }, next_node: 'd' }),
    d: () => ({ complete_output: { woke: true } }),
  });
  const rt = new Runtime(store, new StaticWorkflows([nap]), { clock });
  runner = new Runner(store, rt, { pollMs: 10, commandBatchLimit: 100, tickMaxSteps: 100, runScanLimit: 100 });
  await runner.start();
  return { rt, clock, runner };
}

describe('the runtime clock', () => {
  test('an until wait fires when the clock reaches it, not before', async () => {
    const { rt, clock, runner } = await setup();
    const run = await rt.start('nap');
    await eventually(async () => (await store.runs.get(run.run_id))!.status === 'waiting');
    expect((await store.runs.get(run.run_id))!.waiting!.until).toBe('2030-01-01T00:01:00.000000+00:00');
    clock.advance(59_999);
    runner.wake();
    await runner.idle();
    expect((await store.runs.get(run.run_id))!.status).toBe('waiting');
    clock.advance(1);
    runner.wake();
    await eventually(async () => (await store.runs.get(run.run_id))!.status === 'completed');
    expect((await store.runs.get(run.run_id))!.output).toEqual({ woke: true });
    expect((await store.runs.get(run.run_id))!.updated_at.startsWith('2030-01-01T00:01:00')).toBe(true);
  });

  test('a paused run does not move once its wait is due; resumed, the due wait fires', async () => {
    const { rt, clock, runner } = await setup();
    const run = await rt.start('nap');
    await eventually(async () => (await store.runs.get(run.run_id))!.status === 'waiting');
    await rt.pause(run.run_id, 'lunch');
    const ledgerLen = await store.ledger.count(run.run_id);
    clock.advance(120_000);
    runner.wake();
    await runner.idle();
    const paused = (await store.runs.get(run.run_id))!;
    expect([paused.status, isPaused(paused), await store.ledger.count(run.run_id)]).toEqual(['waiting', true, ledgerLen]);
    await rt.resumeRun(run.run_id);
    runner.wake();
    await eventually(async () => (await store.runs.get(run.run_id))!.status === 'completed');
  });
});
