// Flows that never end say so (issue 14 §4): a run parked on a recurrent on_schedule or an on_event listener
// shows `listening` in its summary; a one-shot timer or a user wait does not.
import { expect, test } from 'bun:test';
import { toSummary } from '../../src/http/runs/summary.ts';
import { flow, flowHarness, n } from '../flow/engine/helpers.ts';

const scheduled = (recurrent: boolean) => flow(`sched-${recurrent}`, [
  n('tick', 'on_schedule', { out: ['exec-out', 'until'], eventConfig: { schedule: '5m', recurrent } }),
  n('ans', 'answer_user', { in: ['exec-in', 'message'], out: ['exec-out'], pinDefaults: { message: 'tick' } }),
], ['tick.exec-out>ans.exec-in']);

test('a recurrent on_schedule run is listening (schedule, next fire); a one-shot schedule is not', async () => {
  const h = flowHarness([scheduled(true), scheduled(false)]);
  const run = await h.start('sched-true');
  expect(run.status).toBe('waiting');
  expect(toSummary(run).listening).toEqual({ kind: 'schedule', node_id: 'tick', recurrent: true, event: null, scope: null, schedule: '5m', next_at: run.waiting!.until });
  // After it fires it re-arms and still says so.
  const again = await h.answer(run.run_id, {});
  expect(again.status).toBe('waiting');
  expect(toSummary(again).listening).toMatchObject({ kind: 'schedule', recurrent: true });
  const once = await h.start('sched-false');
  expect(once.status).toBe('waiting');
  expect(toSummary(once).listening).toBeNull();
  await h.close();
});

test('an on_event listener child is listening for its event', async () => {
  const doc = flow('listen', [
    n('s', 'on_flow_start', { out: ['exec-out'] }),
    n('ev', 'on_event', { out: ['exec-out', 'payload'], eventConfig: { name: 'ping', scope: 'session' } }),
    n('ans', 'answer_user', { in: ['exec-in', 'message'], out: ['exec-out'], pinDefaults: { message: 'pong' } }),
  ], ['ev.exec-out>ans.exec-in']);
  const h = flowHarness([doc]);
  const root = await h.start('listen', {}, 'sess-l');
  expect(toSummary(root).listening).toBeNull(); // the root completed
  const [child] = await h.store.runs.children(root.run_id);
  expect(toSummary(await h.run(child!.run_id)).listening).toEqual({ kind: 'event', node_id: 'ev', recurrent: true, event: 'ping', scope: 'session', schedule: null, next_at: null });
  await h.close();
});
