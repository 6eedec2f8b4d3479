import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startGateway, type TestGateway } from './support.ts';

let gw: TestGateway;
beforeAll(async () => { gw = await startGateway(); });
afterAll(() => gw.close());

describe('GET /runs/{id}/ledger', () => {
  test('slices [after, after+limit) with next_after = after + len(items), not clamped past the end', async () => {
    const run = gw.seedRun({}, [{ node_id: 'a' }, { node_id: 'b' }, { node_id: 'c' }]);
    const p1 = await gw.json(`/api/gateway/runs/${run.run_id}/ledger?limit=2`);
    expect(p1.status).toBe(200);
    expect(p1.body.items.map((r: any) => r.node_id)).toEqual(['a', 'b']);
    expect(p1.body.next_after).toBe(2);
    const p2 = await gw.json(`/api/gateway/runs/${run.run_id}/ledger?after=2`);
    expect(p2.body.items.map((r: any) => r.node_id)).toEqual(['c']);
    expect(p2.body.next_after).toBe(3);
    const past = await gw.json(`/api/gateway/runs/${run.run_id}/ledger?after=10`);
    expect(past.body).toEqual({ items: [], next_after: 10 });
  });

  test('records come back verbatim, hash chain included', async () => {
    const run = gw.seedRun({}, [{ node_id: 'a', result: { x: 1 } }]);
    const stored = gw.store.ledger.listAfter(run.run_id, 0, 10);
    const r = await gw.json(`/api/gateway/runs/${run.run_id}/ledger`);
    expect(r.body.items).toEqual(stored);
    expect(r.body.items[0].record_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('unknown run → 404; bad after/limit → 422', async () => {
    expect((await gw.json('/api/gateway/runs/nope/ledger')).status).toBe(404);
    const run = gw.seedRun();
    expect((await gw.json(`/api/gateway/runs/${run.run_id}/ledger?after=-1`)).status).toBe(422);
    const r = await gw.json(`/api/gateway/runs/${run.run_id}/ledger?limit=2001`);
    expect(r.status).toBe(422);
    expect(r.body.detail).toContain("'limit'");
  });
});

describe('POST /runs/ledger/batch', () => {
  test('pages per run; a second call from next_after is empty; unknown and empty ids omitted', async () => {
    const a = gw.seedRun({}, [{}, {}, {}]);
    const b = gw.seedRun({}, [{}]);
    const r1 = await gw.post('/api/gateway/runs/ledger/batch', {
      runs: [{ run_id: a.run_id, after: 0 }, { run_id: b.run_id, after: 0 }, { run_id: 'ghost', after: 0 }, { run_id: '', after: 0 }],
    });
    expect(r1.status).toBe(200);
    expect(Object.keys(r1.body.runs).sort()).toEqual([a.run_id, b.run_id].sort());
    expect(r1.body.runs[a.run_id].items.length).toBe(3);
    expect(r1.body.runs[b.run_id].next_after).toBe(1);
    const r2 = await gw.post('/api/gateway/runs/ledger/batch', {
      runs: Object.entries(r1.body.runs).map(([run_id, p]: [string, any]) => ({ run_id, after: p.next_after })),
      limit: 5,
    });
    expect(r2.body.runs[a.run_id]).toEqual({ items: [], next_after: 3 });
    expect(r2.body.runs[b.run_id]).toEqual({ items: [], next_after: 1 });
  });

  test('validation: negative after → 422 naming the field', async () => {
    const r = await gw.post('/api/gateway/runs/ledger/batch', { runs: [{ run_id: 'x', after: -1 }] });
    expect(r.status).toBe(422);
    expect(r.body.detail).toContain('runs.0.after');
  });
});
