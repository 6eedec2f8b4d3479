import { expect, test } from 'bun:test';
import { KEEP_ALIVE, LedgerHub, SHUTDOWN, type Sink } from '../../src/http/sse.ts';
import { SqliteStore } from '../../src/store/index.ts';
import { nowIso } from '../../src/util/time.ts';

/** Collects what the hub writes (stands in for Bun's direct-stream controller). */
function collector(): Sink & { text(): string; closed: boolean } {
  const chunks: Uint8Array[] = [];
  const c = {
    closed: false,
    write: (b: Uint8Array) => chunks.push(b),
    flush: () => 0,
    close: () => { c.closed = true; },
    text: () => chunks.map((b) => new TextDecoder().decode(b)).join(''),
  };
  return c;
}

test('closing the hub (server shutdown) ends every stream with a final comment', async () => {
  const store = SqliteStore.open(':memory:');
  const now = nowIso();
  await store.tx(() => store.runs.save({ run_id: 'r', workflow_id: 'w', status: 'waiting', current_node: 'n', vars: {}, waiting: null, output: null, error: null, created_at: now, updated_at: now, actor_id: 'gateway', session_id: 'r', parent_run_id: null }));
  const hub = new LedgerHub(store, 50);
  const sinks = [collector(), collector()];
  // start() resolves once the first delivery (here: a keep-alive, the run is idle) has been written.
  for (const sink of sinks) await hub.open('r', 0, 60_000, sink, new AbortController().signal).start();
  expect(hub.subscriberCount('r')).toBe(2);
  await hub.close();
  for (const sink of sinks) {
    expect(sink.text()).toBe(new TextDecoder().decode(KEEP_ALIVE) + new TextDecoder().decode(SHUTDOWN));
    expect(sink.closed).toBe(true);
  }
  expect(hub.subscriberCount()).toBe(0);
  await store.close();
});
