import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { SqliteStore } from '../../src/store/index.ts';
import { nowIso } from '../../src/util/time.ts';
import { sseEvents, sseReader, startGateway, waitFor, type TestGateway } from './support.ts';

// pollMs is long here: anything arriving quickly was pushed by the in-process notifier, not found by polling.
let gw: TestGateway;
beforeAll(async () => { gw = await startGateway({ config: { pollMs: 60_000 } }); });
afterAll(() => gw.close());

const hub = () => gw.app.decorator.ledgerHub;
const stream = (runId: string, qs = '', headers: Record<string, string> = {}, signal?: AbortSignal) =>
  fetch(gw.url(`/api/gateway/runs/${runId}/ledger/stream${qs}`), { headers: { accept: 'text/event-stream', ...headers }, signal });
const finish = async (runId: string) => {
  const run = (await gw.store.runs.get(runId))!;
  await gw.store.tx(async () => {
    await gw.store.runs.save({ ...run, status: 'completed', updated_at: nowIso() });
    await gw.appendRecord(runId, { node_id: 'end', result: { completed: true, output: {} } });
  });
};

describe('ledger SSE stream', () => {
  test('terminal run: exact framing, every record, then done (no id) and the response ends', async () => {
    const run = await gw.seedRun({ run_id: 'run_stream_done' }, [{ node_id: 'a' }, { node_id: 'b' }]);
    const res = await stream(run.run_id, '?after=0&heartbeat_s=0.2');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const text = await res.text();
    const first = (await gw.store.ledger.listRawAfter(run.run_id, 0, 1))[0]!;
    expect(text.startsWith(`id: 1\nevent: step\ndata: {"cursor":1,"record":${first.json}}\n\n`)).toBe(true);
    expect(text.endsWith('event: done\ndata: {"run_id":"run_stream_done","cursor":2,"status":"terminal"}\n\n')).toBe(true);
    const events = sseEvents(text);
    expect(events.map((e) => e.event)).toEqual(['step', 'step', 'done']);
    expect(events.map((e) => e.id)).toEqual(['1', '2', undefined]);
    expect(events[1]!.data.record.node_id).toBe('b');
  });

  test('pushes new records as they are committed, and done only after the final record', async () => {
    const run = await gw.seedRun({ status: 'running' }, [{ node_id: 'n1' }]);
    const res = await stream(run.run_id, '?heartbeat_s=30');
    const r = sseReader(res);
    await r.until((t) => t.includes('id: 1\n'));
    const t0 = performance.now();
    await gw.appendRecord(run.run_id, { node_id: 'n2' });
    await r.until((t) => t.includes('id: 2\n'), 1000);
    expect(performance.now() - t0).toBeLessThan(500);
    await finish(run.run_id);
    const text = await r.rest();
    const events = sseEvents(text);
    expect(events.map((e) => e.id ?? e.event)).toEqual(['1', '2', '3', 'done']);
    expect(events.at(-1)!.data).toEqual({ run_id: run.run_id, cursor: 3, status: 'terminal' });
  });

  test('a backlog larger than one read batch arrives complete and in order', async () => {
    const run = await gw.seedRun({}, Array.from({ length: 450 }, (_, i) => ({ node_id: `n${i}` })));
    const events = sseEvents(await (await stream(run.run_id, '?after=3')).text());
    const steps = events.filter((e) => e.event === 'step');
    expect(steps.map((e) => e.data.cursor)).toEqual(Array.from({ length: 447 }, (_, i) => i + 4));
    expect(steps.at(-1)!.data.record.node_id).toBe('n449');
    expect(events.at(-1)).toEqual({ event: 'done', data: { run_id: run.run_id, cursor: 450, status: 'terminal' } });
  });

  test('keep-alive comments while idle', async () => {
    const run = await gw.seedRun({ status: 'waiting' });
    const ctrl = new AbortController();
    const r = sseReader(await stream(run.run_id, '?heartbeat_s=0.15', {}, ctrl.signal));
    await r.until((t) => t.split(': keep-alive\n\n').length >= 4, 2000);
    ctrl.abort();
  });

  test('a run that turns terminal without a new record still gets done (re-checked on heartbeat)', async () => {
    const run = await gw.seedRun({ status: 'running' }, [{}]);
    const r = sseReader(await stream(run.run_id, '?heartbeat_s=0.15'));
    await r.until((t) => t.includes('id: 1\n'));
    await gw.store.runs.save({ ...(await gw.store.runs.get(run.run_id))!, status: 'cancelled' });
    const text = await r.rest(2000);
    expect(text).toContain('event: done\ndata: {"run_id":"' + run.run_id + '","cursor":1,"status":"terminal"}');
  });

  test('reconnect with ?after= or Last-Event-ID loses and duplicates nothing; after wins over the header', async () => {
    const run = await gw.seedRun({}, [{}, {}, {}, {}, {}]);
    const ids = (text: string) => sseEvents(text).filter((e) => e.event === 'step').map((e) => Number(e.id));
    expect(ids(await (await stream(run.run_id, '?after=2')).text())).toEqual([3, 4, 5]);
    expect(ids(await (await stream(run.run_id, '', { 'last-event-id': '2' })).text())).toEqual([3, 4, 5]);
    expect(ids(await (await stream(run.run_id, '?after=4', { 'last-event-id': '1' })).text())).toEqual([5]);
    const end = sseEvents(await (await stream(run.run_id, '?after=5')).text());
    expect(end).toEqual([{ event: 'done', data: { run_id: run.run_id, cursor: 5, status: 'terminal' } }]);
  });

  test('unknown run → 404 JSON before streaming; bad parameters → 422', async () => {
    const r = await stream('ghost');
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toContain('application/json');
    expect(await r.json()).toEqual({ detail: "Run 'ghost' not found", code: 'run_not_found' });
    const run = await gw.seedRun();
    expect((await stream(run.run_id, '?heartbeat_s=0.1')).status).toBe(422);
    expect((await stream(run.run_id, '?heartbeat_s=61')).status).toBe(422);
    const bad = await stream(run.run_id, '', { 'last-event-id': 'abc' });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { detail: string }).detail).toContain('Last-Event-ID');
  });

  test('client disconnect frees the subscription at once', async () => {
    const run = await gw.seedRun({ status: 'running' });
    const ctrl = new AbortController();
    const r = sseReader(await stream(run.run_id, '?heartbeat_s=30', {}, ctrl.signal));
    await r.until((t) => t.length > 0);
    expect(hub().subscriberCount(run.run_id)).toBe(1);
    expect(gw.store.notifier.ledgerSubscriberCount(run.run_id)).toBe(1);
    ctrl.abort();
    await waitFor(() => hub().subscriberCount(), (n) => n === 0, 1000);
    expect(gw.store.notifier.ledgerSubscriberCount(run.run_id)).toBe(0);
  });

  test('many subscribers on one run share one read per batch', async () => {
    const run = await gw.seedRun({ status: 'running' }, [{}]);
    const ctrl = new AbortController();
    const readers = await Promise.all(
      Array.from({ length: 5 }, async () => sseReader(await stream(run.run_id, '?heartbeat_s=30', {}, ctrl.signal))),
    );
    await Promise.all(readers.map((r) => r.until((t) => t.includes('id: 1\n'))));
    await waitFor(() => hub().parkedCount(run.run_id), (n) => n === 5, 2000); // every subscriber caught up and parked
    const before = hub().reads;
    await gw.appendRecord(run.run_id);
    await Promise.all(readers.map((r) => r.until((t) => t.includes('id: 2\n'))));
    expect(hub().reads - before).toBe(1);
    ctrl.abort();
    await waitFor(() => hub().subscriberCount(run.run_id), (n) => n === 0, 1000);
  });
});

