// Issue 12 §7, bounded for `npm test`: 2,000 seeded requests over every route of /openapi.json (see
// test/support/fuzz.ts for the mutations). No 5xx, no stall, no rejected request that changed the database
// (checked after every request), the gateway still serving at the end. The full campaign is `npm run fuzz`
// (scripts/fuzz.ts).
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { formatReport, fuzz, operations, prng, type FuzzReport } from '../support/fuzz.ts';
import { startFuzzTarget } from './fuzz-target.ts';
import type { Live } from './live.ts';

const SEED = 20261201;
let live: Live;
let report: FuzzReport;

beforeAll(async () => {
  const started = await startFuzzTarget();
  live = started.live;
  report = await fuzz(started.target, { requests: 2000, seed: SEED });
  console.log(formatReport(report));
}, 60_000);
afterAll(() => live.stop());

test('the PRNG is deterministic and the campaign covers every operation of /openapi.json', async () => {
  const a = prng(7), b = prng(7);
  expect(Array.from({ length: 5 }, a)).toEqual(Array.from({ length: 5 }, b));
  const ops = operations(await (await fetch(`${live.base}/openapi.json`)).json() as Parameters<typeof operations>[0]);
  expect(report.routes).toBe(ops.length);
  expect(ops.length).toBeGreaterThan(20);
  expect(report.requests).toBe(2000);
  expect(Object.keys(report.byMutation).length).toBe(13);
});

test('no 5xx, no stall, no reset, no rejected request that changed the database', () => {
  expect(report.findings.map((f) => `#${f.n} ${f.kind} ${f.route} [${f.mutation}] → ${f.status}: ${f.detail}`)).toEqual([]);
  expect(report.healthProbes).toBeGreaterThan(0);
  expect(report.healthWorstMs).toBeLessThan(1000);
});

test('most hostile requests are refused with a 4xx (the sweep is not just bouncing off auth or 404)', () => {
  const refused = Object.entries(report.statuses).filter(([s]) => /^4\d\d$/.test(s)).reduce((n, [, c]) => n + c, 0);
  expect(refused).toBeGreaterThan(800);
  expect(report.statuses['400'] ?? 0).toBeGreaterThan(100);
  expect(report.statuses['422'] ?? 0).toBeGreaterThan(100);
  expect((report.statuses['401'] ?? 0) + (report.statuses['403'] ?? 0)).toBeLessThan(400);
});

test('the gateway is still up and serving', async () => {
  expect((await fetch(`${live.base}/api/health`)).status).toBe(200);
  expect((await fetch(`${live.base}/api/gateway/runs`, { headers: { authorization: `Bearer ${'live-token-0123456789abcdef0123'}` } })).status).toBe(200);
});
