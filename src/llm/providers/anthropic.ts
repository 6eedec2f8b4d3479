// Anthropic Messages API: POST /v1/messages (SSE when streaming), GET /v1/models. Structured output uses a
// forced tool whose input schema is the response schema (the protocol's native JSON mode).
import type { z } from 'zod';
import { readSseData, requestWithRetry, type HttpPolicy, type RetryResult } from '../http.ts';
import { toolParametersSchema } from '../schema.ts';
import type { ChatMessage, ChatRequest, ChatResponse, ProviderEndpoint } from '../types.ts';
import { emptyResponse, makeUsage, parseArguments, since } from './common.ts';
import { AnthropicBlock, AnthropicEvent, AnthropicMessage, AnthropicModels, parseReply } from './wire.ts';

const VERSION = '2023-06-01';
const DEFAULT_MAX_TOKENS = 4096; // required by the protocol

const headers = (ep: ProviderEndpoint): Record<string, string> => ({
  'anthropic-version': VERSION,
  ...(ep.apiKey ? { 'x-api-key': ep.apiKey } : {}),
});

type Block = Record<string, unknown>;

/** System messages go to `system`; tool results become user `tool_result` blocks (adjacent ones merged). */
export function anthropicMessages(messages: ChatMessage[]): { system: string; messages: { role: string; content: string | Block[] }[] } {
  const system: string[] = [];
  const out: { role: string; content: string | Block[] }[] = [];
  for (const m of messages) {
    if (m.role === 'system') { system.push(m.content); continue; }
    if (m.role === 'tool') {
      const block = { type: 'tool_result', tool_use_id: m.tool_call_id ?? '', content: m.content };
      const last = out.at(-1);
      if (last?.role === 'user' && Array.isArray(last.content) && last.content.every((b) => b.type === 'tool_result')) last.content.push(block);
      else out.push({ role: 'user', content: [block] });
      continue;
    }
    if (m.role === 'assistant' && m.tool_calls?.length) {
      const blocks: Block[] = m.content ? [{ type: 'text', text: m.content }] : [];
      for (const c of m.tool_calls) blocks.push({ type: 'tool_use', id: c.call_id, name: c.name, input: c.arguments });
      out.push({ role: 'assistant', content: blocks });
      continue;
    }
    out.push({ role: m.role, content: m.content });
  }
  return { system: system.join('\n\n'), messages: out };
}

export function anthropicBody(req: ChatRequest, stream: boolean): Record<string, unknown> {
  const { system, messages } = anthropicMessages(req.messages);
  const body: Record<string, unknown> = { model: req.model, max_tokens: req.maxOutputTokens ?? DEFAULT_MAX_TOKENS, messages, stream };
  if (system) body.system = system;
  if (req.temperature !== null) body.temperature = req.temperature;
  const tools = req.tools.map((t) => ({ name: t.name, description: t.description, input_schema: toolParametersSchema(t) }));
  if (req.responseSchema) {
    tools.push({ name: req.responseSchemaName, description: 'Return the answer as structured data.', input_schema: req.responseSchema });
    body.tool_choice = { type: 'tool', name: req.responseSchemaName };
  }
  if (tools.length) body.tools = tools;
  return body;
}

/** Split tool_use blocks into real tool calls and the structured-output pseudo tool. */
function finish(out: ChatResponse, blocks: { type: string; id?: string | null; name?: string | null; input?: unknown }[], schemaTool: string | null): ChatResponse {
  for (const b of blocks) {
    if (b.type !== 'tool_use') continue;
    if (schemaTool && b.name === schemaTool) out.data = parseArguments(b.input);
    else out.tool_calls.push({ name: String(b.name ?? ''), arguments: parseArguments(b.input), call_id: String(b.id ?? '') });
  }
  if (out.data !== null && !out.content) out.content = JSON.stringify(out.data);
  return out;
}

function fromMessage(json: z.output<typeof AnthropicMessage>, req: ChatRequest, schemaTool: string | null): ChatResponse {
  const out = emptyResponse(json.model ?? req.model);
  const blocks = json.content;
  out.content = blocks.filter((b) => b.type === 'text').map((b) => b.text ?? '').join('');
  const thinking = blocks.filter((b) => b.type === 'thinking').map((b) => b.thinking ?? '').join('');
  out.reasoning = thinking || null;
  out.usage = makeUsage(json.usage?.input_tokens, json.usage?.output_tokens);
  out.finish_reason = json.stop_reason ?? null;
  return finish(out, blocks, schemaTool);
}

async function fromStream(res: Response, req: ChatRequest, schemaTool: string | null, t0: number): Promise<ChatResponse> {
  const out = emptyResponse(req.model);
  const blocks: (z.output<typeof AnthropicBlock> & { json: string })[] = [];
  let reasoning = '';
  let input: unknown = null, output: unknown = null;
  for await (const data of readSseData(res.body!)) {
    const ev = parseReply('anthropic stream', AnthropicEvent, data);
    const index = ev.index ?? 0;
    switch (ev.type) {
      case 'message_start':
        if (ev.message?.model) out.model = ev.message.model;
        input = ev.message?.usage?.input_tokens ?? null;
        break;
      case 'content_block_start':
        if (ev.content_block) blocks[index] = { ...ev.content_block, json: '' };
        break;
      case 'content_block_delta': {
        const d = ev.delta;
        if (out.ttft_ms === null) out.ttft_ms = since(t0);
        if (d?.type === 'text_delta') out.content += d.text ?? '';
        else if (d?.type === 'thinking_delta') reasoning += d.thinking ?? '';
        else if (d?.type === 'input_json_delta' && blocks[index]) blocks[index]!.json += d.partial_json ?? '';
        break;
      }
      case 'message_delta':
        out.finish_reason = ev.delta?.stop_reason ?? out.finish_reason;
        output = ev.usage?.output_tokens ?? output;
        break;
      case 'error':
        throw new Error(`stream error: ${JSON.stringify(ev.error).slice(0, 300)}`);
    }
  }
  out.reasoning = reasoning || null;
  out.usage = makeUsage(input, output);
  return finish(out, blocks.filter(Boolean).map((b) => ({ ...b, input: b.json ? b.json : b.input })), schemaTool);
}

export function anthropicChat(ep: ProviderEndpoint, req: ChatRequest, policy: HttpPolicy, stream: boolean): Promise<RetryResult<ChatResponse>> {
  const t0 = performance.now();
  const schemaTool = req.responseSchema ? req.responseSchemaName : null;
  return requestWithRetry(ep.name, `${ep.baseUrl}/v1/messages`, { method: 'POST', headers: headers(ep), body: anthropicBody(req, stream) }, policy,
    async (res) => (stream ? fromStream(res, req, schemaTool, t0) : fromMessage(parseReply(ep.name, AnthropicMessage, await res.text()), req, schemaTool)));
}

export async function anthropicModels(ep: ProviderEndpoint, policy: HttpPolicy): Promise<string[]> {
  const { value } = await requestWithRetry(ep.name, `${ep.baseUrl}/v1/models`, { method: 'GET', headers: headers(ep) }, policy,
    async (res) => parseReply(ep.name, AnthropicModels, await res.text()));
  return value.data.map((m) => m.id ?? '').filter(Boolean);
}
