// Issue 12 §5–§6 against the live gateway on real sockets: no request crashes or stalls it (deep JSON on every
// JSON route, hostile bundles, no server paths in errors), and limited slots stay fair (stalled bodies time out
// and free their slot, a slot is held exactly while a request is in flight, stalled SSE readers cannot lock
// subscribers out). Latency figures are printed; only a generous 1 s bound is asserted.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { eventually } from '../support/clock.ts';
import { bundleBytes, flowDoc } from '../flow/bundle/helpers.ts';
import { healthMs, LIVE_AUTH, LIVE_TOKEN, rawClient, requestHead, startLive, type Live, type RawClient } from './live.ts';

const JSON_HEADERS = { ...LIVE_AUTH, 'content-type': 'application/json' };
const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

async function post(live: Live, path: string, body: NonNullable<RequestInit["body"]>, headers: Record<string, string> = JSON_HEADERS) {
  const res = await fetch(live.base + path, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return { status: res.status, text, body: (() => { try { return JSON.parse(text) as { detail: string; code: string }; } catch { return null; } })() };
}

/** Runs `work` while a second client pings /api/health every 5 ms; returns the slowest ping (ms). */
async function withHealthProbe(live: Live, work: () => Promise<void>): Promise<number> {
  let done = false;
  let worst = 0;
  const probe = (async () => { while (!done) { worst = Math.max(worst, await healthMs(live.base)); await Bun.sleep(5); } })();
  try { await work(); } finally { done = true; await probe; }
  return worst;
}

describe('§5 no request can crash or stall the gateway', () => {
  let live: Live;
  beforeAll(async () => { live = await startLive(); });
  afterAll(() => live.stop());

  test('a 200 KB body nested 100,000 deep → 400 json_too_deep in ms on every JSON write route, health answers meanwhile', async () => {
    const hostile = `{"payload":${deep(100_000)}}`;
    expect(hostile.length).toBeGreaterThan(200_000);
    const routes = live.app.routes.filter((r) => r.path.startsWith('/api/gateway') && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method));
    expect(routes.length).toBeGreaterThan(5);
    const before = live.fingerprint();
    const times: Record<string, number> = {};
    const worst = await withHealthProbe(live, async () => {
      for (const r of routes) {
        const path = r.path.replace(/:[a-zA-Z_]+/g, 'x');
        const t = performance.now();
        const res = await post(live, path, hostile);
        times[`${r.method} ${r.path}`] = performance.now() - t;
        expect(`${r.method} ${r.path} → ${res.status} ${res.body?.code}`).toBe(`${r.method} ${r.path} → 400 json_too_deep`);
        expect(res.body!.detail).toContain('ABSTRACTGATEWAY_MAX_JSON_DEPTH');
      }
    });
    const slowest = Math.max(...Object.values(times));
    console.log(`[figures] deep JSON: ${routes.length} routes, slowest rejection ${slowest.toFixed(1)} ms, slowest concurrent /api/health ${worst.toFixed(1)} ms`, JSON.stringify(Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(v)]))));
    expect(slowest).toBeLessThan(1000);
    expect(worst).toBeLessThan(1000);
    expect(live.fingerprint()).toBe(before);
  });

  test('the named routes: /commands, /runs/ledger/batch, /runs/schedule; depth 64 passes the edge, 65 does not', async () => {
    for (const path of ['/api/gateway/commands', '/api/gateway/runs/ledger/batch', '/api/gateway/runs/schedule']) {
      expect((await post(live, path, `{"payload":${deep(100_000)}}`)).body?.code).toBe('json_too_deep');
      expect((await post(live, path, `{"payload":${deep(64)}}`)).body?.code).toBe('json_too_deep'); // 1 (object) + 64
      const ok = await post(live, path, `{"payload":${deep(63)}}`);
      expect(ok.status).toBeLessThan(500);
      expect(ok.body?.code).not.toBe('json_too_deep');
    }
    // brackets inside strings are data, not depth; a chunked body is scanned as it arrives
    expect((await post(live, '/api/gateway/commands', JSON.stringify({ payload: deep(100_000) }))).body?.code).not.toBe('json_too_deep');
    const chunked = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('{"payload":' + '['.repeat(50))); c.enqueue(new TextEncoder().encode('['.repeat(50) + ']'.repeat(100) + '}')); c.close(); } });
    expect((await post(live, '/api/gateway/commands', chunked as unknown as NonNullable<RequestInit["body"]>)).body?.code).toBe('json_too_deep');
    // any media type Elysia parses as JSON is covered
    expect((await post(live, '/api/gateway/commands', `{"payload":${deep(1000)}}`, { ...LIVE_AUTH, 'content-type': 'application/jsonp; charset=utf-8' })).body?.code).toBe('json_too_deep');
  });

  test('bundle upload with a 5,000-character bundle_id → 400 unsafe_bundle_id, no server path in the body', async () => {
    const form = new FormData();
    form.append('file', new File([bundleBytes({ id: 'b'.repeat(5000) })], 'long.flow'));
    const res = await post(live, '/api/gateway/bundles/upload', form, LIVE_AUTH);
    expect(res.status).toBe(400);
    expect(res.body?.code).toBe('unsafe_bundle_id');
    expect(res.text).not.toContain(live.dir);
    expect(res.text).not.toMatch(/ENAMETOOLONG|\/tmp\//);
  });

  test('a flow nested 100,000 deep is refused at upload; the bundle and workflow routes never see it', async () => {
    const text = JSON.stringify(flowDoc('root')).replace(/}$/, `,"metadata":${deep(100_000)}}`);
    const form = new FormData();
    form.append('file', new File([bundleBytes({ id: 'deepflow', files: { 'flows/root.json': text } })], 'deep.flow'));
    const res = await post(live, '/api/gateway/bundles/upload', form, LIVE_AUTH);
    expect(res.status).toBe(400);
    expect(res.body?.code).toBe('invalid_bundle');
    expect(res.body?.detail).toContain('nests arrays/objects deeper than');
    const flow = await fetch(`${live.base}/api/gateway/bundles/deepflow/flows/root`, { headers: LIVE_AUTH });
    expect(flow.status).toBe(404);
  });

  test('no error body names a server path, whatever the route', async () => {
    const probes = [
      ['GET', '/api/gateway/runs/..%2F..%2Fetc/ledger'],
      ['GET', '/api/gateway/bundles/%00'],
      ['GET', `/api/gateway/bundles/${'z'.repeat(5000)}`],
      ['DELETE', `/api/gateway/bundles/${'z'.repeat(5000)}`],
      ['GET', '/api/gateway/workflows/..%2F..:x/flow'],
    ] as const;
    for (const [method, path] of probes) {
      const res = await fetch(live.base + path, { method, headers: LIVE_AUTH });
      const text = await res.text();
      expect(`${method} ${path.slice(0, 60)} → ${res.status}`).not.toMatch(/→ 5\d\d$/);
      expect(text).not.toContain(live.dir);
      expect(text).not.toContain(join(live.dir, 'flows'));
    }
  });
});

