// Provider replies are validated where they enter: a reply that is not a JSON object is a provider error;
// fields of the wrong type read as absent, malformed list items are dropped (over a real HTTP server).
import { afterAll, describe, expect, test } from 'bun:test';
import { LlmHttpError, type HttpPolicy } from '../../src/llm/http.ts';
import { anthropicChat } from '../../src/llm/providers/anthropic.ts';
import { ollamaChat } from '../../src/llm/providers/ollama.ts';
import { openaiChat } from '../../src/llm/providers/openai.ts';
import type { ChatRequest, ProviderEndpoint, Protocol } from '../../src/llm/types.ts';

let body = '';
const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response(body, { headers: { 'content-type': 'application/json' } }) });
afterAll(() => server.stop(true));

const ep = (protocol: Protocol): ProviderEndpoint => ({ name: protocol, protocol, baseUrl: `http://127.0.0.1:${server.port}`, apiKey: null, configured: true });
const req: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }], tools: [], responseSchema: null, responseSchemaName: 'Out', temperature: null, seed: null, maxOutputTokens: null };
const policy = (): HttpPolicy => ({ timeoutMs: 5000, maxAttempts: 1, retryBaseMs: 1, retryMaxMs: 1, signal: new AbortController().signal, secrets: [] });

describe('provider replies', () => {
  test('a reply that is not a JSON object is a non-retryable provider error', async () => {
    body = '[1, 2]';
    const err = await openaiChat(ep('openai'), req, policy(), false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmHttpError);
    expect((err as Error).message).toContain('unexpected reply');
    body = '{"choices": ';
    expect(((await ollamaChat(ep('ollama'), req, policy(), false).catch((e: unknown) => e)) as Error).message).toContain('malformed JSON');
  });

  test('OpenAI: wrong-typed fields read as absent, malformed tool calls are dropped', async () => {
    body = JSON.stringify({
      model: 7,
      choices: [{ message: { content: 5, tool_calls: [{ id: 'c1', function: { name: 'f', arguments: '{"a":1}' } }, 7, 'x'] }, finish_reason: 'tool_calls' }],
      usage: 'lots',
    });
    const { value } = await openaiChat(ep('openai'), req, policy(), false);
    expect(value).toMatchObject({ model: 'm', content: '', tool_calls: [{ name: 'f', arguments: { a: 1 }, call_id: 'c1' }], usage: null, finish_reason: 'tool_calls' });
  });

  test('Ollama and Anthropic: the same rules', async () => {
    body = JSON.stringify({ message: { content: 'hello', thinking: 3, tool_calls: 'none' }, done: true, eval_count: 'x', prompt_eval_count: 2 });
    const o = (await ollamaChat(ep('ollama'), req, policy(), false)).value;
    expect(o).toMatchObject({ content: 'hello', reasoning: null, tool_calls: [], finish_reason: 'stop', usage: { input_tokens: 2, output_tokens: null } });
    body = JSON.stringify({ content: [{ type: 'text', text: 'a' }, null, { type: 'text', text: 5 }, { type: 'text', text: 'b' }], stop_reason: 'end_turn' });
    const a = (await anthropicChat(ep('anthropic'), req, policy(), false)).value;
    expect(a).toMatchObject({ content: 'ab', finish_reason: 'end_turn', tool_calls: [] });
  });
});
