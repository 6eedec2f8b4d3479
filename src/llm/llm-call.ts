// The `llm_call` effect (docs/runtime.md "Effects"): validate the payload, route to the provider, assemble
// the result (content, tool calls, structured data, usage, attempts). Tool calls are returned, not run.
import { z } from 'zod';
import { isPlainObject, type EffectOutcome, type Vars, routingOf } from '../model/index.ts';
import type { EffectContext, EffectHandler } from '../runtime/types.ts';
import { PROVIDER_ENV, type LlmConfig } from './config.ts';
import { LlmHttpError, redact, type AttemptInfo, type HttpPolicy } from './http.ts';
import { parseArguments } from './providers/common.ts';
import { chat } from './providers/index.ts';
import { extractJson, normalizeResponseSchema, validateAgainstSchema } from './schema.ts';
import { findTool, toolSpecFor } from './tools/index.ts';
import type { ChatMessage, ChatRequest, ChatResponse, ProviderEndpoint, ToolCall, ToolSpec } from './types.ts';

const ROLES = ['system', 'user', 'assistant', 'tool'] as const;

const messageSchema = z.looseObject({
  role: z.enum(ROLES, { error: `message role must be one of ${ROLES.join(', ')}` }),
  content: z.unknown().optional(),
  tool_calls: z.array(z.unknown()).nullish(),
  tool_call_id: z.string().nullish(),
  name: z.string().nullish(),
});

const payloadSchema = z.looseObject({
  prompt: z.unknown().optional(),
  messages: z.array(messageSchema).nullish(),
  system_prompt: z.string().nullish(),
  provider: z.string().nullish(),
  model: z.string().nullish(),
  tools: z.array(z.union([z.string(), z.looseObject({ name: z.string(), description: z.string().nullish(), parameters: z.record(z.string(), z.unknown()).nullish() })])).nullish(),
  response_schema: z.unknown().optional(),
  response_schema_name: z.string().nullish(),
  structured_output_fallback: z.boolean().nullish(),
  include_context: z.unknown().optional(),
  use_context: z.unknown().optional(),
  params: z.looseObject({
    temperature: z.number().nullish(),
    seed: z.number().int().nullish(),
    max_output_tokens: z.number().int().positive().nullish(),
    max_tokens: z.number().int().positive().nullish(),
  }).nullish(),
});

type Payload = z.infer<typeof payloadSchema>;

/** OpenAI multi-part content and other shapes flattened to text. */
function textOf(content: unknown): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((p) => (isPlainObject(p) && typeof p.text === 'string' ? p.text : typeof p === 'string' ? p : '')).join('');
  }
  return JSON.stringify(content);
}

function toCall(raw: unknown, i: number): ToolCall {
  const c = isPlainObject(raw) ? raw : {};
  const fn = isPlainObject(c.function) ? c.function : {};
  return { name: String(c.name ?? fn.name ?? ''), arguments: parseArguments(c.arguments ?? fn.arguments), call_id: String(c.call_id ?? c.id ?? `call_${i}`) };
}

function toMessage(m: z.infer<typeof messageSchema>): ChatMessage {
  const out: ChatMessage = { role: m.role, content: textOf(m.content) };
  if (m.tool_calls?.length) out.tool_calls = m.tool_calls.map(toCall);
  if (m.tool_call_id) out.tool_call_id = m.tool_call_id;
  if (m.name) out.name = m.name;
  return out;
}

const truthy = (v: unknown): boolean =>
  v === true || (typeof v === 'string' && ['true', '1', 'yes', 'on'].includes(v.trim().toLowerCase())) || v === 1;

/** The conversation: explicit messages, else run context (include_context), plus system and prompt. */
function buildMessages(p: Payload, vars: Vars): ChatMessage[] {
  const prompt = p.prompt === undefined || p.prompt === null ? '' : textOf(p.prompt);
  const useContext = truthy(p.include_context) || truthy(p.use_context);
  const base = p.messages ?? (useContext && Array.isArray(vars.context?.messages)
    ? (vars.context.messages as unknown[]).flatMap((m) => { const r = messageSchema.safeParse(m); return r.success ? [r.data] : []; })
    : []);
  const messages = base.map(toMessage);
  if (p.system_prompt) {
    const lead = messages.findIndex((m) => m.role !== 'system');
    messages.splice(lead < 0 ? messages.length : lead, 0, { role: 'system', content: p.system_prompt });
  }
  if (prompt) messages.push({ role: 'user', content: prompt });
  return messages;
}

