// GET /metrics: Prometheus text over a real gateway (real store, runner, security). Behind the token unless
// metricsPublic; counters move with what the gateway did (runs, ledger appends, commands, ticks, commits,
// 429s by limit).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createApp } from '../../src/http/app.ts';
import { Counter, Histogram, exposition } from '../../src/http/metrics/registry.ts';
import { loadSecurityPolicy } from '../../src/http/security/index.ts';
import { eventually } from '../support/clock.ts';
import { startGateway, waitFor, type TestGateway } from './support.ts';

const TOKEN = 'metrics-token-0123456789abcdef';
let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway({
    runner: true,
    security: (dataDir) => loadSecurityPolicy({ ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN, ABSTRACTGATEWAY_LOCKOUT_AFTER: '2' }, { dataDir }),
  });
});
afterAll(() => gw.close());

const auth = { authorization: `Bearer ${TOKEN}` };
const scrape = async () => {
  const res = await fetch(gw.url('/metrics'), { headers: auth });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return res.text();
};
/** The value of one sample line (`name{labels} value`), or null when absent. */
const sample = (text: string, series: string): number | null => {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.slice(series.length + 1)) : null;
};

describe('GET /metrics', () => {
  test('needs the token; 401 names the way out', async () => {
    const r = await gw.json('/metrics');
    expect(r.status).toBe(401);
    expect(r.body.detail).toContain('ABSTRACTGATEWAY_METRICS_PUBLIC=1');
  });

  test('metricsPublic serves it without a token', async () => {
    const app = createApp({ store: gw.store, registry: gw.registry, runtime: gw.runtime, config: gw.config, security: loadSecurityPolicy({ ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN }, { dataDir: gw.dataDir }), metricsPublic: true });
    const res = await app.handle(new Request('http://local/metrics'));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('# TYPE abstractgateway_runs gauge');
  });

  test('runs, starts, ledger appends, commands, ticks and commits follow what happened', async () => {
    const before = await scrape();
    const appends0 = sample(before, 'abstractgateway_ledger_appends_total')!;
    const ticks0 = sample(before, 'abstractgateway_tick_duration_seconds_count')!;
    const commits0 = sample(before, 'abstractgateway_commit_duration_seconds_count')!;
    const start = await gw.post('/api/gateway/runs/start', { bundle_id: 'ask', input_data: {} }, auth);
    const runId = start.body.run_id as string;
    await waitFor(async () => (await gw.store.runs.get(runId))!.status, (s) => s === 'waiting');
    const waitKey = (await gw.store.runs.get(runId))!.waiting!.wait_key;
    await gw.post('/api/gateway/commands', { command_id: `m-${runId}`, run_id: runId, type: 'resume', payload: { wait_key: waitKey, payload: { response: 'x' } } }, auth);
    await gw.post('/api/gateway/commands', { command_id: `bad-${runId}`, run_id: 'nope', type: 'cancel' }, auth);
    await waitFor(async () => (await gw.store.runs.get(runId))!.status, (s) => s === 'completed');
    await waitFor(async () => (await gw.store.commands.get(`bad-${runId}`))?.status, (s) => s === 'rejected');
    const after = await scrape();
    expect(sample(after, 'abstractgateway_runs{status="completed"}')).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'abstractgateway_runs{status="failed"}')).toBe(0);
    expect(sample(after, 'abstractgateway_run_starts_total')).toBeGreaterThanOrEqual(1);
    for (const ev of ['started', 'waiting', 'resumed', 'completed']) expect(sample(after, `abstractgateway_run_events_total{event="${ev}"}`)).toBeGreaterThanOrEqual(1);
    expect(sample(after, 'abstractgateway_ledger_appends_total')! - appends0).toBe(await gw.store.ledger.count(runId));
    expect(sample(after, 'abstractgateway_commands{type="resume",outcome="applied"}')).toBe(1);
    expect(sample(after, 'abstractgateway_commands{type="cancel",outcome="rejected"}')).toBe(1);
    expect(sample(after, 'abstractgateway_tick_duration_seconds_count')!).toBeGreaterThan(ticks0);
    expect(sample(after, 'abstractgateway_commit_duration_seconds_count')!).toBeGreaterThan(commits0);
    expect(sample(after, 'abstractgateway_tick_duration_seconds_bucket{le="+Inf"}')).toBe(sample(after, 'abstractgateway_tick_duration_seconds_count'));
    expect(sample(after, 'abstractgateway_sse_subscribers')).toBe(0);
  });

  test('429s are counted by limit (auth lockout)', async () => {
    for (let i = 0; i < 4; i++) await fetch(gw.url('/api/gateway/runs'), { headers: { authorization: 'Bearer wrong-token-000000000' } });
    const locked = await fetch(gw.url('/api/gateway/runs'), { headers: auth });
    expect(locked.status).toBe(429);
    // the scrape itself is locked out too (same address): read through a second app over the same metrics; the
    // 429 is counted off the response path, so it may take a moment to show
    const app = createApp({ store: gw.store, registry: gw.registry, runtime: gw.runtime, config: gw.config, metrics: gw.app.decorator.metrics, metricsPublic: true });
    let text = '';
    await eventually(async () => {
      text = await (await app.handle(new Request('http://local/metrics'))).text();
      return (sample(text, 'abstractgateway_http_429_total{limit="auth_lockout"}') ?? 0) >= 1;
    }, 10_000, 'the 429 to be counted');
    expect(sample(text, 'abstractgateway_http_429_total{limit="auth_lockout"}')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'abstractgateway_http_requests_total{method="GET",status="4xx"}')).toBeGreaterThanOrEqual(5);
  });
});

describe('exposition format', () => {
  test('counters, cumulative histogram buckets, escaped labels', () => {
    const c = new Counter('x_total', 'help', true);
    c.inc({ k: 'a"b' }, 2);
    const h = new Histogram('lat_seconds', 'latency', [0.1, 1]);
    h.observe(0.05);
    h.observe(0.5);
    h.observe(5);
    expect(exposition([c, h])).toBe([
      '# HELP x_total help', '# TYPE x_total counter', 'x_total{k="a\\"b"} 2',
      '# HELP lat_seconds latency', '# TYPE lat_seconds histogram',
      'lat_seconds_bucket{le="0.1"} 1', 'lat_seconds_bucket{le="1"} 2', 'lat_seconds_bucket{le="+Inf"} 3',
      'lat_seconds_sum 5.55', 'lat_seconds_count 3', '',
    ].join('\n'));
    expect(exposition([new Counter('bare_total', 'h')])).toContain('\nbare_total 0\n');
  });
});
