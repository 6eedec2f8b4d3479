import { afterEach, describe, expect, test } from 'bun:test';
import { graphWorkflow, StaticWorkflows } from '../../src/runtime/graph.ts';
import { Runner } from '../../src/runtime/runner.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { installSchedules, nextFireAfter, ScheduledWorkflows, startScheduledRun, upcomingFires, validateSchedule } from '../../src/features/schedules.ts';
import { type ScheduleMeta } from '../../src/model/index.ts';
import type { Store } from '../../src/store/index.ts';
import { forEachBackend, openStore } from '../support/backends.ts';
import { isoFromMs } from '../../src/util/time.ts';
import { eventually, ManualClock } from '../support/clock.ts';

let store: Store;
let runner: Runner | null;
let clock: ManualClock;
afterEach(async () => { await runner?.stop(); runner = null; await store?.close(); });

const target = graphWorkflow('target', 'a', { a: (run) => ({ complete_output: { got: run.vars.x ?? null } }) });
/** An execution that takes 400 ms of the clock's time. */
const slow = graphWorkflow('slow', 'w', {
  w: () => ({ effect: { type: 'wait_until', payload: { until: isoFromMs(clock.now() + 400) }, result_key: null }, next_node: 'd' }),
  d: () => ({ complete_output: {} }),
});

async function newRunner(rt: Runtime): Promise<Runner> {
  const r = new Runner(store, rt, { pollMs: 10, commandBatchLimit: 100, tickMaxSteps: 100, runScanLimit: 100 });
  await r.start();
  return r;
}

async function setup(): Promise<Runtime> {
  store = await openStore();
  clock = new ManualClock();
  let rt!: Runtime;
  rt = new Runtime(store, new StaticWorkflows([target, slow], [new ScheduledWorkflows(() => rt)]), { clock });
  installSchedules(rt);
  runner = await newRunner(rt);
  return rt;
}

/** Moves the clock forward and wakes the runner so it sees what came due. */
function advance(ms: number): void {
  clock.advance(ms);
  runner?.wake();
}

const parentOf = async (id: string) => (await store.runs.get(id))!;
/** The parent is parked until its next fire (or, with `node`, at that node). */
const parked = async (id: string, node = 'wait_interval') => {
  const p = await parentOf(id);
  return p.status === 'waiting' && p.current_node === node;
};
const until = (cond: () => boolean | Promise<boolean>) => eventually(cond);
/**
 * The parent has `n` executions and one of them is asleep on its `wait_until`: only then has it read the clock,
 * so advancing it afterwards cannot move the execution's deadline along (a runner slow to tick the child would).
 */
const executionAsleep = async (id: string, n: number) => {
  const kids = await store.runs.children(id);
  return kids.length === n && kids.some((k) => k.status === 'waiting' && k.waiting?.reason === 'until');
};

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

