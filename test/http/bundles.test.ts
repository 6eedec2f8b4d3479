import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bundleZip, flowDoc, startGateway, type TestGateway } from './support.ts';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway({
    bundles: {
      'ask@0.0.1.flow': bundleZip('ask'),
      'quick@0.0.1.flow': bundleZip('quick'),
      'basic@dev.flow': bundleZip('basic', 'dev', { main: flowDoc('main'), helper: flowDoc('helper') }),
      'test@dev.flow': bundleZip('test', 'dev'),
    },
  });
});
afterAll(() => gw.close());

const upload = (bytes: Uint8Array | null, fields: Record<string, string> = {}) => {
  const fd = new FormData();
  if (bytes) fd.append('file', new Blob([bytes]), 'bundle.flow');
  for (const [k, v] of Object.entries(fields)) fd.append(k, v);
  return gw.json('/api/gateway/bundles/upload', { method: 'POST', body: fd });
};

describe('bundle discovery', () => {
  test('GET /bundles lists the bundles sorted by id, entrypoints with deprecation fields', async () => {
    const r = await gw.json('/api/gateway/bundles');
    expect(r.status).toBe(200);
    const ids = r.body.items.map((i: any) => i.bundle_id);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(expect.arrayContaining(['ask', 'basic', 'quick', 'test']));
    expect(r.body.default_bundle_id).toBeNull(); // several bundle ids loaded
    const ask = r.body.items.find((i: any) => i.bundle_id === 'ask');
    expect(ask).toMatchObject({ bundle_version: '0.0.1', bundle_ref: 'ask@0.0.1', default_entrypoint: 'root' });
    expect(ask.entrypoints[0]).toMatchObject({ flow_id: 'root', deprecated: false, deprecated_at: null, deprecated_reason: null });
  });

  test('GET /bundles/{id}: entrypoint inputs and node index; id@version form; conflicts and unknowns', async () => {
    const r = await gw.json('/api/gateway/bundles/ask');
    expect(r.status).toBe(200);
    expect(r.body.entrypoints[0].workflow_id).toBe('ask@0.0.1:root');
    expect(r.body.entrypoints[0].inputs).toEqual([{ id: 'prompt', label: 'prompt', type: 'string', default: 'hi' }]);
    expect(r.body.entrypoints[0].node_index.start.type).toBe('on_flow_start');
    expect(r.body.flows).toEqual(['root']);
    expect(r.body.metadata).toEqual({ test: true });
    expect((await gw.json('/api/gateway/bundles/ask@0.0.1')).status).toBe(200);
    const c = await gw.json('/api/gateway/bundles/ask@0.0.1?bundle_version=9.9.9');
    expect(c.status).toBe(400);
    const u = await gw.json('/api/gateway/bundles/nope');
    expect(u.status).toBe(404);
    expect(u.body.detail).toBe("Bundle 'nope' not found");
  });

  test('a dev-version bundle with two flows: detail is served', async () => {
    const r = await gw.json('/api/gateway/bundles/basic');
    expect(r.status).toBe(200);
    expect(r.body.bundle_version).toBe('dev');
    expect(r.body.entrypoints.map((e: any) => e.workflow_id)).toEqual(['basic@dev:main', 'basic@dev:helper']);
    expect(r.body.default_entrypoint).toBe('main');
  });

  test('flow JSON by bundle and by workflow id', async () => {
    const f = await gw.json('/api/gateway/bundles/ask/flows/root');
    expect(f.body).toMatchObject({ bundle_id: 'ask', flow_id: 'root', workflow_id: 'ask@0.0.1:root' });
    expect(f.body.flow.id).toBe('root');
    expect((await gw.json('/api/gateway/bundles/ask/flows/quick:root')).status).toBe(400);
    expect((await gw.json('/api/gateway/bundles/ask/flows/missing')).status).toBe(404);
    const w = await gw.json('/api/gateway/workflows/ask:root/flow');
    expect(w.status).toBe(200);
    expect(w.body.workflow_id).toBe('ask@0.0.1:root');
    const missing = await gw.json('/api/gateway/workflows/scheduled:nope/flow');
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toBe("Workflow 'scheduled:nope' not found");
  });
});

