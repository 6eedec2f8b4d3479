// /api/gateway/memory over real HTTP with the production composition: a flow stores a global note and two KG
// assertions; a user lists, inspects and deletes them; bad ids get stable {detail, code} errors; no token → 401.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { end, flow, n, start } from '../support/visualflow.ts';
import { startLive, LIVE_AUTH, type Live } from './live.ts';
import { bundleZip } from './support.ts';

const H = { ...LIVE_AUTH, 'content-type': 'application/json' };
let live: Live;
let base: string;

const remember = flow('root', [
  start('s'),
  n('mn', 'memory_note', { in: ['exec-in', 'content', 'scope', 'tags'], out: ['exec-out', 'note_id'], pinDefaults: { content: 'The gateway speaks HTTP', scope: 'global', tags: { topic: 'api' } } }),
  n('ka', 'memory_kg_assert', { in: ['exec-in', 'assertions', 'scope'], out: ['exec-out', 'assertion_ids'], pinDefaults: { scope: 'global', assertions: [{ subject: 'gateway', predicate: 'speaks', object: 'HTTP' }, { subject: 'gateway', predicate: 'stores', object: 'runs' }] } }),
  end('e', ['note_id', 'ids']),
], ['s.exec-out>mn.exec-in', 'mn.exec-out>ka.exec-in', 'ka.exec-out>e.exec-in', 'mn.note_id>e.note_id', 'ka.assertion_ids>e.ids']);

beforeAll(async () => {
  live = await startLive({}, { flows: { 'mem@0.0.1.flow': bundleZip('mem', '0.0.1', { root: remember }) } });
  await live.gw.runner.start();
  base = `${live.base}/api/gateway`;
});
afterAll(() => live.stop());

async function api(path: string, method = 'GET', body?: unknown) {
  const res = await fetch(base + path, { method, headers: H, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

test('list, show and delete memory written by a flow', async () => {
  const started = await api('/runs/start', 'POST', { bundle_id: 'mem' });
  expect(started.status).toBe(200);
  let run: any;
  for (let i = 0; i < 200; i++) {
    run = (await api(`/runs/${started.body.run_id}`)).body;
    if (run.status === 'completed' || run.status === 'failed') break;
    await Bun.sleep(20);
  }
  expect(run.status).toBe('completed');

  const spans = await api('/memory/spans');
  expect(spans.status).toBe(200);
  expect(spans.body.items).toHaveLength(1);
  const span = spans.body.items[0];
  expect(span).toMatchObject({ owner_run_id: 'global_memory', kind: 'memory_note', preview: 'The gateway speaks HTTP', tags: { topic: 'api' } });
  const shown = await api(`/memory/spans/global_memory/${span.span_id}`);
  expect(shown.body.body).toMatchObject({ note: 'The gateway speaks HTTP' });

  const kg = await api('/memory/kg?scope=global&subject=gateway');
  expect(kg.body.items.map((a: any) => `${a.subject} ${a.predicate} ${a.object}`).sort()).toEqual(['gateway speaks HTTP', 'gateway stores runs']);
  const id = kg.body.items[0].assertion_id;
  expect((await api(`/memory/kg/${id}`)).body.assertion_id).toBe(id);
  expect(await api(`/memory/kg/${id}`, 'DELETE')).toEqual({ status: 200, body: { deleted: true } });
  expect((await api(`/memory/kg/${id}`)).body.code).toBe('assertion_not_found');
  expect((await api('/memory/kg')).body.items).toHaveLength(1);

  expect(await api(`/memory/spans/global_memory/${span.span_id}`, 'DELETE')).toEqual({ status: 200, body: { deleted: true } });
  expect((await api('/memory/spans')).body.items).toEqual([]);
  const gone = await api(`/memory/spans/global_memory/${span.span_id}`);
  expect(gone.status).toBe(404);
  expect(gone.body.code).toBe('span_not_found');
});

test('bad input: 404 for an unknown run, 422 for malformed ids, 401 without the token', async () => {
  expect((await api('/memory/spans?run_id=nope')).status).toBe(404);
  expect((await api('/memory/kg/not-an-id')).status).toBe(422);
  expect((await api('/memory/spans?limit=0')).status).toBe(422);
  expect((await fetch(`${base}/memory/spans`)).status).toBe(401);
});
