// OpenAI-compatible chat completions (openai, lmstudio, vllm, openrouter, llama.cpp, ollama /v1).
import type { z } from 'zod';
import { readSseData, requestWithRetry, type HttpPolicy, type RetryResult } from '../http.ts';
import { toolParametersSchema } from '../schema.ts';
import type { ChatMessage, ChatRequest, ChatResponse, ProviderEndpoint } from '../types.ts';
import { emptyResponse, makeUsage, parseArguments, since } from './common.ts';
import { OpenAIModels, OpenAIReply, parseReply } from './wire.ts';

const headers = (ep: ProviderEndpoint): Record<string, string> =>
  ep.apiKey ? { authorization: `Bearer ${ep.apiKey}` } : {};

function wireMessage(m: ChatMessage): Record<string, unknown> {
  if (m.role === 'tool') return { role: 'tool', tool_call_id: m.tool_call_id ?? '', content: m.content };
  if (m.role === 'assistant' && m.tool_calls?.length) {
    return {
      role: 'assistant',
      content: m.content || null,
      tool_calls: m.tool_calls.map((c) => ({
        id: c.call_id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) },
      })),
    };
  }
  return { role: m.role, content: m.content };
}

export function openaiBody(ep: ProviderEndpoint, req: ChatRequest, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { model: req.model, messages: req.messages.map(wireMessage), stream };
  if (stream) body.stream_options = { include_usage: true };
  if (req.tools.length) {
    body.tools = req.tools.map((t) => ({
      type: 'function', function: { name: t.name, description: t.description, parameters: toolParametersSchema(t) },
    }));
  }
  if (req.temperature !== null) body.temperature = req.temperature;
  if (req.seed !== null) body.seed = req.seed;
  // OpenAI's own API deprecated max_tokens; compatible servers still expect it.
  if (req.maxOutputTokens !== null) body[ep.name === 'openai' ? 'max_completion_tokens' : 'max_tokens'] = req.maxOutputTokens;
  if (req.responseSchema) {
    body.response_format = { type: 'json_schema', json_schema: { name: req.responseSchemaName, schema: req.responseSchema } };
  }
  return body;
}

type Reply = z.output<typeof OpenAIReply>;

function fromMessage(json: Reply, model: string): ChatResponse {
  const choice = json.choices[0];
  const msg = choice?.message;
  return {
    ...emptyResponse(json.model ?? model),
    content: typeof msg?.content === 'string' ? msg.content : '',
    reasoning: msg?.reasoning_content ?? msg?.reasoning ?? null,
    tool_calls: (msg?.tool_calls ?? []).map((c, i) => ({
      name: c.function?.name ?? '', arguments: parseArguments(c.function?.arguments), call_id: c.id ?? `call_${i}`,
    })),
    usage: makeUsage(json.usage?.prompt_tokens, json.usage?.completion_tokens, json.usage?.total_tokens),
    finish_reason: choice?.finish_reason ?? null,
  };
}

async function fromStream(res: Response, model: string, t0: number): Promise<ChatResponse> {
  const out = emptyResponse(model);
  let reasoning = '';
  const calls: { id: string; name: string; args: string }[] = [];
  for await (const data of readSseData(res.body!)) {
    if (data === '[DONE]') break;
    const chunk = parseReply('openai stream', OpenAIReply, data);
    if (chunk.error) throw new Error(`stream error: ${JSON.stringify(chunk.error).slice(0, 300)}`);
    if (chunk.model) out.model = chunk.model;
    if (chunk.usage) out.usage = makeUsage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens, chunk.usage.total_tokens);
    const choice = chunk.choices[0];
    if (!choice) continue;
    const delta = choice.delta;
    if (out.ttft_ms === null && (delta?.content || delta?.tool_calls.length)) out.ttft_ms = since(t0);
    if (typeof delta?.content === 'string') out.content += delta.content;
    const r = delta?.reasoning_content ?? delta?.reasoning;
    if (typeof r === 'string') reasoning += r;
    for (const tc of delta?.tool_calls ?? []) {
      const idx = typeof tc.index === 'number' ? tc.index : calls.length;
      const slot = (calls[idx] ??= { id: '', name: '', args: '' });
      if (tc.id) slot.id = tc.id;
      if (tc.function?.name) slot.name += tc.function.name;
      if (typeof tc.function?.arguments === 'string') slot.args += tc.function.arguments;
    }
    if (choice.finish_reason) out.finish_reason = choice.finish_reason;
  }
  out.reasoning = reasoning || null;
  out.tool_calls = calls.filter(Boolean).map((c, i) => ({ name: c.name, arguments: parseArguments(c.args), call_id: c.id || `call_${i}` }));
  return out;
}

export function openaiChat(ep: ProviderEndpoint, req: ChatRequest, policy: HttpPolicy, stream: boolean): Promise<RetryResult<ChatResponse>> {
  const t0 = performance.now();
  return requestWithRetry(ep.name, `${ep.baseUrl}/chat/completions`, { method: 'POST', headers: headers(ep), body: openaiBody(ep, req, stream) }, policy,
    async (res) => (stream ? fromStream(res, req.model, t0) : fromMessage(parseReply(ep.name, OpenAIReply, await res.text()), req.model)));
}

export async function openaiModels(ep: ProviderEndpoint, policy: HttpPolicy): Promise<string[]> {
  const { value } = await requestWithRetry(ep.name, `${ep.baseUrl}/models`, { method: 'GET', headers: headers(ep) }, policy,
    async (res) => parseReply(ep.name, OpenAIModels, await res.text()));
  return value.data.map((m) => m.id ?? '').filter(Boolean);
}
