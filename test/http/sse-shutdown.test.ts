import { expect, test } from 'bun:test';
import { LedgerHub, SHUTDOWN, tailLedger } from '../../src/http/sse.ts';
import { Store } from '../../src/store/index.ts';
import { nowIso } from '../../src/util/time.ts';

test('closing the hub (server shutdown) ends every stream with a final comment', async () => {
  const store = Store.open(':memory:');
  const now = nowIso();
  store.tx(() => store.runs.save({ run_id: 'r', workflow_id: 'w', status: 'waiting', current_node: 'n', vars: {}, waiting: null, output: null, error: null, created_at: now, updated_at: now, actor_id: 'gateway', session_id: 'r', parent_run_id: null }));
  const hub = new LedgerHub(store, 50);
  const ctrl = new AbortController();
  const stream = tailLedger(hub, 'r', 0, 60_000, ctrl.signal);
  expect((await stream.next()).value).toBeInstanceOf(Uint8Array); // first keep-alive (nothing to send yet)
  const pending = stream.next();
  hub.close();
  expect(new TextDecoder().decode((await pending).value as Uint8Array)).toBe(new TextDecoder().decode(SHUTDOWN));
  expect((await stream.next()).done).toBe(true);
  expect(hub.subscriberCount()).toBe(0);
  store.close();
});