describe('bundle management', () => {
  test('upload → listed → delete → gone → second delete 404', async () => {
    const up = await upload(bundleZip('demo', '0.0.1', { root: flowDoc('root') }), { overwrite: 'false', reload: 'true' });
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ ok: true, bundle_id: 'demo', bundle_ref: 'demo@0.0.1', default_entrypoint: 'root',
      gateway_reloaded: true, gateway_reload_error: null });
    expect(up.body.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(existsSync(join(gw.config.flowsDir, 'demo@0.0.1.flow'))).toBe(true);
    const all = await gw.json('/api/gateway/bundles?all_versions=true');
    expect(all.body.items.some((i: any) => i.bundle_ref === 'demo@0.0.1')).toBe(true);

    const again = await upload(bundleZip('demo', '0.0.1'));
    expect(again.status).toBe(400);
    expect(again.body.detail).toBe('Bundle already installed: demo@0.0.1.flow');
    expect((await upload(bundleZip('demo', '0.0.1'), { overwrite: '1' })).status).toBe(200);

    const del = await gw.json('/api/gateway/bundles/demo?bundle_version=0.0.1&reload=true', { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ ok: true, bundle_ref: 'demo@0.0.1', removed: 1, gateway_reloaded: true, gateway_reload_error: null });
    const after = await gw.json('/api/gateway/bundles?all_versions=true');
    expect(after.body.items.some((i: any) => i.bundle_id === 'demo')).toBe(false);
    const second = await gw.json('/api/gateway/bundles/demo?bundle_version=0.0.1', { method: 'DELETE' });
    expect(second.status).toBe(404);
    expect(second.body.detail).toBe("Bundle 'demo@0.0.1' not found");
  });

  test('upload without reload is installed but not visible until POST /bundles/reload', async () => {
    const up = await upload(bundleZip('later', '1.0.0'), { reload: 'false' });
    expect(up.body.gateway_reloaded).toBe(false);
    expect((await gw.json('/api/gateway/bundles/later')).status).toBe(404);
    const rl = await gw.post('/api/gateway/bundles/reload', {});
    expect(rl.status).toBe(200);
    expect(rl.body.ok).toBe(true);
    expect(rl.body.bundle_ids).toContain('later');
    expect(rl.body.count).toBe(rl.body.bundle_ids.length);
    expect((await gw.json('/api/gateway/bundles/later')).status).toBe(200);
  });

  test('upload failures: missing file 422, invalid zip 400, empty 400, bad boolean 422', async () => {
    const missing = await upload(null, { overwrite: 'false' });
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toContain("'file'");
    const junk = await upload(new TextEncoder().encode('not a zip'));
    expect(junk.status).toBe(400);
    expect(junk.body.detail).toContain('Invalid bundle');
    expect((await upload(new Uint8Array(0))).status).toBe(400);
    expect((await upload(bundleZip('x'), { overwrite: 'perhaps' })).status).toBe(422);
  });

  test('deprecate hides from discovery unless include_deprecated; unknown entrypoint 404', async () => {
    const d = await gw.post('/api/gateway/bundles/quick/deprecate', { flow_id: 'root', reason: 'retired' });
    expect(d.body).toMatchObject({ ok: true, bundle_id: 'quick', flow_id: 'root', reason: 'retired' });
    const list = await gw.json('/api/gateway/bundles');
    expect(list.body.items.some((i: any) => i.bundle_id === 'quick')).toBe(false);
    const incl = await gw.json('/api/gateway/bundles?include_deprecated=true');
    const quick = incl.body.items.find((i: any) => i.bundle_id === 'quick');
    expect(quick.entrypoints[0]).toMatchObject({ deprecated: true, deprecated_reason: 'retired' });
    const u = await gw.post('/api/gateway/bundles/quick/undeprecate', { flow_id: 'root' });
    expect(u.body).toEqual({ ok: true, bundle_id: 'quick', flow_id: 'root', removed: true });
    expect((await gw.post('/api/gateway/bundles/quick/deprecate', { flow_id: 'nope' })).status).toBe(404);
    expect((await gw.post('/api/gateway/bundles/ghost/deprecate', {})).status).toBe(404);
  });

  test('deprecate without a body retires the whole bundle', async () => {
    const d = await gw.json('/api/gateway/bundles/quick/deprecate', { method: 'POST' });
    expect(d.status).toBe(200);
    expect(d.body.flow_id).toBe('*');
    expect((await gw.post('/api/gateway/runs/start', { bundle_id: 'quick' })).status).toBe(409);
    expect((await gw.json('/api/gateway/bundles/quick/undeprecate', { method: 'POST' })).body.removed).toBe(true);
  });
});

describe('upload size cap', () => {
  test('a file over the cap → 413 with both sizes', async () => {
    const small = await startGateway({});
    try {
      const { createApp } = await import('../../src/http/app.ts');
      const app = createApp({ store: small.store, registry: small.registry, runtime: small.runtime, config: small.config, maxBundleBytes: 100 });
      app.listen({ port: 0, hostname: '127.0.0.1' });
      const fd = new FormData();
      const bytes = bundleZip('big');
      fd.append('file', new Blob([bytes]), 'big.flow');
      const r = await fetch(`http://127.0.0.1:${app.server!.port}/api/gateway/bundles/upload`, { method: 'POST', body: fd });
      expect(r.status).toBe(413);
      expect(await r.json()).toEqual({ detail: `Bundle too large (${bytes.byteLength} bytes > 100 bytes)`, code: 'payload_too_large' });
      await app.stop(true);
    } finally {
      await small.close();
    }
  });
});
