import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startGateway, type TestGateway } from './support.ts';

let gw: TestGateway;
beforeAll(async () => { gw = await startGateway(); });
afterAll(() => gw.close());

describe('GET /runs/{id}/ledger', () => {
  test('slices [after, after+limit) with next_after = after + len(items), not clamped past the end', async () => {
    const run = await gw.seedRun({}, [{ node_id: 'a' }, { node_id: 'b' }, { node_id: 'c' }]);
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
    const run = await gw.seedRun({}, [{ node_id: 'a', result: { x: 1 } }]);
    const stored = await gw.store.ledger.listAfter(run.run_id, 0, 10);
    const r = await gw.json(`/api/gateway/runs/${run.run_id}/ledger`);
    expect(r.body.items).toEqual(stored);
    expect(r.body.items[0].record_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('unknown run → 404; bad after/limit → 422', async () => {
    expect((await gw.json('/api/gateway/runs/nope/ledger')).status).toBe(404);
    const run = await gw.seedRun();
    expect((await gw.json(`/api/gateway/runs/${run.run_id}/ledger?after=-1`)).status).toBe(422);
    const r = await gw.json(`/api/gateway/runs/${run.run_id}/ledger?limit=2001`);
    expect(r.status).toBe(422);
    expect(r.body.detail).toContain("'limit'");
  });
});

describe('POST /runs/ledger/batch', () => {
  test('pages per run; a second call from next_after is empty; unknown and empty ids omitted', async () => {
    const a = await gw.seedRun({}, [{}, {}, {}]);
    const b = await gw.seedRun({}, [{}]);
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

describe('GET /runs/{id}/ledger/verify', () => {
  test('an intact chain verifies; a tampered record is named by seq; unknown run → 404', async () => {
    const run = await gw.seedRun({}, Array.from({ length: 1203 }, (_, i) => ({ node_id: `n${i}` }))); // spans several pages
    const ok = await gw.json(`/api/gateway/runs/${run.run_id}/ledger/verify`);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, count: 1203, first_bad_seq: null, errors: [] });
    expect(ok.body.head_hash).toBe((await gw.store.ledger.listAfter(run.run_id, 1202, 1))[0]!.record_hash);
    // Tamper with record 700's content (its stored hash no longer matches) directly in the database.
    gw.store.db.query("UPDATE ledger SET record_json = replace(record_json, '\"n699\"', '\"evil\"') WHERE run_id = ? AND seq = 700").run(run.run_id);
    const bad = await gw.json(`/api/gateway/runs/${run.run_id}/ledger/verify`);
    expect(bad.body).toMatchObject({ ok: false, count: 1203, first_bad_seq: 700 });
    expect(bad.body.errors).toEqual([expect.objectContaining({ seq: 700, type: 'record_hash_mismatch' })]);
    expect(bad.body).toEqual(await gw.store.ledger.verify(run.run_id)); // the CLI's report is the same
    expect((await gw.json('/api/gateway/runs/nope/ledger/verify')).status).toBe(404);
  });
});
