// The console's HTTP side without a browser: `/` redirects, the page and its assets load without a token
// (they hold no data) while every API call still needs it, assets are cached by ETag, a same-origin page may
// write (Origin = its own scheme://host) while other origins stay refused, and the browser bundle carries no
// server code.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConsole } from '../../src/console/build.ts';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import type { GatewayApp } from '../../src/http/app.ts';
import { createHttpApp } from '../../src/serve.ts';

const TOKEN = 'console-routes-token-0123456789';
const BASE = 'http://gw.test:8080';
let dir: string;
let gw: Gateway;
let app: GatewayApp;
const get = (path: string, headers: Record<string, string> = {}) => app.handle(new Request(BASE + path, { headers }));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ag-console-routes-'));
  const config = loadConfig({}, { dataDir: dir, flowsDir: join(dir, 'flows') });
  gw = await createGateway(config, { env: { ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN }, log: () => {} });
  app = createHttpApp(gw).app;
});
afterAll(async () => {
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('console routes', () => {
  test('GET / redirects to /console; the page loads without a token and is locked to this origin', async () => {
    const root = await get('/');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console');
    const page = await get('/console');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await page.text();
    expect(html).toContain('<script type="module" src="/console/assets/app.js">');
    expect(html).not.toMatch(/https?:\/\//); // no CDN
  });

  test('assets load without a token, carry an ETag and answer 304 to a matching If-None-Match', async () => {
    const js = await get('/console/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
    expect(js.headers.get('x-console-assets')).toBe('built'); // no embedded copy outside the binary
    const etag = js.headers.get('etag')!;
    expect(etag).toMatch(/^"\w+"$/);
    expect((await js.text()).length).toBeGreaterThan(10_000);
    expect((await get('/console/assets/app.js', { 'if-none-match': etag })).status).toBe(304);
    const css = await get('/console/assets/app.css');
    expect(css.status).toBe(200);
    expect(await css.text()).toContain('[data-theme=');
  });

  test('every API call still needs the token', async () => {
    expect((await get('/api/gateway/runs')).status).toBe(401);
    expect((await get('/api/gateway/runs', { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });

  test('a write from the same origin passes the Origin check; a foreign origin is refused', async () => {
    const post = (origin: string, token = TOKEN) => app.handle(new Request(`${BASE}/api/gateway/commands`, {
      method: 'POST',
      headers: { origin, authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ command_id: crypto.randomUUID(), run_id: 'some-run', type: 'pause', payload: {} }),
    }));
    expect((await post(BASE)).status).toBe(200);
    expect((await post(BASE, 'wrong-token-0123456789')).status).toBe(401); // same origin is no credential
    const foreign = await post('http://evil.test:8080');
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { code: string }).code).toBe('origin_not_allowed');
  });

  test('the browser bundle holds no server code and stays small', async () => {
    const { js, css } = await buildConsole();
    for (const marker of ['bun:sqlite', 'elysia', 'node:fs', 'CREATE TABLE']) expect(js).not.toContain(marker);
    expect(js.length).toBeLessThan(200_000);
    expect(css.length).toBeGreaterThan(1000);
  });
});
