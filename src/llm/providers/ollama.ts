// Ollama native API: POST /api/chat (NDJSON when streaming), GET /api/tags.
import type { z } from 'zod';
import { readLines, requestWithRetry, type HttpPolicy, type RetryResult } from '../http.ts';
import { toolParametersSchema } from '../schema.ts';
import type { ChatMessage, ChatRequest, ChatResponse, ProviderEndpoint, ToolCall } from '../types.ts';
import { emptyResponse, makeUsage, newCallId, parseArguments, since } from './common.ts';
import { OllamaModels, OllamaReply, parseReply } from './wire.ts';

function wireMessage(m: ChatMessage): Record<string, unknown> {
  if (m.role === 'tool') return { role: 'tool', content: m.content, ...(m.name ? { tool_name: m.name } : {}) };
  if (m.role === 'assistant' && m.tool_calls?.length) {
    return { role: 'assistant', content: m.content, tool_calls: m.tool_calls.map((c) => ({ function: { name: c.name, arguments: c.arguments } })) };
  }
  return { role: m.role, content: m.content };
}

export function ollamaBody(req: ChatRequest, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { model: req.model, messages: req.messages.map(wireMessage), stream };
  if (req.tools.length) {
    body.tools = req.tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: toolParametersSchema(t) } }));
  }
  if (req.responseSchema) body.format = req.responseSchema;
  const options: Record<string, number> = {};
  if (req.temperature !== null) options.temperature = req.temperature;
  if (req.seed !== null) options.seed = req.seed;
  if (req.maxOutputTokens !== null) options.num_predict = req.maxOutputTokens;
  if (Object.keys(options).length) body.options = options;
  return body;
}

type Reply = z.output<typeof OllamaReply>;
type Message = NonNullable<Reply['message']>;

const toCalls = (raw: Message['tool_calls'] | undefined): ToolCall[] =>
  (raw ?? []).map((c) => ({
    name: c.function?.name ?? '', arguments: parseArguments(c.function?.arguments), call_id: c.id ?? newCallId(),
  }));

function applyFinal(out: ChatResponse, json: Reply): void {
  if (json.model) out.model = json.model;
  if (json.done) {
    out.finish_reason = json.done_reason ?? 'stop';
    out.usage = makeUsage(json.prompt_eval_count, json.eval_count);
  }
}

async function fromStream(res: Response, model: string, t0: number): Promise<ChatResponse> {
  const out = emptyResponse(model);
  let reasoning = '';
  for await (const line of readLines(res.body!)) {
    if (!line.trim()) continue;
    const chunk = parseReply('ollama stream', OllamaReply, line);
    if (chunk.error) throw new Error(`stream error: ${String(chunk.error).slice(0, 300)}`);
    const msg = chunk.message;
    if (out.ttft_ms === null && (msg?.content || msg?.tool_calls.length)) out.ttft_ms = since(t0);
    if (typeof msg?.content === 'string') out.content += msg.content;
    if (typeof msg?.thinking === 'string') reasoning += msg.thinking;
    out.tool_calls.push(...toCalls(msg?.tool_calls));
    applyFinal(out, chunk);
  }
  out.reasoning = reasoning || null;
  return out;
}

export function ollamaChat(ep: ProviderEndpoint, req: ChatRequest, policy: HttpPolicy, stream: boolean): Promise<RetryResult<ChatResponse>> {
  const t0 = performance.now();
  return requestWithRetry(ep.name, `${ep.baseUrl}/api/chat`, { method: 'POST', headers: {}, body: ollamaBody(req, stream) }, policy, async (res) => {
    if (stream) return fromStream(res, req.model, t0);
    const json = parseReply(ep.name, OllamaReply, await res.text());
    const out = emptyResponse(req.model);
    out.content = typeof json.message?.content === 'string' ? json.message.content : '';
    out.reasoning = json.message?.thinking ?? null;
    out.tool_calls = toCalls(json.message?.tool_calls);
    applyFinal(out, json);
    return out;
  });
}

export async function ollamaModels(ep: ProviderEndpoint, policy: HttpPolicy): Promise<string[]> {
  const { value } = await requestWithRetry(ep.name, `${ep.baseUrl}/api/tags`, { method: 'GET', headers: {} }, policy,
    async (res) => parseReply(ep.name, OllamaModels, await res.text()));
  return value.models.map((m) => m.name ?? m.model ?? '').filter(Boolean);
}
