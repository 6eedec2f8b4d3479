import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startGateway, type TestGateway } from './support.ts';

let gw: TestGateway;
beforeAll(async () => { gw = await startGateway(); });
afterAll(() => gw.close());

describe('OpenAPI document and offline docs', () => {
  test('/openapi.json documents every core route with schemas, examples and a bearer scheme', async () => {
    const r = await gw.json('/openapi.json');
    expect(r.status).toBe(200);
    const doc = r.body;
    expect(doc.components.securitySchemes.gatewayBearerAuth).toEqual({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ gatewayBearerAuth: [] }]);
    for (const [path, method] of [
      ['/api/health', 'get'], ['/api/gateway/ping', 'get'], ['/api/gateway/bundles', 'get'], ['/api/gateway/bundles/upload', 'post'],
      ['/api/gateway/bundles/{bundle_id}', 'delete'], ['/api/gateway/runs/start', 'post'], ['/api/gateway/runs/{run_id}', 'get'],
      ['/api/gateway/runs/{run_id}/ledger', 'get'], ['/api/gateway/runs/ledger/batch', 'post'],
      ['/api/gateway/runs/{run_id}/ledger/stream', 'get'], ['/api/gateway/commands', 'post'],
      ['/api/gateway/commands/{command_id}', 'get'], ['/api/gateway/discovery/capabilities', 'get'],
      ['/api/gateway/runs/{run_id}/artifacts/{artifact_id}/content', 'get'], ['/api/gateway/workflows/{workflow_id}/flow', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method]).toBeDefined();
    }
    expect(doc.paths['/api/health'].get.security).toEqual([]);
    const cmd = doc.paths['/api/gateway/commands'].post;
    const body = cmd.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(expect.arrayContaining(['command_id', 'run_id', 'type']));
    expect(body.example ?? body.examples).toBeDefined();
    const listParams = doc.paths['/api/gateway/runs'].get.parameters.map((p: any) => p.name);
    expect(listParams).toEqual(expect.arrayContaining(['limit', 'status', 'cursor', 'include_metrics']));
    expect(doc.paths['/api/gateway/runs/{run_id}'].get.responses['404']).toBeDefined();
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/docs'))).toBe(false);
  });

  test('/docs serves Swagger UI from embedded assets, no CDN', async () => {
    const page = await fetch(gw.url('/docs'));
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('/openapi.json');
    const js = await fetch(gw.url('/docs/assets/swagger-ui-bundle.js'));
    expect(js.status).toBe(200);
    expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(500_000);
    const css = await fetch(gw.url('/docs/assets/swagger-ui.css'));
    expect(css.headers.get('content-type')).toContain('text/css');
  });
});

describe('GET /discovery/capabilities', () => {
  test('versioned contracts.common.{runs,ledger}', async () => {
    const r = await gw.json('/api/gateway/discovery/capabilities');
    expect(r.status).toBe(200);
    const c = r.body.capabilities.contracts;
    expect(c.version).toBe(1);
    expect(c.common.runs.start).toMatchObject({ available: true, method: 'POST', endpoint: '/api/gateway/runs/start' });
    expect(c.common.runs.commands.types).toEqual(['pause', 'resume', 'cancel', 'emit_event', 'update_schedule', 'compact_memory']);
    expect(c.common.ledger.stream).toMatchObject({ available: true, transport: 'sse' });
  });
});