/** Tool names resolve to built-in specs (unknown names dropped, docs/flows.md "Node families"); objects are stripped to 3 fields. */
function resolveTools(raw: Payload['tools']): ToolSpec[] {
  const out: ToolSpec[] = [];
  for (const t of raw ?? []) {
    if (typeof t === 'string') {
      const spec = findTool(t.trim());
      if (spec) out.push(toolSpecFor(spec));
    } else {
      out.push({ name: t.name, description: t.description ?? '', parameters: (t.parameters ?? {}) as Record<string, any> });
    }
  }
  return out;
}

const pick = (...vals: unknown[]): string | null => {
  for (const v of vals) if (typeof v === 'string' && v.trim() && v.trim().toLowerCase() !== 'default') return v.trim();
  return null;
};

interface CallOutcome {
  response: ChatResponse;
  data: unknown;
  attempts: AttemptInfo[];
  fallback: Vars | null;
  genMs: number;
}

/** Native structured mode first; on refusal (HTTP 400) or invalid output, a prompted + validated retry. */
async function callModel(ep: ProviderEndpoint, req: ChatRequest, policy: HttpPolicy, config: LlmConfig, allowFallback: boolean): Promise<CallOutcome> {
  const t0 = performance.now();
  const attempts: AttemptInfo[] = [];
  const run = async (r: ChatRequest) => {
    try {
      const { value, attempts: a } = await chat(ep, r, policy, config.stream);
      attempts.push(...a);
      return value;
    } catch (e) {
      if (e instanceof LlmHttpError) attempts.push(...e.attempts);
      throw e;
    }
  };
  const schema = req.responseSchema;
  const parse = (res: ChatResponse): { data: unknown; problems: string[] } => {
    const data = res.data ?? extractJson(res.content);
    if (data === undefined || data === null) return { data: null, problems: ['response is not JSON'] };
    return { data, problems: validateAgainstSchema(schema!, data) };
  };
  let reason: string;
  try {
    const response = await run(req);
    if (!schema) return { response, data: null, attempts, fallback: null, genMs: performance.now() - t0 };
    const first = parse(response);
    if (!first.problems.length) return { response, data: first.data, attempts, fallback: null, genMs: performance.now() - t0 };
    reason = `native structured output invalid: ${first.problems.slice(0, 5).join('; ')}`;
    if (!allowFallback) throw new Error(`Structured output did not match response_schema: ${first.problems.slice(0, 5).join('; ')}`);
  } catch (e) {
    if (!schema || !allowFallback || !(e instanceof LlmHttpError) || e.status !== 400) throw e;
    reason = `native structured output rejected by provider (HTTP 400)`;
  }
  const instruction = `Respond with a single JSON value only (no prose, no code fences) that matches this JSON schema:\n${JSON.stringify(schema)}`;
  const response = await run({ ...req, responseSchema: null, messages: [...req.messages, { role: 'system', content: instruction }] });
  const second = parse(response);
  if (second.problems.length) {
    throw new Error(`Structured output did not match response_schema after fallback: ${second.problems.slice(0, 5).join('; ')}`);
  }
  return { response, data: second.data, attempts, fallback: { used: true, reason }, genMs: performance.now() - t0 };
}

