// The whole loop over HTTP only, with the real runner: start → stream shows the prompt → resume command →
// stream shows the resume marker, completion and done; commands report their durable outcome.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { sseEvents, sseReader, startGateway, waitFor, type TestGateway } from './support.ts';

let gw: TestGateway;
beforeAll(async () => { gw = await startGateway({ runner: true }); });
afterAll(() => gw.close());

const lastWaiting = (text: string) =>
  sseEvents(text).filter((e) => e.event === 'step').map((e) => e.data.record).find((r) => r.status === 'waiting' && r.result?.wait?.wait_key);

describe('ask_user flow driven purely over HTTP', () => {
  test('start → waiting prompt on the stream → resume → resume marker, completion, done', async () => {
    const started = await gw.post('/api/gateway/runs/start', { bundle_id: 'ask', input_data: { prompt: 'x' } });
    expect(started.status).toBe(200);
    const runId: string = started.body.run_id;

    const r = sseReader(await fetch(gw.url(`/api/gateway/runs/${runId}/ledger/stream?after=0&heartbeat_s=5`)));
    await r.until((t) => lastWaiting(t) !== undefined, 5000);
    const wait = lastWaiting(r.text)!.result.wait;
    expect(wait).toMatchObject({ reason: 'user', prompt: 'who are you ?', wait_key: `user:${runId}:ask` });

    const summary = await gw.json(`/api/gateway/runs/${runId}`);
    expect(summary.body.status).toBe('waiting');
    expect(summary.body.waiting.wait_key).toBe(wait.wait_key);
    expect(summary.body.waiting.resume_to_node).toBeUndefined();

    const cmd = await gw.post('/api/gateway/commands', {
      command_id: `answer-${runId}`, run_id: runId, type: 'resume', client_id: 'web_pwa',
      payload: { wait_key: wait.wait_key, payload: { response: 'I am Albou' } },
    });
    expect(cmd.body).toMatchObject({ accepted: true, duplicate: false });

    const text = await r.rest(5000);
    const events = sseEvents(text);
    const records = events.filter((e) => e.event === 'step').map((e) => e.data.record);
    const cursors = events.filter((e) => e.event === 'step').map((e) => e.data.cursor);
    expect(cursors).toEqual(cursors.map((_, i) => i + 1)); // dense, in order, nothing lost or repeated
    const marker = records.find((rec) => rec.effect?.type === 'resume');
    expect(marker.effect.payload.payload).toEqual({ response: 'I am Albou' });
    expect(marker.result).toEqual({ resumed: true });
    expect(records.some((rec) => rec.result?.completed === true && rec.result.output.answer?.response === 'I am Albou')).toBe(true);
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect(done.data).toEqual({ run_id: runId, cursor: records.length, status: 'terminal' });
    // done came after the final record: a replay from the done cursor is empty
    expect((await gw.json(`/api/gateway/runs/${runId}/ledger?after=${done.data.cursor}`)).body.items).toEqual([]);

    expect((await gw.json(`/api/gateway/runs/${runId}`)).body.status).toBe('completed');
    const outcome = await waitFor(() => gw.json(`/api/gateway/commands/answer-${runId}`), (o) => o.body.status !== 'pending');
    expect(outcome.body).toMatchObject({ status: 'applied', reason: null });
  });

  test('a command that cannot apply is rejected with a reason; cancel ends a live stream', async () => {
    const started = await gw.post('/api/gateway/runs/start', { bundle_id: 'ask' });
    const runId: string = started.body.run_id;
    await waitFor(() => gw.json(`/api/gateway/runs/${runId}`), (s) => s.body.status === 'waiting', 5000);
    const r = sseReader(await fetch(gw.url(`/api/gateway/runs/${runId}/ledger/stream?heartbeat_s=5`)));
    await r.until((t) => lastWaiting(t) !== undefined);

    await gw.post('/api/gateway/commands', {
      command_id: `wrong-${runId}`, run_id: runId, type: 'resume', payload: { wait_key: 'user:other', payload: { response: 'x' } },
    });
    const rejected = await waitFor(() => gw.json(`/api/gateway/commands/wrong-${runId}`), (o) => o.body.status !== 'pending', 5000);
    expect(rejected.body.status).toBe('rejected');
    expect(rejected.body.reason).toBeTruthy();

    await gw.post('/api/gateway/commands', { command_id: `cancel-${runId}`, run_id: runId, type: 'cancel', payload: { reason: 'user abort' } });
    const text = await r.rest(5000);
    expect(sseEvents(text).at(-1)!.event).toBe('done');
    const s = await gw.json(`/api/gateway/runs/${runId}`);
    expect(s.body).toMatchObject({ status: 'cancelled', error: 'user abort', waiting: null });
  });
});
