import { afterAll, beforeEach, describe, expect, test } from 'bun:test';
import { createLlmEffects } from '../../src/llm/index.ts';
import type { LlmConfig } from '../../src/llm/config.ts';
import { startStubLlm } from '../support/stub-llm.ts';
import { effectCtx, makeRun, stubConfig } from './helpers.ts';

const stub = startStubLlm();
afterAll(() => stub.stop());
beforeEach(() => { stub.requests.length = 0; });

const call = (payload: Record<string, unknown>, over: Partial<LlmConfig> = {}, opts: Parameters<typeof effectCtx>[2] = {}) =>
  createLlmEffects(stubConfig(stub.url, over)).llm_call!(effectCtx('llm_call', payload, opts));

const weather = { name: 'get_weather', arguments: { city: 'Paris', days: 2 }, id: 'call_w1' };

for (const provider of ['openai', 'ollama', 'anthropic'] as const) {
  for (const stream of [false, true]) {
    describe(`${provider} (${stream ? 'streaming' : 'plain'})`, () => {
      test('text answer with usage and request shape', async () => {
        stub.enqueue({ content: 'Hello there, friend!', usage: { input: 21, output: 5 } });
        const out = await call({ prompt: 'hi', system_prompt: 'be nice', provider, model: 'm1', params: { temperature: 0.2, max_output_tokens: 50 } }, { stream });
        expect(out.status).toBe('completed');
        const r = (out as any).result;
        expect(r.content).toBe('Hello there, friend!');
        expect(r.provider).toBe(provider);
        expect(r.tool_calls).toBeNull();
        expect(r.usage).toMatchObject({ input_tokens: 21, output_tokens: 5, total_tokens: 26, prompt_tokens: 21 });
        expect(r.metadata.attempts).toBe(1);
        expect(r.metadata.trace_metadata).toMatchObject({ run_id: 'run-1', node_id: 'n1' });
        const body = stub.requests.at(-1)!.body;
        expect(body.model).toBe('m1');
        expect(Boolean(body.stream)).toBe(stream);
        if (provider === 'anthropic') {
          expect(body.system).toBe('be nice');
          expect(body.messages).toEqual([{ role: 'user', content: 'hi' }]);
          expect(body.max_tokens).toBe(50);
        } else {
          expect(body.messages).toEqual([{ role: 'system', content: 'be nice' }, { role: 'user', content: 'hi' }]);
        }
        if (provider === 'ollama') expect(body.options).toMatchObject({ temperature: 0.2, num_predict: 50 });
        else expect(body.temperature).toBe(0.2);
      });

      test('native tool calls are returned, not executed', async () => {
        stub.enqueue({ content: 'checking', tool_calls: [weather] });
        const out = await call({
          prompt: 'weather?', provider, model: 'm1',
          tools: ['read_file', 'no_such_tool', { name: 'get_weather', description: 'Weather', parameters: { city: { type: 'string' }, days: { type: 'integer', default: 1 } } }],
        }, { stream });
        const r = (out as any).result;
        expect(r.tool_calls).toHaveLength(1);
        expect(r.tool_calls[0]).toMatchObject({ name: 'get_weather', arguments: { city: 'Paris', days: 2 } });
        expect(typeof r.tool_calls[0].call_id).toBe('string');
        const body = stub.requests.at(-1)!.body;
        const names = provider === 'anthropic' ? body.tools.map((t: any) => t.name) : body.tools.map((t: any) => t.function.name);
        expect(names).toEqual(['read_file', 'get_weather']); // unknown names dropped
        const schema = provider === 'anthropic' ? body.tools[1].input_schema : body.tools[1].function.parameters;
        expect(schema).toEqual({ type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] });
      });
    });
  }
}

describe('conversation with tool results', () => {
  const messages = [
    { role: 'system', content: 'sys' },
    { role: 'user', content: 'list files' },
    { role: 'assistant', content: '', tool_calls: [{ name: 'list_files', arguments: { directory_path: '.' }, call_id: 'c1' }] },
    { role: 'tool', tool_call_id: 'c1', name: 'list_files', content: 'a.txt' },
  ];

  test('openai wire form', async () => {
    stub.enqueue({ content: 'done' });
    await call({ messages, provider: 'openai', model: 'm' });
    const sent = stub.requests.at(-1)!.body.messages;
    expect(sent[2].tool_calls[0]).toEqual({ id: 'c1', type: 'function', function: { name: 'list_files', arguments: '{"directory_path":"."}' } });
    expect(sent[3]).toEqual({ role: 'tool', tool_call_id: 'c1', content: 'a.txt' });
  });

  test('anthropic wire form', async () => {
    stub.enqueue({ content: 'done' });
    await call({ messages, provider: 'anthropic', model: 'm' });
    const body = stub.requests.at(-1)!.body;
    expect(body.system).toBe('sys');
    expect(body.messages[1]).toEqual({ role: 'assistant', content: [{ type: 'tool_use', id: 'c1', name: 'list_files', input: { directory_path: '.' } }] });
    expect(body.messages[2]).toEqual({ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'c1', content: 'a.txt' }] });
    expect(stub.requests.at(-1)!.headers['x-api-key']).toBe('sk-ant-test-SECRET-999999');
  });

  test('ollama wire form', async () => {
    stub.enqueue({ content: 'done' });
    await call({ messages, provider: 'ollama', model: 'm' });
    const sent = stub.requests.at(-1)!.body.messages;
    expect(sent[2].tool_calls).toEqual([{ function: { name: 'list_files', arguments: { directory_path: '.' } } }]);
    expect(sent[3]).toEqual({ role: 'tool', content: 'a.txt', tool_name: 'list_files' });
  });
});