export function createLlmCallEffect(config: LlmConfig): EffectHandler {
  const secrets = Object.values(config.providers).map((p) => p.apiKey).filter((k): k is string => !!k);
  return async (ctx: EffectContext): Promise<EffectOutcome> => {
    const parsed = payloadSchema.safeParse(ctx.effect.payload ?? {});
    if (!parsed.success) return { status: 'failed', error: `Invalid llm_call payload: ${z.prettifyError(parsed.error)}` };
    const p = parsed.data;
    const hasPrompt = p.prompt !== undefined && p.prompt !== null && textOf(p.prompt) !== '';
    if (!hasPrompt && !p.messages?.length) return { status: 'failed', error: 'llm_call requires payload.prompt or payload.messages' };

    const runtimeVars = routingOf(ctx.run.vars);
    const providerName = pick(p.provider, runtimeVars.provider, config.defaultProvider)?.toLowerCase() ?? null;
    const model = pick(p.model, runtimeVars.model, config.defaultModel);
    if (!providerName || !model) {
      return { status: 'failed', error: 'llm_call has no provider/model: set them on the node, or set ABSTRACTGATEWAY_PROVIDER and ABSTRACTGATEWAY_MODEL' };
    }
    const ep = config.providers[providerName];
    if (!ep) return { status: 'failed', error: `Unknown LLM provider '${providerName}' (known: ${Object.keys(config.providers).sort().join(', ')})` };

    let schema: Record<string, any> | null;
    try {
      schema = normalizeResponseSchema(p.response_schema);
    } catch (e) {
      return { status: 'failed', error: `Invalid llm_call payload: ${(e as Error).message}` };
    }
    const req: ChatRequest = {
      model,
      messages: buildMessages(p, ctx.run.vars),
      tools: resolveTools(p.tools),
      responseSchema: schema,
      responseSchemaName: p.response_schema_name || 'LLM_StructuredOutput',
      temperature: p.params?.temperature ?? null,
      seed: p.params?.seed !== undefined && p.params?.seed !== null && p.params.seed >= 0 ? p.params.seed : null,
      maxOutputTokens: p.params?.max_output_tokens ?? p.params?.max_tokens ?? null,
    };
    const policy: HttpPolicy = {
      timeoutMs: config.timeoutMs, maxAttempts: config.maxAttempts, retryBaseMs: config.retryBaseMs,
      retryMaxMs: config.retryMaxMs, signal: ctx.signal, secrets,
    };

    let out: CallOutcome;
    try {
      out = await callModel(ep, req, policy, config, p.structured_output_fallback !== false);
    } catch (e) {
      const msg = redact(e instanceof Error ? e.message : String(e), secrets);
      const hint = e instanceof LlmHttpError && (e.status === 401 || e.status === 403) ? ` (check the API key configured for provider '${providerName}')`
        : e instanceof LlmHttpError && e.status === null && / request failed: /.test(msg) ? ` (${unreachableHint(providerName, ep.baseUrl)})` : '';
      return { status: 'failed', error: msg + hint };
    }

    const { response } = out;
    const traceId = crypto.randomUUID().replace(/-/g, '');
    const metadata: Vars = {
      trace_id: traceId,
      attempts: out.attempts.length,
      http_attempts: out.attempts,
      trace_metadata: {
        run_id: ctx.run.run_id, workflow_id: ctx.run.workflow_id, node_id: ctx.nodeId, effect_idempotency_key: ctx.idempotencyKey,
        ...(ctx.run.actor_id ? { actor_id: ctx.run.actor_id } : {}),
        ...(ctx.run.session_id ? { session_id: ctx.run.session_id } : {}),
        ...(ctx.run.parent_run_id ? { parent_run_id: ctx.run.parent_run_id } : {}),
      },
    };
    if (out.fallback) metadata._structured_output_fallback = out.fallback;
    const content = response.content || (schema && out.data !== null ? JSON.stringify(out.data) : '');

    if (hasPrompt && (truthy(p.include_context) || truthy(p.use_context))) appendTurn(ctx, textOf(p.prompt), content);

    return {
      status: 'completed',
      result: {
        content,
        reasoning: response.reasoning,
        data: schema ? out.data : null,
        tool_calls: response.tool_calls.length ? response.tool_calls : null,
        usage: response.usage,
        model: response.model,
        provider: providerName,
        finish_reason: response.finish_reason,
        metadata,
        trace_id: traceId,
        gen_time: Math.round(out.genMs),
        ttft_ms: response.ttft_ms,
      },
    };
  };
}

/** include_context: record the turn in the run's context, idempotently (ids derive from the effect key). */
function appendTurn(ctx: EffectContext, prompt: string, answer: string): void {
  const vars = ctx.run.vars;
  if (!isPlainObject(vars.context)) vars.context = {};
  if (!Array.isArray(vars.context.messages)) vars.context.messages = [];
  const messages: Vars[] = vars.context.messages;
  const id = (suffix: string) => `llm:${ctx.idempotencyKey}:${suffix}`;
  if (messages.some((m) => m?.metadata?.message_id === id('user'))) return;
  const ts = ctx.nowIso();
  messages.push(
    { role: 'user', content: prompt, timestamp: ts, metadata: { message_id: id('user') } },
    { role: 'assistant', content: answer, timestamp: ts, metadata: { message_id: id('assistant') } },
  );
}

/** What to do when a provider cannot be reached at all: the variable that points the gateway at it. */
export function unreachableHint(provider: string, baseUrl: string): string {
  const v = PROVIDER_ENV[provider];
  const set = v ? `set ${v.url} to where it listens${v.key ? ` (and ${v.key})` : ''}` : 'configure its endpoint';
  return `LLM provider '${provider}' is not reachable at ${baseUrl}: start it, or ${set}, or pick another with ABSTRACTGATEWAY_PROVIDER / ABSTRACTGATEWAY_MODEL`;
}
