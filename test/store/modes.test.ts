// The stores of the optional modes on a real SQLite database: flow snapshots are content-addressed (one row per
// distinct document, versions only gain members); the Telegram offset never moves backwards; one binding per chat
// and bot; what a tool call sent is recorded once.
import { afterEach, beforeEach, expect, test } from 'bun:test';
import { SqliteStore } from '../../src/store/index.ts';

let store: SqliteStore;
beforeEach(() => {
  store = SqliteStore.open(':memory:');
});
afterEach(() => store.close());

test('flow snapshots: one row per distinct document across versions; unknown versions load as null', async () => {
  const a = { id: 'a', nodes: [], x: 1 };
  const b1 = { id: 'b', nodes: [], x: 1 };
  const b2 = { id: 'b', nodes: [], x: 2 };
  await store.flowSnapshots.save('v1', new Map([['a', a], ['b', b1]]));
  await store.flowSnapshots.save('v1', new Map([['a', a]])); // idempotent
  await store.flowSnapshots.save('v2', new Map([['a', { x: 1, nodes: [], id: 'a' }], ['b', b2]])); // same `a`, other key order
  expect(await store.flowSnapshots.documentCount()).toBe(3);
  expect(Object.fromEntries((await store.flowSnapshots.load('v1'))!)).toEqual({ a, b: b1 });
  expect((await store.flowSnapshots.load('v2'))!.get('b')).toEqual(b2);
  expect(await store.flowSnapshots.load('v3')).toBeNull();
});

test('telegram: the offset only moves forward; one binding per (bot, chat); sends are recorded once', async () => {
  const t = store.telegram;
  expect(await t.offset('1')).toBe(0);
  await store.tx(() => t.saveOffset('1', 7));
  await store.tx(() => t.saveOffset('1', 5)); // a stale writer cannot rewind it
  expect(await t.offset('1')).toBe(7);
  expect(await t.offset('2')).toBe(0);

  await t.saveBinding('1', { chat_id: '42', run_id: 'r1', session_id: 'telegram:42', workflow_id: 'w' });
  await expect(t.saveBinding('1', { chat_id: '42', run_id: 'r2', session_id: 'telegram:42', workflow_id: 'w' })).rejects.toThrow(/UNIQUE/);
  await t.saveBinding('2', { chat_id: '42', run_id: 'r3', session_id: 'telegram:42', workflow_id: 'w' });
  expect((await t.binding('1', '42'))!.run_id).toBe('r1');
  expect(await t.binding('1', '43')).toBeNull();
  expect((await t.bindings('2')).map((b) => b.run_id)).toEqual(['r3']);

  // The intent, then Telegram's answer replacing it; a failed send's record is forgotten.
  await t.recordSent('call-1', { ok: true, delivery: 'unknown' });
  await t.recordSent('call-1', { ok: true, message_id: 6 });
  expect(await t.sentFor('call-1')).toEqual({ ok: true, message_id: 6 });
  expect(await t.sentFor('call-2')).toBeNull();
  await t.forgetSent('call-1');
  expect(await t.sentFor('call-1')).toBeNull();
});