describe('routing and payload validation', () => {
  test('defaults come from run _runtime, then config', async () => {
    stub.enqueue({ content: 'a' }, { content: 'b' });
    await call({ prompt: 'x' });
    expect(stub.requests.at(-1)!.body.model).toBe('stub-model');
    await call({ prompt: 'x' }, {}, { run: makeRun({ _runtime: { provider: 'ollama', model: 'qwen' } }) });
    expect(stub.requests.at(-1)!.path).toBe('/api/chat');
    expect(stub.requests.at(-1)!.body.model).toBe('qwen');
  });

  test('missing prompt, unknown provider, missing model, bad payload fail clearly', async () => {
    expect(await call({})).toEqual({ status: 'failed', error: 'llm_call requires payload.prompt or payload.messages' });
    const unknown = await call({ prompt: 'x', provider: 'nope', model: 'm' });
    expect((unknown as any).error).toContain("Unknown LLM provider 'nope'");
    const noModel = await call({ prompt: 'x' }, { defaultModel: null });
    expect((noModel as any).error).toContain('ABSTRACTGATEWAY_MODEL');
    const bad = await call({ prompt: 'x', messages: [{ role: 'wizard', content: 'x' }] });
    expect((bad as any).error).toContain('Invalid llm_call payload');
    expect(stub.requests).toHaveLength(0);
  });

  test('include_context uses and records the run context idempotently', async () => {
    const run = makeRun({ context: { messages: [{ role: 'user', content: 'earlier' }, { role: 'assistant', content: 'reply' }] } });
    stub.enqueue({ content: 'now' });
    const ctx = { run };
    await call({ prompt: 'next', include_context: true }, {}, ctx);
    expect(stub.requests.at(-1)!.body.messages.map((m: any) => m.content)).toEqual(['earlier', 'reply', 'next']);
    expect(run.vars.context.messages.map((m: any) => m.content)).toEqual(['earlier', 'reply', 'next', 'now']);
    stub.enqueue({ content: 'replayed' }); // same effect key (a re-run) must not append the turn twice
    await call({ prompt: 'next', include_context: true }, {}, ctx);
    expect(run.vars.context.messages).toHaveLength(4);
  });
});

describe('retries, timeouts, cancellation, secrets', () => {
  test('429 and 500 are retried with the attempts recorded', async () => {
    stub.enqueue({ status: 429, headers: { 'retry-after': '0' } }, { status: 500 }, { content: 'finally' });
    const out = await call({ prompt: 'x', provider: 'openai', model: 'm' });
    const r = (out as any).result;
    expect(r.content).toBe('finally');
    expect(r.metadata.attempts).toBe(3);
    expect(r.metadata.http_attempts.map((a: any) => a.status)).toEqual([429, 500, 200]);
  });

  test('gives up after maxAttempts with the last error', async () => {
    stub.enqueue({ status: 503 }, { status: 503 });
    const out = await call({ prompt: 'x', provider: 'openai', model: 'm' }, { maxAttempts: 2 });
    expect(out.status).toBe('failed');
    expect((out as any).error).toContain('HTTP 503');
    expect((out as any).error).toContain('after 2 attempts');
    expect(stub.pending()).toBe(0);
  });

  test('connection failures are retried, then reported', async () => {
    const down = { name: 'lmstudio', protocol: 'openai' as const, baseUrl: 'http://127.0.0.1:1/v1', apiKey: null, configured: true };
    const cfg = stubConfig(stub.url);
    const out = await createLlmEffects({ ...cfg, providers: { ...cfg.providers, lmstudio: down } }).llm_call!(effectCtx('llm_call', { prompt: 'x' }));
    expect(out.status).toBe('failed');
    expect((out as any).error).toMatch(/lmstudio request failed: .*\(after 3 attempts\)/);
    // …naming the variable to set
    expect((out as any).error).toContain("(LLM provider 'lmstudio' is not reachable at http://127.0.0.1:1/v1: start it, or set LMSTUDIO_BASE_URL to where it listens");
  });

  test('4xx other than 429 is not retried', async () => {
    stub.enqueue({ status: 400, error: '{"error":"bad model"}' }, { content: 'unused' });
    const out = await call({ prompt: 'x', provider: 'openai', model: 'm' });
    expect((out as any).error).toContain('bad model');
    expect(stub.pending()).toBe(1);
    stub.enqueue();
    await call({ prompt: 'drain', provider: 'openai', model: 'm' });
  });

  // The stub answers after a minute: a call that did not time out or abort would hang until the test's timeout.
  test('timeout fails without retrying', async () => {
    stub.enqueue({ delayMs: 60_000, content: 'late' });
    const sent = stub.requests.length;
    const out = await call({ prompt: 'x', provider: 'openai', model: 'm' }, { timeoutMs: 100 });
    expect((out as any).error).toContain('timed out');
    expect(stub.requests.length - sent).toBe(1);
  });

  test('abort signal cancels an in-flight call', async () => {
    stub.enqueue({ delayMs: 60_000, content: 'late' });
    const sent = stub.requests.length;
    const ac = new AbortController();
    const pending = call({ prompt: 'x', provider: 'ollama', model: 'm' }, {}, { signal: ac.signal });
    while (stub.requests.length === sent) await Bun.sleep(1); // the request is at the provider
    ac.abort();
    expect(((await pending) as any).error).toContain('cancelled');
  });

  test('API keys never appear in errors or results', async () => {
    stub.enqueue({ status: 401, error: '{"error":"Incorrect API key provided: sk-test-SECRET-openai-123456"}' });
    const out = await call({ prompt: 'x', provider: 'openai', model: 'm' });
    const text = JSON.stringify(out);
    expect(text).not.toContain('SECRET');
    expect((out as any).error).toContain('HTTP 401');
    expect((out as any).error).toContain('check the API key');
    expect(stub.requests.at(-1)!.headers.authorization).toBe('Bearer sk-test-SECRET-openai-123456');
    stub.enqueue({ content: 'ok' });
    const ok = await call({ prompt: 'x', provider: 'openai', model: 'm' });
    expect(JSON.stringify(ok)).not.toContain('SECRET');
  });
});