describe('§6 fair use of limited slots', () => {
  test('64 stalled partial bodies hold the 64 slots only until ABSTRACTGATEWAY_BODY_TIMEOUT_S: 408 each, then requests pass', async () => {
    const live = await startLive({ ABSTRACTGATEWAY_BODY_TIMEOUT_S: '1', ABSTRACTGATEWAY_MAX_CONCURRENCY: '64' });
    try {
      const head = requestHead('POST', '/api/gateway/commands', { 'content-type': 'application/json', 'content-length': '1000' });
      const stalled: RawClient[] = [];
      for (let i = 0; i < 64; i++) stalled.push(await rawClient(live.port, head + '{"run_id":'));
      // every slot is taken (once the stalled heads have reached the server): the 65th in-flight request is refused
      let refused!: Response;
      await eventually(async () => (refused = await fetch(`${live.base}/api/gateway/runs`, { headers: LIVE_AUTH })).status === 429, 10_000, 'every slot taken');
      expect(((await refused.json()) as { code: string }).code).toBe('concurrency_limit');
      expect(await healthMs(live.base)).toBeLessThan(1000); // the event loop is free meanwhile
      const answers = await Promise.all(stalled.map((c) => c.closed(5000)));
      for (const a of answers) {
        expect(a).toStartWith('HTTP/1.1 408');
        expect(a).toContain('"code":"body_timeout"');
        expect(a).toContain('ABSTRACTGATEWAY_BODY_TIMEOUT_S');
      }
      expect((await fetch(`${live.base}/api/gateway/runs`, { headers: LIVE_AUTH })).status).toBe(200);
    } finally { await live.stop(); }
  });

  test('a client that goes away mid-body frees its slot at once', async () => {
    const live = await startLive({ ABSTRACTGATEWAY_BODY_TIMEOUT_S: '60', ABSTRACTGATEWAY_MAX_CONCURRENCY: '2' });
    try {
      const head = requestHead('POST', '/api/gateway/commands', { 'content-type': 'application/json', 'content-length': '1000' });
      const a = await rawClient(live.port, head + '{');
      const b = await rawClient(live.port, head + '{');
      await eventually(async () => (await fetch(`${live.base}/api/gateway/runs`, { headers: LIVE_AUTH })).status === 429, 10_000, 'both slots taken');
      a.socket.destroy();
      b.socket.destroy();
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        await Bun.sleep(20);
        status = (await fetch(`${live.base}/api/gateway/runs`, { headers: LIVE_AUTH })).status;
      }
      expect(status).toBe(200);
    } finally { await live.stop(); }
  });

  test('48 concurrent clients (another process) never see a 429 with a limit of 64', async () => {
    const live = await startLive({ ABSTRACTGATEWAY_MAX_CONCURRENCY: '64' }, { runner: true });
    try {
      const proc = Bun.spawn([process.execPath, join(import.meta.dir, 'load-client.ts'), live.base, LIVE_TOKEN, '48', '25'], { stdout: 'pipe', stderr: 'inherit' });
      const counts = JSON.parse(await new Response(proc.stdout).text()) as Record<string, number>;
      expect(await proc.exited).toBe(0);
      expect(counts).toEqual({ 200: 48 * 25 });
    } finally { await live.stop(); }
  }, 60_000);

  describe('SSE: stalled readers cannot lock subscribers out', () => {
    let live: Live;
    let runId: string;
    beforeAll(async () => {
      live = await startLive({ ABSTRACTGATEWAY_MAX_SSE: '8', ABSTRACTGATEWAY_TRUST_PROXY: '1' });
      runId = ((await (await fetch(`${live.base}/api/gateway/runs/start`, { method: 'POST', headers: JSON_HEADERS, body: '{"bundle_id":"demo"}' })).json()) as { run_id: string }).run_id;
    });
    afterAll(() => live.stop());

    const streamHead = (ip: string) => requestHead('GET', `/api/gateway/runs/${runId}/ledger/stream?heartbeat_s=30`, { 'x-forwarded-for': ip });

    test('8 never-reading sockets fill the pool; a new subscriber still gets its stream, the oldest stalled one is replaced', async () => {
      const stalled: RawClient[] = [];
      for (let i = 0; i < 8; i++) {
        const c = await rawClient(live.port, streamHead('10.0.0.1'), { paused: true });
        stalled.push(c);
        await Bun.sleep(20); // distinct open times: the first is the oldest
      }
      await Bun.sleep(100);
      const ac = new AbortController();
      const res = await fetch(`${live.base}/api/gateway/runs/${runId}/ledger/stream`, { headers: { ...LIVE_AUTH, 'x-forwarded-for': '10.0.0.2' }, signal: ac.signal });
      expect(res.status).toBe(200);
      const first = await res.body!.getReader().read();
      expect(new TextDecoder().decode(first.value)).toContain(': keep-alive'); // the run is idle: the stream is open
      stalled[0]!.socket.resume();
      const gone = await stalled[0]!.waitFor('\r\n0\r\n\r\n', 5000); // the chunked response ended
      expect(gone).toContain(': stream replaced by a newer one');
      for (const c of stalled.slice(1)) { c.socket.resume(); expect(c.received()).not.toContain('stream replaced'); }
      ac.abort();
      for (const c of stalled) c.socket.destroy();
    });

    test('a stream whose socket buffer is full (client not reading) is replaced before an older stream that reads', async () => {
      const full = await startLive({ ABSTRACTGATEWAY_MAX_SSE: '3' });
      try {
        const run = ((await (await fetch(`${full.base}/api/gateway/runs/start`, { method: 'POST', headers: JSON_HEADERS, body: '{"bundle_id":"demo"}' })).json()) as { run_id: string }).run_id;
        const head = requestHead('GET', `/api/gateway/runs/${run}/ledger/stream?heartbeat_s=30`);
        const reader = await rawClient(full.port, head); // the oldest, and it reads everything
        await reader.waitFor(': keep-alive');
        const stuck = await rawClient(full.port, head, { paused: true });
        await Bun.sleep(50);
        const third = await rawClient(full.port, head);
        await third.waitFor(': keep-alive');
        // ~24 MB of records: far more than the kernel buffers of a socket nobody reads
        const now = new Date().toISOString();
        const blob = 'x'.repeat(120_000);
        for (let i = 0; i < 200; i++) {
          await full.gw.store.ledger.append({
            run_id: run, step_id: `s${i}`, node_id: 'n', status: 'completed', effect: null, result: { blob }, error: null,
            started_at: now, ended_at: now, actor_id: 'gateway', session_id: null, attempt: 1, idempotency_key: null,
          });
        }
        await reader.waitFor('id: 200\n', 10_000);
        await third.waitFor('id: 200\n', 10_000);
        const newcomer = await rawClient(full.port, head);
        await newcomer.waitFor('id: 1\n');
        // (booleans, not the texts: they hold megabytes)
        expect([reader, third, newcomer].map((c) => c.received().includes('stream replaced'))).toEqual([false, false, false]);
        // the stuck one was replaced: once it reads again, what was buffered arrives and then its response ends;
        // the others are still open
        stuck.socket.resume();
        const got = await stuck.waitFor('\r\n0\r\n\r\n', 10_000);
        const ended = (t: string) => t.endsWith('\r\n0\r\n\r\n');
        expect([ended(got), ...[reader, third, newcomer].map((c) => ended(c.received()))]).toEqual([true, false, false, false]);
        for (const c of [reader, third, newcomer, stuck]) c.socket.destroy();
      } finally { await full.stop(); }
    }, 30_000);

    test('one address holds at most its share (ABSTRACTGATEWAY_MAX_SSE_PER_CLIENT): its new stream replaces its own oldest', async () => {
      const share = await startLive({ ABSTRACTGATEWAY_MAX_SSE: '8', ABSTRACTGATEWAY_MAX_SSE_PER_CLIENT: '2', ABSTRACTGATEWAY_TRUST_PROXY: '1' });
      try {
        const run = ((await (await fetch(`${share.base}/api/gateway/runs/start`, { method: 'POST', headers: JSON_HEADERS, body: '{"bundle_id":"demo"}' })).json()) as { run_id: string }).run_id;
        const head = (ip: string) => requestHead('GET', `/api/gateway/runs/${run}/ledger/stream?heartbeat_s=30`, { 'x-forwarded-for': ip });
        const other = await rawClient(share.port, head('10.0.0.9'));
        await other.waitFor(': keep-alive');
        const mine: RawClient[] = [];
        for (let i = 0; i < 3; i++) { const c = await rawClient(share.port, head('10.0.0.1')); await c.waitFor(': keep-alive'); mine.push(c); }
        expect(await mine[0]!.waitFor('\r\n0\r\n\r\n', 5000)).toContain(': stream replaced by a newer one');
        for (const c of [other, mine[1]!, mine[2]!]) expect(c.received()).not.toContain('stream replaced');
        for (const c of [other, ...mine]) c.socket.destroy();
      } finally { await share.stop(); }
    });
  });
});
