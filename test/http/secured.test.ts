// createApp with the security plugin mounted: the API behind auth, docs and health public, SSE slots released.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { loadSecurityPolicy } from '../../src/http/security/index.ts';
import { startGateway, type TestGateway } from './support.ts';

const TOKEN = 'test-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };
let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway({
    security: (dataDir) =>
      loadSecurityPolicy({ ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN, ABSTRACTGATEWAY_MAX_SSE: '1', ABSTRACTGATEWAY_ALLOWED_ORIGINS: 'http://localhost:*' }, { dataDir }),
  });
});
afterAll(() => gw.close());

describe('with the security layer', () => {
  test('a JSON body the body check read reaches the route parsed; malformed JSON is the one 400', async () => {
    const send = (body: string) => gw.json('/api/gateway/commands', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body });
    const ok = await send(JSON.stringify({ command_id: 'sec-1', run_id: 'r-sec', type: 'pause', payload: { reason: 'é' } }));
    expect(ok.body).toMatchObject({ accepted: true, duplicate: false });
    expect((await gw.store.commands.get('sec-1'))?.payload).toEqual({ reason: 'é' });
    expect(await send('{"command_id": ')).toMatchObject({ status: 400, body: { detail: 'Malformed request body', code: 'bad_request' } });
    expect(await send('')).toMatchObject({ status: 400, body: { code: 'bad_request' } });
  });

  test('health, docs and the OpenAPI document stay public', async () => {
    expect((await gw.json('/api/health')).status).toBe(200);
    expect((await gw.json('/openapi.json')).status).toBe(200);
    expect((await fetch(gw.url('/docs'))).status).toBe(200);
  });

  test('gateway routes need the bearer token; rejections use the one error shape', async () => {
    const r = await gw.json('/api/gateway/bundles');
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer');
    expect(r.body.code).toBe('unauthorized');
    expect(typeof r.body.detail).toBe('string');
    const ok = await gw.json('/api/gateway/bundles', { headers: auth });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    const ping = await gw.json('/api/gateway/ping', { headers: { ...auth, 'x-request-id': 'req-1' } });
    expect(ping.headers.get('x-request-id')).toBe('req-1');
  });

  test('an unauthenticated bad body gets 401, not validation details', async () => {
    const r = await gw.post('/api/gateway/commands', { nope: true });
    expect(r.status).toBe(401);
  });

  test('a finished SSE stream frees its slot (MAX_SSE=1 allows sequential streams)', async () => {
    const run = await gw.seedRun({}, [{}]);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(gw.url(`/api/gateway/runs/${run.run_id}/ledger/stream`), { headers: auth });
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('event: done');
    }
  });

  test('CORS: an allowed origin is echoed, a foreign one is refused with 403', async () => {
    const ok = await fetch(gw.url('/api/gateway/bundles'), { headers: { ...auth, origin: 'http://localhost:5173' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const bad = await gw.json('/api/gateway/bundles', { headers: { ...auth, origin: 'http://evil.example' } });
    expect(bad.status).toBe(403);
  });
});