// The scheduler on both backends (on PostgreSQL the scheduled parent is claimed per tick: one fire per slot).
forEachBackend(() => {
  describe('scheduled runs', () => {
    test('repeat_count 2 with shared context: two children in the parent session, then the parent completes', async () => {
      const rt = await setup();
      const parent = await startScheduledRun(rt, { target_workflow_id: 'target', input_data: { x: 7 }, interval: '1m', repeat_count: 2 });
      expect(parent.workflow_id.startsWith('scheduled:')).toBe(true);
      // The first execution ends before the next slot (else the default overlap policy skips that fire).
      await until(async () => (await parked(parent.run_id)) && (await store.runs.children(parent.run_id)).filter((c) => c.status === 'completed').length === 1);
      advance(60_000);
      await until(async () => (await parentOf(parent.run_id)).status === 'completed');
      const kids = await store.runs.children(parent.run_id);
      expect(kids.length).toBe(2);
      for (const k of kids) {
        expect(k.session_id).toBe(parent.run_id);
        expect(k.output).toEqual({ got: 7 });
      }
      expect((await parentOf(parent.run_id)).output).toEqual({ success: true, executions: 2, skipped: 0 });
    });

    test('share_context false gives each execution its own session', async () => {
      const rt = await setup();
      const parent = await startScheduledRun(rt, { target_workflow_id: 'target', interval: '1m', repeat_count: 2, share_context: false });
      await until(() => parked(parent.run_id));
      // The first execution must have ended before the next slot, or the default overlap policy skips that fire.
      await until(async () => (await store.runs.children(parent.run_id)).every((c) => c.status === 'completed'));
      advance(60_000);
      await until(async () => (await parentOf(parent.run_id)).status === 'completed');
      const sessions = (await store.runs.children(parent.run_id)).map((k) => k.session_id);
      expect(new Set(sessions).size).toBe(2);
      expect(sessions).not.toContain(parent.run_id);
    });

    test('update_schedule sent to a child re-schedules the parent', async () => {
      const rt = await setup();
      const parent = await startScheduledRun(rt, { target_workflow_id: 'target', interval: '1h', repeat_count: 2 });
      await until(() => parked(parent.run_id));
      expect((await parentOf(parent.run_id)).waiting!.reason).toBe('until');
      const child = (await store.runs.children(parent.run_id))[0]!;
      await store.commands.append({ command_id: 'u1', run_id: child.run_id, type: 'update_schedule', payload: { interval: '10s', apply_immediately: true } });
      await until(async () => (await store.commands.get('u1'))!.status === 'applied');
      expect((await parentOf(parent.run_id)).waiting!.until).toBe(isoFromMs(clock.now() + 10_000));
      advance(10_000);
      await until(async () => (await parentOf(parent.run_id)).status === 'completed');
      const done = await parentOf(parent.run_id);
      expect(done.vars._meta.schedule.interval).toBe('10s');
      expect(done.vars._runtime.last_schedule_update).toMatchObject({ command_id: 'u1', interval: '10s', requested_run_id: child.run_id, scheduled_root_run_id: parent.run_id });
      await store.commands.append({ command_id: 'u2', run_id: child.run_id, type: 'update_schedule', payload: { interval: 'nope' } });
      await until(async () => (await store.commands.get('u2'))!.status !== 'pending');
      expect((await store.commands.get('u2'))!.reason).toMatch(/Invalid interval/);
    });

    test('overlap skip: a fire is dropped while the previous execution still runs', async () => {
      const rt = await setup();
      const parent = await startScheduledRun(rt, { target_workflow_id: 'slow', interval: '150ms', repeat_count: 3 });
      await until(async () => (await parked(parent.run_id)) && (await executionAsleep(parent.run_id, 1)));
      advance(150); // t=150: the first execution (until t=400) still runs → skipped
      await until(async () => (await parentOf(parent.run_id)).vars._meta.schedule.skipped === 1 && (await parked(parent.run_id)));
      advance(150); // t=300: skipped again; that was the last fire, so the parent joins the running execution
      await until(async () => (await parentOf(parent.run_id)).vars._meta.schedule.skipped === 2 && (await parentOf(parent.run_id)).waiting?.reason === 'subworkflow');
      advance(100); // t=400: the execution ends, then the parent
      await until(async () => (await parentOf(parent.run_id)).status === 'completed');
      expect((await parentOf(parent.run_id)).output).toEqual({ success: true, executions: 1, skipped: 2 });
      expect((await store.runs.children(parent.run_id)).length).toBe(1);
    });

    test('overlap queue: every execution runs, one after the other', async () => {
      const rt = await setup();
      const parent = await startScheduledRun(rt, { target_workflow_id: 'slow', interval: '100ms', repeat_count: 2, overlap: 'queue' });
      await until(async () => (await parked(parent.run_id)) && (await executionAsleep(parent.run_id, 1)));
      advance(100); // the second fire waits for the first execution
      await until(async () => (await parentOf(parent.run_id)).waiting?.reason === 'subworkflow');
      expect((await store.runs.children(parent.run_id)).length).toBe(1);
      advance(300); // t=400: the first ends; the second starts
      await until(async () => (await executionAsleep(parent.run_id, 2)) && (await parentOf(parent.run_id)).waiting?.reason === 'subworkflow');
      advance(400);
      await until(async () => (await parentOf(parent.run_id)).status === 'completed');
      const kids = await store.runs.children(parent.run_id);
      expect(kids.every((k) => k.status === 'completed')).toBe(true);
      expect(kids[1]!.created_at >= kids[0]!.updated_at).toBe(true);
      expect((await parentOf(parent.run_id)).output).toEqual({ success: true, executions: 2, skipped: 0 });
    });
  });

  describe('missed fires', () => {
    test('a runner that was down fires once on wake, then waits for the next future slot', async () => {
      const rt = await setup();
      const parent = await startScheduledRun(rt, { target_workflow_id: 'target', interval: '300ms', repeat_count: 100 });
      // The first execution has ended (else the default overlap policy would skip the catch-up fire).
      await until(async () => (await parked(parent.run_id)) && (await store.runs.children(parent.run_id)).filter((c) => c.status === 'completed').length === 1);
      await runner!.stop();
      advance(1_600); // five slots missed while no runner runs
      runner = await newRunner(rt);
      await until(async () => (await store.runs.children(parent.run_id)).length === 2 && (await parked(parent.run_id)));
      await runner.idle();
      expect((await store.runs.children(parent.run_id)).length).toBe(2); // catch-up would have fired five times at once
      const s = (await parentOf(parent.run_id)).vars._meta.schedule;
      expect(s.next_fire_at).toBe(isoFromMs(Date.parse(s.start_at.slice(0, 23) + 'Z') + 6 * 300)); // the next slot on the grid
      expect(s.next_fire_at > clock.nowIso()).toBe(true);
    });
  });
});