describe('ledger SSE across processes', () => {
  test('a commit from another connection (e.g. the runner process) is noticed via data_version', async () => {
    const other = await startGateway({ config: { pollMs: 30 } });
    const run = await other.seedRun({ status: 'running' }, [{}]);
    const r = sseReader(await fetch(other.url(`/api/gateway/runs/${run.run_id}/ledger/stream?heartbeat_s=30`)));
    await r.until((t) => t.includes('id: 1\n'));
    const second = SqliteStore.open(other.config.dbPath); // a separate connection: its commits do not notify in-process
    try {
      const now = nowIso();
      await second.ledger.append({ run_id: run.run_id, step_id: 's2', node_id: 'x', status: 'completed', effect: null, result: null,
        error: null, started_at: now, ended_at: now, actor_id: 'gateway', session_id: null, attempt: 1, idempotency_key: null });
      await r.until((t) => t.includes('id: 2\n'), 1500);
      await second.runs.save({ ...(await second.runs.get(run.run_id))!, status: 'failed' });
      expect(await r.rest(1500)).toContain('event: done');
    } finally {
      await second.close();
      await other.close();
    }
  });
});

describe('ledger SSE and the server idle timeout', () => {
  test('a stream quieter than Bun\'s idleTimeout is not cut', async () => {
    const { createApp } = await import('../../src/http/app.ts');
    const app = createApp({ store: gw.store, registry: gw.registry, runtime: gw.runtime, config: gw.config });
    app.listen({ port: 0, hostname: '127.0.0.1', idleTimeout: 1 });
    try {
      const run = await gw.seedRun({ status: 'running' }, [{}]);
      const res = await fetch(`http://127.0.0.1:${app.server!.port}/api/gateway/runs/${run.run_id}/ledger/stream?after=1&heartbeat_s=5`);
      const r = sseReader(res);
      await r.until((t) => t.includes(': keep-alive'));
      const before = r.text.length;
      await r.until((t) => t.length > before, 8000); // the second keep-alive, 5 s later: Bun would have cut the idle socket by then
      expect(r.text.split(': keep-alive').length - 1).toBeGreaterThanOrEqual(2);
      await r.cancel();
    } finally {
      await app.stop(true);
    }
  }, 10_000);
});