describe('structured output', () => {
  const schema = { type: 'object', properties: { city: { type: 'string' }, temp: { type: 'number' } }, required: ['city', 'temp'] };

  test('openai json_schema mode', async () => {
    stub.enqueue({ content: '{"city":"Paris","temp":21.5}' });
    const out = await call({ prompt: 'x', provider: 'openai', model: 'm', response_schema: { type: 'json_schema', json_schema: { schema } } });
    const r = (out as any).result;
    expect(r.data).toEqual({ city: 'Paris', temp: 21.5 });
    expect(stub.requests.at(-1)!.body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'LLM_StructuredOutput', schema } });
  });

  test('ollama format and anthropic forced tool', async () => {
    stub.enqueue({ content: '{"city":"Oslo","temp":3}' });
    const o = await call({ prompt: 'x', provider: 'ollama', model: 'm', response_schema: schema }, { stream: true });
    expect((o as any).result.data).toEqual({ city: 'Oslo', temp: 3 });
    expect(stub.requests.at(-1)!.body.format).toEqual(schema);

    stub.enqueue({ tool_calls: [{ name: 'LLM_StructuredOutput', arguments: { city: 'Rome', temp: 30 } }] });
    const a = await call({ prompt: 'x', provider: 'anthropic', model: 'm', response_schema: schema }, { stream: true });
    expect((a as any).result.data).toEqual({ city: 'Rome', temp: 30 });
    expect((a as any).result.tool_calls).toBeNull();
    expect(stub.requests.at(-1)!.body.tool_choice).toEqual({ type: 'tool', name: 'LLM_StructuredOutput' });
  });

  test('invalid native output falls back to a prompted, validated call', async () => {
    stub.enqueue({ content: '{"city":"Paris"}' }, { content: 'Sure! ```json\n{"city":"Paris","temp":20}\n```' });
    const out = await call({ prompt: 'x', provider: 'lmstudio', model: 'm', response_schema: schema });
    const r = (out as any).result;
    expect(r.data).toEqual({ city: 'Paris', temp: 20 });
    expect(r.metadata._structured_output_fallback.reason).toContain('$.temp: required');
    const second = stub.requests.at(-1)!.body;
    expect(second.response_format).toBeUndefined();
    expect(second.messages.at(-1).content).toContain('JSON schema');
  });

  test('provider rejecting json_schema (400) uses the fallback', async () => {
    stub.enqueue({ status: 400, error: 'response_format not supported' }, { content: '{"city":"X","temp":1}' });
    const out = await call({ prompt: 'x', provider: 'lmstudio', model: 'm', response_schema: schema });
    expect((out as any).result.data).toEqual({ city: 'X', temp: 1 });
  });

  test('still invalid after fallback, or fallback disabled, fails', async () => {
    stub.enqueue({ content: 'nope' }, { content: '{"city":1}' });
    const out = await call({ prompt: 'x', provider: 'lmstudio', model: 'm', response_schema: schema });
    expect((out as any).error).toContain('after fallback');
    stub.enqueue({ content: 'nope' });
    const off = await call({ prompt: 'x', provider: 'lmstudio', model: 'm', response_schema: schema, structured_output_fallback: false });
    expect((off as any).error).toContain('did not match response_schema');
    expect(stub.pending()).toBe(0);
  });
});
