import { afterEach, describe, expect, test } from 'bun:test';
import { graphWorkflow, StaticWorkflows } from '../../src/runtime/graph.ts';
import { Runner } from '../../src/runtime/runner.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { installSchedules, nextFireAfter, ScheduledWorkflows, startScheduledRun, upcomingFires, validateSchedule } from '../../src/runtime/schedule.ts';
import { type ScheduleMeta } from '../../src/model/index.ts';
import { Store } from '../../src/store/index.ts';
import { isoFromMs } from '../../src/util/time.ts';

let store: Store;
let runner: Runner | null;
afterEach(async () => { await runner?.stop(); runner = null; store?.close(); });

const target = graphWorkflow('target', 'a', { a: (run) => ({ complete_output: { got: run.vars.x ?? null } }) });
const slow = graphWorkflow('slow', 'w', {
  w: () => ({ effect: { type: 'wait_until', payload: { until: isoFromMs(Date.now() + 400) }, result_key: null }, next_node: 'd' }),
  d: () => ({ complete_output: {} }),
});

function setup(): Runtime {
  store = Store.open(':memory:');
  let rt!: Runtime;
  rt = new Runtime(store, new StaticWorkflows([target, slow], [new ScheduledWorkflows(() => rt)]));
  installSchedules(rt);
  runner = new Runner(store, rt, { pollMs: 10, commandBatchLimit: 100, tickMaxSteps: 100, runScanLimit: 100 });
  runner.start();
  return rt;
}

async function until(cond: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('timeout'); await Bun.sleep(5); }
}

describe('validation', () => {
  test('spec messages', () => {
    const t = { target_workflow_id: 'x' };
    expect(() => validateSchedule({ ...t, repeat_count: 0 })).toThrow('repeat_count must be >= 1');
    expect(() => validateSchedule({ ...t, repeat_count: 2 })).toThrow('repeat_count > 1 requires interval');
    expect(() => validateSchedule({ ...t, interval: '1m', repeat_count: 2, repeat_until: '2030-01-01T00:00:00Z' })).toThrow('repeat_until cannot be combined with repeat_count');
    expect(() => validateSchedule({ ...t, repeat_until: '2030-01-01T00:00:00Z' })).toThrow('repeat_until requires interval');
    expect(() => validateSchedule({ ...t, interval: 'soon' })).toThrow(/Invalid interval/);
    expect(() => validateSchedule({ ...t, cron: 'not a cron' })).toThrow(/Invalid cron/);
    const now = Date.UTC(2030, 0, 1);
    expect(validateSchedule({ ...t, interval: '1h', repeat_until: '2030-01-01T05:30:00Z', start_at: '2030-01-01T00:00:00Z' }, now).repeat_count).toBe(6);
    expect(validateSchedule({ ...t, interval: '1h', repeat_count: 1 }).interval).toBeNull();
  });

  test('cron next fire times honour the time zone', () => {
    const s = { ...validateSchedule({ target_workflow_id: 'x', cron: '0 9 * * 1-5', timezone: 'Europe/Paris', start_at: '2030-01-01T00:00:00Z' }), executions: 0, skipped: 0, next_fire_at: null } as unknown as ScheduleMeta;
    // 2030-01-04 is a Friday; 09:00 Paris = 08:00 UTC in winter; next is Monday the 7th.
    expect(new Date(nextFireAfter(s, Date.UTC(2030, 0, 4, 8, 30))!).toISOString()).toBe('2030-01-07T08:00:00.000Z');
    expect(upcomingFires({ ...s, next_fire_at: '2030-01-04T08:00:00.000000+00:00' }, 2)).toEqual(['2030-01-04T08:00:00.000000+00:00', '2030-01-07T08:00:00.000000+00:00']);
  });

  test('fixed rate: a missed window fires once, then the next future slot', () => {
    const s = { ...validateSchedule({ target_workflow_id: 'x', interval: '10s', start_at: '2030-01-01T00:00:00Z' }), executions: 1, skipped: 0, next_fire_at: null } as unknown as ScheduleMeta;
    expect(nextFireAfter(s, Date.UTC(2030, 0, 1, 0, 5, 3))).toBe(Date.UTC(2030, 0, 1, 0, 5, 10));
  });
});

