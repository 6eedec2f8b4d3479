// The body check of the security plugin (issue 12 §5–§6) on the test app: JSON nesting refused before parsing,
// stalled bodies answered 408 with their slot freed, and both still on with SECURITY=0.
import { afterAll, describe, expect, test } from 'bun:test';
import { connect } from 'node:net';
import { eventually } from '../../support/clock.ts';
import { auth, policyFor, serve, tempDir, TOKEN, type Served } from './harness.ts';

const servers: Served[] = [];
function start(env: Record<string, string> = {}): Served {
  const dir = tempDir();
  const s = serve(policyFor(dir, env), dir);
  servers.push(s);
  return s;
}
afterAll(() => servers.forEach((s) => s.stop()));

const post = (s: Served, path: string, body: string, type = 'application/json') =>
  fetch(s.base + path, { method: 'POST', headers: { ...auth(), 'content-type': type }, body });
const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

/** Sends the head and a partial body, then nothing; resolves with what the server answers. */
function stalled(s: Served, path: string, sent: string): Promise<string> {
  return new Promise((resolve) => {
    let buf = '';
    const port = Number(new URL(s.base).port);
    const sock = connect({ host: '127.0.0.1', port }, () => {
      sock.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n${sent}`);
    });
    sock.on('data', (d) => { buf += d.toString(); });
    sock.on('close', () => resolve(buf));
    sock.on('error', () => resolve(buf));
  });
}

describe('JSON nesting', () => {
  test('deeper than ABSTRACTGATEWAY_MAX_JSON_DEPTH → 400 json_too_deep naming the variable; at the limit → the route', async () => {
    const s = start({ ABSTRACTGATEWAY_MAX_JSON_DEPTH: '8' });
    const res = await post(s, '/api/gateway/commands', `{"a":${deep(8)}}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ detail: 'JSON body nests arrays/objects deeper than 8 levels (ABSTRACTGATEWAY_MAX_JSON_DEPTH)', code: 'json_too_deep' });
    expect((await post(s, '/api/gateway/commands', `{"a":${deep(7)}}`)).status).toBe(200);
    // not JSON: not scanned (the route's own parser decides)
    expect((await post(s, '/api/gateway/echo-size', deep(100), 'text/plain')).status).toBe(200);
  });

  test('SECURITY=0 still refuses it (robustness, not access control)', async () => {
    const s = start({ ABSTRACTGATEWAY_SECURITY: '0' });
    expect((await post(s, '/api/gateway/commands', `{"a":${deep(100_000)}}`)).status).toBe(400);
    expect((await post(s, '/api/gateway/commands', `{"a":${deep(10)}}`)).status).toBe(200);
  });
});

describe('body timeout', () => {
  test('a body that stalls gets 408 body_timeout after ABSTRACTGATEWAY_BODY_TIMEOUT_S and its slot is free again', async () => {
    const s = start({ ABSTRACTGATEWAY_BODY_TIMEOUT_S: '0.3', ABSTRACTGATEWAY_MAX_CONCURRENCY: '1' });
    const answer = stalled(s, '/api/gateway/commands', '{"a":');
    // the stalled one holds the slot (once its head has reached the server)
    await eventually(async () => (await fetch(s.base + '/api/gateway/runs', { headers: auth() })).status === 429, 10_000, 'the stalled request to hold the slot');
    const text = await answer;
    expect(text).toStartWith('HTTP/1.1 408');
    expect(text).toContain('"code":"body_timeout"');
    expect(text).toContain('within 0.3 s (ABSTRACTGATEWAY_BODY_TIMEOUT_S)');
    expect((await fetch(s.base + '/api/gateway/runs', { headers: auth() })).status).toBe(200);
  });

  test('uploads have their own, longer deadline (ABSTRACTGATEWAY_UPLOAD_TIMEOUT_S)', async () => {
    const s = start({ ABSTRACTGATEWAY_BODY_TIMEOUT_S: '30', ABSTRACTGATEWAY_UPLOAD_TIMEOUT_S: '0.3' });
    const text = await stalled(s, '/api/gateway/bundles/upload', 'PK');
    expect(text).toStartWith('HTTP/1.1 408');
    expect(text).toContain('ABSTRACTGATEWAY_UPLOAD_TIMEOUT_S');
  });

  test('SECURITY=0 still times a stalled body out', async () => {
    const s = start({ ABSTRACTGATEWAY_SECURITY: '0', ABSTRACTGATEWAY_BODY_TIMEOUT_S: '0.3' });
    expect(await stalled(s, '/api/gateway/commands', '{')).toStartWith('HTTP/1.1 408');
  });
});

describe('a JSON body read by the check', () => {
  // A JSON body of declared length is read once, from the request itself; the route then reads the same bytes.
  test('reaches a route that reads the raw request intact, and bad JSON is still 400 for a parsing route', async () => {
    const s = start();
    const body = JSON.stringify({ a: [1, 2, { b: 'é' }] });
    const raw = await post(s, '/api/gateway/echo-size', body);
    expect(await raw.json()).toEqual({ bytes: Buffer.byteLength(body) });
    expect(await (await post(s, '/api/gateway/commands', body)).json()).toEqual({ accepted: true, got: JSON.parse(body) });
    expect((await post(s, '/api/gateway/commands', '{"command_id": ')).status).toBe(400);
  });
});
