// The stores of the optional modes on a real SQLite database: flow snapshots are content-addressed (one row per
// distinct document, versions only gain members); the Telegram offset never moves backwards; one binding per chat
// and bot; what a tool call sent is recorded once.
import { afterEach, beforeEach, expect, test } from 'bun:test';
import { Store } from '../../src/store/index.ts';

let store: Store;
beforeEach(() => {
  store = Store.open(':memory:');
});
afterEach(() => store.close());

test('flow snapshots: one row per distinct document across versions; unknown versions load as null', () => {
  const a = { id: 'a', nodes: [], x: 1 };
  const b1 = { id: 'b', nodes: [], x: 1 };
  const b2 = { id: 'b', nodes: [], x: 2 };
  store.flowSnapshots.save('v1', new Map([['a', a], ['b', b1]]));
  store.flowSnapshots.save('v1', new Map([['a', a]])); // idempotent
  store.flowSnapshots.save('v2', new Map([['a', { x: 1, nodes: [], id: 'a' }], ['b', b2]])); // same `a`, other key order
  expect(store.flowSnapshots.documentCount()).toBe(3);
  expect(Object.fromEntries(store.flowSnapshots.load('v1')!)).toEqual({ a, b: b1 });
  expect(store.flowSnapshots.load('v2')!.get('b')).toEqual(b2);
  expect(store.flowSnapshots.load('v3')).toBeNull();
});

test('telegram: the offset only moves forward; one binding per (bot, chat); sends are recorded once', () => {
  const t = store.telegram;
  expect(t.offset('1')).toBe(0);
  store.tx(() => t.saveOffset('1', 7));
  store.tx(() => t.saveOffset('1', 5)); // a stale writer cannot rewind it
  expect(t.offset('1')).toBe(7);
  expect(t.offset('2')).toBe(0);

  t.saveBinding('1', { chat_id: '42', run_id: 'r1', session_id: 'telegram:42', workflow_id: 'w' });
  expect(() => t.saveBinding('1', { chat_id: '42', run_id: 'r2', session_id: 'telegram:42', workflow_id: 'w' })).toThrow(/UNIQUE/);
  t.saveBinding('2', { chat_id: '42', run_id: 'r3', session_id: 'telegram:42', workflow_id: 'w' });
  expect(t.binding('1', '42')!.run_id).toBe('r1');
  expect(t.binding('1', '43')).toBeNull();
  expect(t.bindings('2').map((b) => b.run_id)).toEqual(['r3']);

  t.recordSent('call-1', { ok: true, message_id: 5 });
  t.recordSent('call-1', { ok: true, message_id: 6 });
  expect(t.sentFor('call-1')).toEqual({ ok: true, message_id: 5 });
  expect(t.sentFor('call-2')).toBeNull();
});