describe('scheduled runs', () => {
  test('repeat_count 2 with shared context: two children in the parent session, then the parent completes', async () => {
    const rt = setup();
    const parent = await startScheduledRun(rt, { target_workflow_id: 'target', input_data: { x: 7 }, interval: '0.1s', repeat_count: 2 });
    expect(parent.workflow_id.startsWith('scheduled:')).toBe(true);
    await until(() => store.runs.get(parent.run_id)!.status === 'completed');
    const kids = store.runs.children(parent.run_id);
    expect(kids.length).toBe(2);
    for (const k of kids) {
      expect(k.session_id).toBe(parent.run_id);
      expect(k.output).toEqual({ got: 7 });
    }
    expect(store.runs.get(parent.run_id)!.output).toEqual({ success: true, executions: 2, skipped: 0 });
  });

  test('share_context false gives each execution its own session', async () => {
    const rt = setup();
    const parent = await startScheduledRun(rt, { target_workflow_id: 'target', interval: '0.05s', repeat_count: 2, share_context: false });
    await until(() => store.runs.get(parent.run_id)!.status === 'completed');
    const sessions = store.runs.children(parent.run_id).map((k) => k.session_id);
    expect(new Set(sessions).size).toBe(2);
    expect(sessions).not.toContain(parent.run_id);
  });

  test('update_schedule sent to a child re-schedules the parent', async () => {
    const rt = setup();
    const parent = await startScheduledRun(rt, { target_workflow_id: 'target', interval: '10s', repeat_count: 2 });
    await until(() => store.runs.get(parent.run_id)!.current_node === 'wait_interval' && store.runs.get(parent.run_id)!.status === 'waiting');
    const p = store.runs.get(parent.run_id)!;
    expect(p.waiting!.reason).toBe('until');
    const child = store.runs.children(parent.run_id)[0]!;
    store.commands.append({ command_id: 'u1', run_id: child.run_id, type: 'update_schedule', payload: { interval: '0.1s', apply_immediately: true } });
    await until(() => store.runs.get(parent.run_id)!.status === 'completed', 3000);
    const done = store.runs.get(parent.run_id)!;
    expect(done.vars._meta.schedule.interval).toBe('0.1s');
    expect(done.vars._runtime.last_schedule_update).toMatchObject({ command_id: 'u1', interval: '0.1s', requested_run_id: child.run_id, scheduled_root_run_id: parent.run_id });
    store.commands.append({ command_id: 'u2', run_id: child.run_id, type: 'update_schedule', payload: { interval: 'nope' } });
    await until(() => store.commands.get('u2')!.status !== 'pending');
    expect(store.commands.get('u2')!.reason).toMatch(/Invalid interval/);
  });

  test('overlap skip: a fire is dropped while the previous execution still runs', async () => {
    const rt = setup();
    const parent = await startScheduledRun(rt, { target_workflow_id: 'slow', interval: '0.15s', repeat_count: 3 });
    await until(() => store.runs.get(parent.run_id)!.status === 'completed');
    const out = store.runs.get(parent.run_id)!.output!;
    expect(out.skipped).toBeGreaterThan(0);
    expect(out.executions + out.skipped).toBe(3);
    expect(store.runs.children(parent.run_id).length).toBe(out.executions);
  });

  test('overlap queue: every execution runs, one after the other', async () => {
    const rt = setup();
    const parent = await startScheduledRun(rt, { target_workflow_id: 'slow', interval: '0.1s', repeat_count: 2, overlap: 'queue' });
    await until(() => store.runs.get(parent.run_id)!.status === 'completed');
    const kids = store.runs.children(parent.run_id);
    expect(kids.length).toBe(2);
    expect(kids.every((k) => k.status === 'completed')).toBe(true);
    expect(kids[1]!.created_at >= kids[0]!.updated_at).toBe(true);
  });
});

describe('missed fires', () => {
  test('a runner that was down fires once on wake, not once per missed slot', async () => {
    const rt = setup();
    const parent = await startScheduledRun(rt, { target_workflow_id: 'target', interval: '0.3s', repeat_count: 100 });
    await until(() => store.runs.children(parent.run_id).length >= 1 && store.runs.get(parent.run_id)!.current_node === 'wait_interval');
    await runner!.stop();
    const before = store.runs.children(parent.run_id).length;
    await Bun.sleep(1600); // five slots missed
    runner = new Runner(store, rt, { pollMs: 10, commandBatchLimit: 100, tickMaxSteps: 100, runScanLimit: 100 });
    runner.start();
    await until(() => store.runs.children(parent.run_id).length > before);
    await Bun.sleep(100);
    const after = store.runs.children(parent.run_id).length;
    expect(after - before).toBeGreaterThanOrEqual(1);
    expect(after - before).toBeLessThanOrEqual(2); // catch-up would have fired five times at once
    const s = store.runs.get(parent.run_id)!.vars._meta.schedule;
    expect(s.next_fire_at > new Date(Date.now() - 50).toISOString().replace('Z', '')).toBe(true);
  });
});
