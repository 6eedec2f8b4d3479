// The security middleware checklist (docs/security.md) and friends, over real HTTP.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { eventually } from '../../support/clock.ts';
import { auth, policyFor, rawRequest, serve, waitForLines, tempDir, TOKEN, type Served } from './harness.ts';
import { assertNoTokenLeak } from './leak.ts';

const servers: Served[] = [];
function start(env: Record<string, string> = {}, overrides = {}): Served {
  const dir = tempDir();
  const s = serve(policyFor(dir, env, overrides), dir);
  servers.push(s);
  return s;
}
afterAll(() => servers.forEach((s) => s.stop()));

const post = (s: Served, path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(s.base + path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

async function expectError(res: Response, status: number, code: string): Promise<{ detail: string; code: string }> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toStartWith('application/json');
  const body = (await res.json()) as { detail: string; code: string };
  expect(body.code).toBe(code);
  expect(typeof body.detail).toBe('string');
  return body;
}

describe('auth', () => {
  let s: Served;
  beforeAll(() => { s = start({ ABSTRACTGATEWAY_LOCKOUT_AFTER: '1000' }); }); // many failures here: no lockout

  test('GET without token → 401 with WWW-Authenticate and an actionable detail', async () => {
    const res = await fetch(s.base + '/api/gateway/runs');
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    const body = await expectError(res, 401, 'unauthorized');
    expect(body.detail).toContain('Authorization: Bearer');
  });

  test('POST without token → 401', async () => {
    await expectError(await post(s, '/api/gateway/commands', '{}'), 401, 'unauthorized');
  });

  test('valid token passes; scheme is case-insensitive and the token trimmed', async () => {
    expect((await fetch(s.base + '/api/gateway/runs', { headers: auth() })).status).toBe(200);
    expect((await fetch(s.base + '/api/gateway/runs', { headers: { authorization: `bEaReR   ${TOKEN}  ` } })).status).toBe(200);
  });

  test('wrong token, wrong scheme, prefix of the token → 401', async () => {
    for (const h of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, 'Bearer']) {
      const res = await fetch(s.base + '/api/gateway/runs', { headers: { authorization: h } });
      expect(res.status).toBe(401);
    }
  });

  test('unknown routes under the prefix are 401, not 404; auth runs before body validation', async () => {
    expect((await fetch(s.base + '/api/gateway/nope')).status).toBe(401);
    expect((await post(s, '/api/gateway/commands', '{not json')).status).toBe(401);
  });

  test('SSE path without token → 401', async () => {
    await expectError(await fetch(s.base + '/api/gateway/runs/x/ledger/stream'), 401, 'unauthorized');
  });

  test('scope is a path-segment match: /api/health and /api/gatewayX are public', async () => {
    expect((await fetch(s.base + '/api/health')).status).toBe(200);
    expect(await (await fetch(s.base + '/api/gatewayX')).text()).toBe('outside');
  });

  test('path spellings cannot slip past the check (raw request lines, no client-side normalisation)', async () => {
    const port = Number(new URL(s.base).port);
    const paths = ['/api/gateway/runs', '//api/gateway/runs', '/api/gateway//runs', '/api/%67ateway/runs', '/api/health/../gateway/runs',
      '/api/gateway/./runs', '/api/gateway%2Fruns', 'http://x/api/gateway/runs'];
    for (const path of paths) {
      const res = await rawRequest(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(`${path} → ${res.split('\r\n')[0]}`).toBe(`${path} → HTTP/1.1 401 Unauthorized`);
    }
  });

  test('with no token configured, protected requests get 503 (not open access)', async () => {
    const s2 = start({ ABSTRACTGATEWAY_AUTH_TOKEN: '' });
    const body = await expectError(await fetch(s2.base + '/api/gateway/runs'), 503, 'auth_not_configured');
    expect(body.detail).toContain('ABSTRACTGATEWAY_AUTH_TOKEN');
  });

  test('several tokens: any configured one is accepted', async () => {
    const s2 = start({ ABSTRACTGATEWAY_AUTH_TOKEN: 'first-token-aaaaaaaa', ABSTRACTGATEWAY_AUTH_TOKENS: 'second-token-bbbbbbb, third-token-ccccccc' });
    for (const t of ['first-token-aaaaaaaa', 'second-token-bbbbbbb', 'third-token-ccccccc']) {
      expect((await fetch(s2.base + '/api/gateway/runs', { headers: auth(t) })).status).toBe(200);
    }
    expect((await fetch(s2.base + '/api/gateway/runs', { headers: auth(TOKEN) })).status).toBe(401);
  });
});

describe('protect flags', () => {
  test('DEV_READ_NO_AUTH lets loopback reads through, not writes', async () => {
    const s = start({ ABSTRACTGATEWAY_DEV_READ_NO_AUTH: '1' });
    expect((await fetch(s.base + '/api/gateway/runs')).status).toBe(200);
    expect((await post(s, '/api/gateway/commands', '{}')).status).toBe(401);
  });

  test('DEV_READ_NO_AUTH does not apply to a non-loopback client (via trusted X-Forwarded-For)', async () => {
    const s = start({ ABSTRACTGATEWAY_DEV_READ_NO_AUTH: '1', ABSTRACTGATEWAY_TRUST_PROXY: '1' });
    expect((await fetch(s.base + '/api/gateway/runs', { headers: { 'x-forwarded-for': '203.0.113.9' } })).status).toBe(401);
  });

  test('PROTECT_WRITE=0 and no tokens → POST passes', async () => {
    const s = start({ ABSTRACTGATEWAY_AUTH_TOKEN: '', ABSTRACTGATEWAY_PROTECT_WRITE: '0' });
    const res = await post(s, '/api/gateway/commands', '{"a":1}');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: true, got: { a: 1 } });
  });

  test('PROTECT_READ=0 → GET passes without token, POST still needs one', async () => {
    const s = start({ ABSTRACTGATEWAY_PROTECT_READ: '0' });
    expect((await fetch(s.base + '/api/gateway/runs')).status).toBe(200);
    expect((await post(s, '/api/gateway/commands', '{}')).status).toBe(401);
  });

  test('SECURITY=0 disables everything under /api/gateway', async () => {
    const s = start({ ABSTRACTGATEWAY_SECURITY: '0', ABSTRACTGATEWAY_MAX_BODY_BYTES: '10' });
    const res = await fetch(s.base + '/api/gateway/runs', { headers: { origin: 'http://evil.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    expect((await post(s, '/api/gateway/commands', '{"big":"xxxxxxxxxxxxxxxx"}')).status).toBe(200);
    await Bun.sleep(20);
    expect(await Bun.file(join(s.dataDir, 'audit_log.jsonl')).exists()).toBe(false);
  });
});

describe('origin', () => {
  test('disallowed origin → 403 even with a valid token; allowed origin passes', async () => {
    const s = start({ ABSTRACTGATEWAY_ALLOWED_ORIGINS: 'http://localhost:*' });
    const body = await expectError(await fetch(s.base + '/api/gateway/runs', { headers: { ...auth(), origin: 'http://evil.example' } }), 403, 'origin_not_allowed');
    expect(body.detail).toContain('ABSTRACTGATEWAY_ALLOWED_ORIGINS');
    const ok = await fetch(s.base + '/api/gateway/runs', { headers: { ...auth(), origin: 'http://localhost:5173' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(ok.headers.get('access-control-expose-headers')).toContain('x-request-id');
  });

  test('glob https://*.ngrok-free.app allows a tunnel subdomain', async () => {
    const s = start({ ABSTRACTGATEWAY_ALLOWED_ORIGINS: 'https://*.ngrok-free.app' });
    expect((await fetch(s.base + '/api/gateway/runs', { headers: { ...auth(), origin: 'https://cd37c7c7a7de.ngrok-free.app' } })).status).toBe(200);
    expect((await fetch(s.base + '/api/gateway/runs', { headers: { ...auth(), origin: 'https://ngrok-free.app.evil.com' } })).status).toBe(403);
  });

  test('no Origin header → not checked; empty allowlist rejects every Origin', async () => {
    const s = start({ ABSTRACTGATEWAY_ALLOWED_ORIGINS: ',,' });
    expect((await fetch(s.base + '/api/gateway/runs', { headers: auth() })).status).toBe(200);
    expect((await fetch(s.base + '/api/gateway/runs', { headers: { ...auth(), origin: 'http://localhost:1' } })).status).toBe(403);
  });

  test('preflight: allowed origin gets CORS 204, denied origin gets 403 without CORS headers', async () => {
    const s = start();
    const pre = (origin: string) => fetch(s.base + '/api/gateway/commands', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    const ok = await pre('http://127.0.0.1:3000');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:3000');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('access-control-allow-headers')).toContain('authorization');
    const denied = await pre('http://evil.example');
    expect(denied.status).toBe(403);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('CORS headers are present on security rejections for allowed origins', async () => {
    const s = start();
    const res = await fetch(s.base + '/api/gateway/runs', { headers: { origin: 'http://localhost:8080' } });
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:8080');
  });
});

describe('body limits', () => {
  let s: Served;
  beforeAll(() => {
    s = start({ ABSTRACTGATEWAY_MAX_BODY_BYTES: '2000', ABSTRACTGATEWAY_MAX_UPLOAD_BODY_BYTES: '100000' });
  });
  const big = JSON.stringify({ x: 'a'.repeat(10_000) });

  test('JSON of ~10 kB over a 2000-byte cap → 413 naming both sizes', async () => {
    const body = await expectError(await post(s, '/api/gateway/commands', big, auth()), 413, 'payload_too_large');
    expect(body.detail).toBe(`Payload Too Large (${big.length} bytes > 2000 bytes)`);
  });

  test('uploads get their own cap', async () => {
    const form = () => { const f = new FormData(); f.append('file', new Blob([new Uint8Array(20_000)]), 'x.flow'); return f; };
    for (const path of ['/api/gateway/bundles/upload', '/api/gateway/attachments/upload']) {
      const res = await fetch(s.base + path, { method: 'POST', body: form(), headers: auth() });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { bytes: number }).bytes).toBeGreaterThan(20_000);
    }
    const tight = start({ ABSTRACTGATEWAY_MAX_BODY_BYTES: '2000', ABSTRACTGATEWAY_MAX_UPLOAD_BODY_BYTES: '10000' });
    const res = await fetch(tight.base + '/api/gateway/attachments/upload', { method: 'POST', body: form(), headers: auth() });
    await expectError(res, 413, 'payload_too_large');
  });

  test('chunked bodies (no Content-Length) are measured: over → 413, under → reaches the route intact', async () => {
    const chunked = (text: string) => new ReadableStream<Uint8Array>({
      start(c) { const b = new TextEncoder().encode(text); c.enqueue(b.slice(0, 700)); c.enqueue(b.slice(700)); c.close(); },
    });
    const over = await fetch(s.base + '/api/gateway/echo-size', { method: 'POST', body: chunked(big), headers: auth() });
    const err = await expectError(over, 413, 'payload_too_large');
    expect(err.detail).toMatch(/^Payload Too Large \(\d+\+ bytes > 2000 bytes\)$/);
    const small = 'b'.repeat(1500);
    const under = await fetch(s.base + '/api/gateway/echo-size', { method: 'POST', body: chunked(small), headers: auth() });
    expect(under.status).toBe(200);
    expect(await under.json()).toEqual({ bytes: 1500 });
  });

  test('reads are not size-checked; auth comes before size (no 413 for strangers)', async () => {
    expect((await post(s, '/api/gateway/commands', big)).status).toBe(401);
  });
});

describe('concurrency', () => {
  test('max_concurrency=1: two concurrent slow GETs → one 200 and one 429 with Retry-After; slot freed afterwards', async () => {
    const s = start({ ABSTRACTGATEWAY_MAX_CONCURRENCY: '1' });
    const first = fetch(s.base + '/api/gateway/slow', { headers: auth() });
    while (s.gate.waiting() === 0) await Bun.sleep(5); // first is inside its handler, holding the slot
    const second = await fetch(s.base + '/api/gateway/slow', { headers: auth() });
    const body = await expectError(second, 429, 'concurrency_limit');
    expect(second.headers.get('retry-after')).toBe('1');
    expect(body.detail).toContain('1 concurrent requests');
    s.gate.open();
    expect((await first).status).toBe(200);
    // the slot is released once the first response is sent
    await eventually(async () => (await fetch(s.base + '/api/gateway/runs', { headers: auth() })).status === 200, 10_000, 'the slot to be free again');
  });

  test('slots are released after errors (404, bad body) too', async () => {
    const s = start({ ABSTRACTGATEWAY_MAX_CONCURRENCY: '1' });
    for (let i = 0; i < 3; i++) {
      expect((await fetch(s.base + '/api/gateway/nope', { headers: auth() })).status).toBe(404);
      expect((await post(s, '/api/gateway/commands', '{bad', auth())).status).toBeGreaterThanOrEqual(400);
    }
    expect((await fetch(s.base + '/api/gateway/runs', { headers: auth() })).status).toBe(200);
  });
});

describe('request id', () => {
  test('echoes X-Request-Id, generates 32 hex otherwise, also on rejections', async () => {
    const s = start();
    const echoed = await fetch(s.base + '/api/gateway/runs', { headers: { ...auth(), 'x-request-id': 'abc-123' } });
    expect(echoed.headers.get('x-request-id')).toBe('abc-123');
    const fresh = await fetch(s.base + '/api/gateway/runs');
    expect(fresh.status).toBe(401);
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    const weird = await fetch(s.base + '/api/gateway/runs', { headers: { ...auth(), 'x-request-id': 'a b<script>' } });
    expect(weird.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('audit', () => {
  test('authorised POST is audited with its request id and no token text; query values redacted', async () => {
    const s = start({ ABSTRACTGATEWAY_AUDIT_LOG_HEADERS: 'x-client-id,authorization' });
    const res = await post(s, '/api/gateway/commands?secret=hunter2&after=3', '{"a":1}', { ...auth(), 'x-client-id': 'observer', origin: 'http://localhost:5173' });
    expect(res.status).toBe(200);
    const rid = res.headers.get('x-request-id');
    const file = join(s.dataDir, 'audit_log.jsonl');
    const last = (await waitForLines(file, 1)).at(-1)!;
    expect(last).toMatchObject({
      request_id: rid, method: 'POST', path: '/api/gateway/commands', status: 200, auth_required: true,
      ip: '127.0.0.1', query: 'secret=<redacted>&after=<redacted>', headers: { 'x-client-id': 'observer' },
      origin: 'http://localhost:5173', bytes_in: 7,
    });
    expect(last.auth_token_fp).toMatch(/^[0-9a-f]{12}$/);
    const text = await Bun.file(file).text();
    assertNoTokenLeak(text, [TOKEN]);
    expect(text).not.toContain('hunter2');
  });

  test('rejected writes are audited (401, 403, 413); reads are not', async () => {
    const s = start({ ABSTRACTGATEWAY_MAX_BODY_BYTES: '5' });
    const r401 = await post(s, '/api/gateway/commands', '{}', { authorization: 'Bearer wrong-token-value' });
    const r403 = await post(s, '/api/gateway/commands', '{}', { ...auth(), origin: 'http://evil.example' });
    const r413 = await post(s, '/api/gateway/commands', '{"x":12345}', auth());
    await fetch(s.base + '/api/gateway/runs', { headers: auth() });
    const lines = await waitForLines(join(s.dataDir, 'audit_log.jsonl'), 3);
    expect(lines.map((l) => [l.request_id, l.status, l.error])).toEqual([
      [r401.headers.get('x-request-id'), 401, 'unauthorized'],
      [r403.headers.get('x-request-id'), 403, 'origin_not_allowed'],
      [r413.headers.get('x-request-id'), 413, 'payload_too_large'],
    ]);
    expect(lines[0]!.auth_required).toBe(true);
    expect(lines[0]!.auth_token_fp).toBeUndefined(); // never fingerprint a rejected guess
    assertNoTokenLeak(JSON.stringify(lines), ['wrong-token-value', TOKEN]);
  });

  test('GET /audit/tail returns the newest entries and is itself protected', async () => {
    const s = start();
    for (let i = 0; i < 3; i++) await post(s, '/api/gateway/commands', '{}', { ...auth(), 'x-request-id': `req-${i}` });
    expect((await fetch(s.base + '/api/gateway/audit/tail')).status).toBe(401);
    const res = await fetch(s.base + '/api/gateway/audit/tail?limit=2', { headers: auth() });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { ok: boolean; truncated: boolean; content: string; entries: { request_id: string }[] };
    expect(body.ok).toBe(true);
    expect(body.truncated).toBe(true);
    expect(body.entries.map((e) => e.request_id)).toEqual(['req-1', 'req-2']);
    expect(body.content.trim().split('\n')).toHaveLength(2);
    await expectError(await fetch(s.base + '/api/gateway/audit/tail?limit=0', { headers: auth() }), 400, 'bad_request');
  });

  test('AUDIT_LOG=0 writes nothing', async () => {
    const s = start({ ABSTRACTGATEWAY_AUDIT_LOG: '0' });
    await post(s, '/api/gateway/commands', '{}', auth());
    expect(await Bun.file(join(s.dataDir, 'audit_log.jsonl')).exists()).toBe(false);
  });
});
