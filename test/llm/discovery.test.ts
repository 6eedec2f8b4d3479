import { afterAll, describe, expect, test } from 'bun:test';
import { createLlmDiscovery, loadLlmConfig, modelCapabilities } from '../../src/llm/index.ts';
import { InvalidInput } from '../../src/model/index.ts';
import { startStubLlm } from '../support/stub-llm.ts';
import { stubConfig } from './helpers.ts';

const stub = startStubLlm();
afterAll(() => stub.stop());

describe('loadLlmConfig', () => {
  test('defaults', () => {
    const c = loadLlmConfig({});
    expect(c.toolMode).toBe('passthrough');
    expect(c.defaultProvider).toBeNull();
    expect(c.providers.lmstudio!.baseUrl).toBe('http://localhost:1234/v1');
    expect(c.providers.ollama!.baseUrl).toBe('http://localhost:11434');
    expect(c.providers.anthropic!.baseUrl).toBe('https://api.anthropic.com');
    expect(Object.values(c.providers).filter((p) => p.configured).map((p) => p.name).sort()).toEqual(['lmstudio', 'ollama']);
    expect(c.maxAttempts).toBe(3);
  });

  test('env overrides, legacy names and bad values', () => {
    const c = loadLlmConfig({
      ABSTRACTFLOW_PROVIDER: 'Ollama', ABSTRACTGATEWAY_MODEL: ' qwen3 ', ABSTRACTGATEWAY_TOOL_MODE: 'LOCAL', OLLAMA_HOST: '10.0.0.2:11434',
      OPENAI_API_KEY: 'sk-x', VLLM_BASE_URL: 'http://gpu:8000/v1/', ABSTRACTGATEWAY_LLM_TIMEOUT_S: 'abc', ABSTRACTGATEWAY_LLM_STREAM: 'off',
    });
    expect([c.defaultProvider, c.defaultModel, c.toolMode]).toEqual(['ollama', 'qwen3', 'local']);
    expect(c.providers.ollama!.baseUrl).toBe('http://10.0.0.2:11434');
    expect(c.providers.vllm).toMatchObject({ baseUrl: 'http://gpu:8000/v1', configured: true });
    expect(c.providers.openai).toMatchObject({ apiKey: 'sk-x', configured: true });
    expect(c.timeoutMs).toBe(300_000);
    expect(c.stream).toBe(false);
    expect(() => loadLlmConfig({ ABSTRACTGATEWAY_TOOL_MODE: 'yolo' })).toThrow('ABSTRACTGATEWAY_TOOL_MODE must be one of passthrough, local');
  });
});

describe('discovery', () => {
  test('providers sorted, defaults, models folded in with errors', async () => {
    const config = stubConfig(stub.url, { defaultProvider: null, defaultModel: null });
    config.providers.vllm = { name: 'vllm', protocol: 'openai', baseUrl: 'http://127.0.0.1:1/v1', apiKey: null, configured: true };
    const d = createLlmDiscovery(config);
    const plain = await d.listProviders();
    expect(plain.items.map((i) => i.name)).toEqual(['anthropic', 'lmstudio', 'ollama', 'openai', 'vllm']);
    expect(plain).toMatchObject({ default_provider: 'lmstudio', default_model: 'qwen/qwen3-next-80b' });
    expect(plain.items[0]!.models).toBeUndefined();
    const full = await d.listProviders({ includeModels: true });
    expect(full.items.find((i) => i.name === 'ollama')!.models).toEqual(['stub-a', 'stub-b']);
    expect(full.items.find((i) => i.name === 'anthropic')!.models).toEqual(['stub-a', 'stub-b']);
    const vllm = full.items.find((i) => i.name === 'vllm')!;
    expect(vllm.models).toEqual([]);
    expect(vllm.error).toContain('vllm request failed');
    const anthropicReq = stub.requests.find((r) => r.path === '/v1/models' && r.headers['x-api-key']);
    expect(anthropicReq!.headers['anthropic-version']).toBe('2023-06-01');
  });

  test('listModels is cached briefly; unknown provider reports an error', async () => {
    const d = createLlmDiscovery(stubConfig(stub.url));
    stub.models = ['z-model', 'a-model'];
    stub.requests.length = 0;
    expect(await d.listModels('lmstudio')).toEqual({ provider: 'lmstudio', models: ['a-model', 'z-model'] });
    stub.models = ['changed'];
    expect((await d.listModels('LMSTUDIO')).models).toEqual(['a-model', 'z-model']);
    expect(stub.requests).toHaveLength(1);
    const unknown = await d.listModels('nope');
    expect(unknown.error).toContain("Unknown provider 'nope'");
  });

  test('modelCapabilities: known families, defaults, blank name rejected', () => {
    expect(modelCapabilities('qwen/qwen3-next-80b').capabilities).toMatchObject({ max_tokens: 262_144, tool_support: 'native', source: 'known' });
    expect(modelCapabilities('claude-sonnet-4-5').capabilities.vision_support).toBe(true);
    expect(modelCapabilities('my-custom-model').capabilities.source).toBe('default');
    expect(() => modelCapabilities('  ')).toThrow(InvalidInput);
  });
});
