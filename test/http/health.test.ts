import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startGateway, type TestGateway } from './support.ts';

let gw: TestGateway;
beforeAll(async () => { gw = await startGateway(); });
afterAll(() => gw.close());

describe('health, ping, errors', () => {
  test('GET /api/health is the fixed public body', async () => {
    const r = await gw.json('/api/health');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'healthy', service: 'abstractgateway' });
  });

  test('GET /api/gateway/ping answers with a Python-style timestamp', async () => {
    const r = await gw.json('/api/gateway/ping');
    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(true);
    expect(r.body.status).toBe('healthy');
    expect(r.body.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
  });

  test('unknown route → 404 in the one error shape', async () => {
    const r = await gw.json('/api/gateway/nope');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ detail: 'Not Found', code: 'not_found' });
  });

  test('a second app cannot listen on a port already in use', async () => {
    const { createApp } = await import('../../src/http/app.ts');
    const other = createApp({ store: gw.store, registry: gw.registry, runtime: gw.runtime, config: gw.config });
    expect(() => other.listen({ port: Number(new URL(gw.base).port), hostname: '127.0.0.1' })).toThrow();
  });

  test('malformed JSON → 400 bad_request, never a 500', async () => {
    const r = await gw.json('/api/gateway/commands', { method: 'POST', body: '{nope', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('bad_request');
  });
});
