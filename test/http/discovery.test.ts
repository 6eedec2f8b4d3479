// LLM discovery routes over a fake OpenAI-compatible server on loopback (an external service, not ours).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { loadLlmConfig } from '../../src/llm/config.ts';
import { createLlmDiscovery } from '../../src/llm/discovery.ts';
import { startGateway, type TestGateway } from './support.ts';

let gw: TestGateway;
let bare: TestGateway;
let provider: ReturnType<typeof Bun.serve>;
beforeAll(async () => {
  provider = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (req) => new URL(req.url).pathname === '/v1/models'
      ? Response.json({ object: 'list', data: [{ id: 'm2' }, { id: 'm1' }] })
      : new Response('no', { status: 404 }),
  });
  const env = {
    LMSTUDIO_BASE_URL: `http://127.0.0.1:${provider.port}/v1`,
    OLLAMA_HOST: 'http://127.0.0.1:9', // nothing listens there
    ABSTRACTGATEWAY_PROVIDER: 'lmstudio',
    ABSTRACTGATEWAY_MODEL: 'm1',
  };
  gw = await startGateway({ llm: createLlmDiscovery(loadLlmConfig(env)) });
  bare = await startGateway();
});
afterAll(async () => {
  await gw.close();
  await bare.close();
  await provider.stop(true);
});

describe('LLM discovery', () => {
  test('tools include the built-in file and command tools', async () => {
    const r = await gw.json('/api/gateway/discovery/tools');
    expect(r.status).toBe(200);
    const names = r.body.items.map((t: any) => t.name);
    expect(names).toEqual(expect.arrayContaining(['list_files', 'skim_folders', 'read_file', 'write_file', 'execute_command']));
  });

  test('providers sorted with defaults; models on request; unreachable provider folded into the body', async () => {
    const r = await gw.json('/api/gateway/discovery/providers');
    expect(r.body.items.map((i: any) => i.name)).toEqual(['lmstudio', 'ollama']);
    expect(r.body).toMatchObject({ default_provider: 'lmstudio', default_model: 'm1' });
    expect(r.body.items[0].models).toBeUndefined();
    const m = await gw.json('/api/gateway/discovery/providers?include_models=true');
    expect(m.status).toBe(200);
    expect(m.body.items[0]).toEqual({ name: 'lmstudio', models: ['m1', 'm2'] });
    expect(m.body.items[1].error).toBeTruthy();
    const one = await gw.json('/api/gateway/discovery/providers/lmstudio/models');
    expect(one.body).toEqual({ provider: 'lmstudio', models: ['m1', 'm2'] });
  });

  test('model capabilities: known family, and model_name required (400)', async () => {
    const r = await gw.json('/api/gateway/discovery/models/capabilities?model_name=qwen3-next-80b');
    expect(r.status).toBe(200);
    expect(r.body.model).toBe('qwen3-next-80b');
    expect(r.body.capabilities.max_tokens).toBeGreaterThan(0);
    const missing = await gw.json('/api/gateway/discovery/models/capabilities');
    expect(missing.status).toBe(400);
    expect(missing.body.detail).toContain('model_name is required');
  });

  test('without an LLM layer the routes are absent (404, which clients tolerate)', async () => {
    expect((await bare.json('/api/gateway/discovery/tools')).status).toBe(404);
    expect((await bare.json('/api/gateway/discovery/capabilities')).status).toBe(200);
  });
});
