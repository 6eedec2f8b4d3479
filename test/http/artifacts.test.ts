import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startGateway, type TestGateway } from './support.ts';

let gw: TestGateway;
beforeAll(async () => { gw = await startGateway(); });
afterAll(() => gw.close());

describe('run artifacts', () => {
  test('list (newest first), metadata and content of a run artifact', async () => {
    const run = await gw.seedRun();
    const a = await gw.store.artifacts.put(new TextEncoder().encode('hello world'), { runId: run.run_id, contentType: 'text/plain', tags: { kind: 'note' } });
    await Bun.sleep(2);
    const b = await gw.store.artifacts.put(new TextEncoder().encode('{"x":1}'), { runId: run.run_id, contentType: 'application/json' });
    const list = await gw.json(`/api/gateway/runs/${run.run_id}/artifacts`);
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: any) => i.artifact_id)).toEqual([b.artifact_id, a.artifact_id]);
    expect(list.body.items[1]).toEqual({ artifact_id: a.artifact_id, content_type: 'text/plain', size_bytes: 11, created_at: a.created_at, tags: { kind: 'note' } });
    const meta = await gw.json(`/api/gateway/runs/${run.run_id}/artifacts/${a.artifact_id}`);
    expect(meta.body).toMatchObject({ artifact_id: a.artifact_id, run_id: run.run_id, content_type: 'text/plain', blob_id: a.blob_id });
    const content = await fetch(gw.url(`/api/gateway/runs/${run.run_id}/artifacts/${a.artifact_id}/content`));
    expect(content.status).toBe(200);
    expect(content.headers.get('content-type')).toStartWith('text/plain');
    expect(await content.text()).toBe('hello world');
  });

  test("another run's artifact → 404; malformed id → 400; unknown run → 404; limit range → 422", async () => {
    const mine = await gw.seedRun();
    const theirs = await gw.seedRun();
    const art = await gw.store.artifacts.put(new TextEncoder().encode('secret'), { runId: theirs.run_id });
    expect((await gw.json(`/api/gateway/runs/${mine.run_id}/artifacts/${art.artifact_id}`)).status).toBe(404);
    expect((await fetch(gw.url(`/api/gateway/runs/${mine.run_id}/artifacts/${art.artifact_id}/content`))).status).toBe(404);
    const bad = await gw.json(`/api/gateway/runs/${mine.run_id}/artifacts/bad.id`);
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toBe('Invalid artifact id: bad.id');
    expect((await gw.json('/api/gateway/runs/ghost/artifacts')).status).toBe(404);
    expect((await gw.json(`/api/gateway/runs/${mine.run_id}/artifacts?limit=0`)).status).toBe(422);
  });

  test('a session-memory owner that does not exist yet lists as empty', async () => {
    const r = await gw.json('/api/gateway/runs/session_memory_s1/artifacts');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ items: [] });
  });
});
