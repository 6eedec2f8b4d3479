// LLM, tools and agent nodes (docs/flows.md "Node families"): the engine only builds effect payloads and maps
// results; src/llm executes `llm_call` / `tool_calls` and provides the ReAct agent workflow.

import { AGENT_WORKFLOW_ID, isPlainObject, limitsOf, routingOf, type Vars } from '../../../model/index.ts';
import { parseJsonSafe } from '../../../util/json.ts';
import { pyStr, toFloat } from '../deps.ts';
import type { Exec } from '../exec.ts';
import { config } from '../model.ts';
import { objAt } from '../paths.ts';
import type { NodeResult, NodeSpec } from '../spec.ts';

/** First of `keys` present in the input (a present null counts: "specified"). */
function pick(input: Vars, ...keys: string[]): { set: boolean; value?: unknown } {
  for (const k of keys) if (Object.hasOwn(input, k)) return { set: true, value: input[k] };
  return { set: false };
}

const pinOr = (input: Vars, keys: string[], fallback: unknown): unknown => {
  const p = pick(input, ...keys);
  return p.set ? p.value : fallback;
};

/** A real provider/model string ("default" and blanks mean "use the runtime default"). */
function named(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const s = v.trim();
  return s && s.toLowerCase() !== 'default' ? s : null;
}

function boolish(v: unknown): boolean {
  if (typeof v === 'string') return ['true', '1', 'yes', 'on'].includes(v.trim().toLowerCase());
  return v === true || (typeof v === 'number' && v !== 0);
}

function intOrNull(v: unknown): number | null {
  if (v === null || v === undefined || v === '') return null;
  try {
    const n = Math.trunc(toFloat(v));
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

/** Tool names (strings) and ToolSpec objects stripped to `{name, description, parameters}`. */
function toolList(v: unknown): (string | Vars)[] {
  if (!Array.isArray(v)) return [];
  const out: (string | Vars)[] = [];
  for (const t of v) {
    if (typeof t === 'string' && t.trim()) out.push(t.trim());
    else if (isPlainObject(t) && typeof t.name === 'string') {
      const spec: Vars = { name: t.name };
      if (t.description !== undefined) spec.description = t.description;
      if (t.parameters !== undefined) spec.parameters = t.parameters;
      out.push(spec);
    }
  }
  return out;
}

const toolNames = (v: unknown): string[] => toolList(v).map((t) => (typeof t === 'string' ? t : (t.name as string)));

/** JSON-Schema object, or the inner schema of an OpenAI `{type:"json_schema", json_schema:{schema}}` wrapper. */
function responseSchema(v: unknown): Vars | null {
  let s = v;
  if (typeof s === 'string') s = parseJsonSafe(s, null);
  if (!isPlainObject(s) || !Object.keys(s).length) return null;
  if (s.type === 'json_schema' && isPlainObject(s.json_schema)) return isPlainObject(s.json_schema.schema) ? s.json_schema.schema : null;
  return s;
}

/** Leading system messages, then the system prompt, then the rest, then the user prompt. */
function withPrompt(messages: unknown[], system: string, prompt: string): Vars[] {
  const list = messages.filter(isPlainObject) as Vars[];
  const lead = list.findIndex((m) => m.role !== 'system');
  const cut = lead < 0 ? list.length : lead;
  const sys = system ? [{ role: 'system', content: system }] : [];
  return [...list.slice(0, cut), ...sys, ...list.slice(cut), { role: 'user', content: prompt }];
}

/** temperature / seed (≥ 0) / max_output_tokens (> 0) from pins, else the node config. */
function llmParams(input: Vars, cfg: Vars): Vars {
  const params: Vars = {};
  const temp = pinOr(input, ['temperature'], cfg.temperature);
  if (temp !== null && temp !== undefined) {
    try {
      params.temperature = toFloat(temp);
    } catch {
      // not a number: leave the provider default
    }
  }
  const seed = intOrNull(pinOr(input, ['seed'], cfg.seed ?? -1));
  if (seed !== null && seed >= 0) params.seed = seed;
  const maxOut = intOrNull(pinOr(input, ['max_out_tokens', 'max_output_tokens', 'maxOutputTokens'], cfg.max_output_tokens));
  if (maxOut !== null && maxOut > 0) params.max_output_tokens = maxOut;
  return params;
}

// ---- memory-source pins (docs/flows.md "Node families"): MEMORY_QUERY → MEMORY_REHYDRATE → MEMORY_KG_QUERY pre-effects.

interface MemorySources {
  span: boolean;
  kg: boolean;
  query: string;
  scope: string;
  recallLevel: unknown;
  maxSpanMessages: number | null;
  kgMaxTokens: number | null;
  kgLimit: number | null;
  kgMinScore: unknown;
}

function memorySources(input: Vars, prompt: string): MemorySources | null {
  const m: Vars = isPlainObject(input.memory) ? { ...input.memory, ...input } : input;
  const span = boolish(m.use_span_memory);
  const kg = boolish(m.use_kg_memory);
  if (!span && !kg) return null;
  const q = typeof m.memory_query === 'string' && m.memory_query.trim() ? m.memory_query.trim() : prompt;
  return {
    span, kg, query: q, scope: typeof m.memory_scope === 'string' && m.memory_scope.trim() ? m.memory_scope.trim() : 'run',
    recallLevel: m.recall_level ?? null, maxSpanMessages: intOrNull(m.max_span_messages), kgMaxTokens: intOrNull(m.kg_max_input_tokens),
    kgLimit: intOrNull(m.kg_limit), kgMinScore: m.kg_min_score ?? null,
  };
}

/**
 * The next memory pre-effect to run for this node (each re-enters the node), or the KG active-memory text once
 * all ran. Results live in `_temp.memory_sources.<node>`; a changed fingerprint (prompt/settings) resets them.
 */
function memoryStage(x: Exec, ms: MemorySources): NodeResult | { kgText: string } {
  const all = x.bucket('memory_sources');
  const fingerprint = JSON.stringify(ms);
  const bucket: Vars = isPlainObject(all[x.node.id]) && all[x.node.id]._meta?.fingerprint === fingerprint ? all[x.node.id] : (all[x.node.id] = { _meta: { fingerprint, warnings: [], span_ids: [] } });
  const key = (k: string) => `_temp.memory_sources.${x.node.id}.${k}`;
  const withLevel = (p: Vars) => (ms.recallLevel !== null && ms.recallLevel !== '' ? { ...p, recall_level: ms.recallLevel } : p);
  if (ms.span && !bucket.span_query) {
    return { kind: 'effect', type: 'memory_query', payload: withLevel({ query: ms.query, scope: ms.scope, return: 'meta', limit_spans: 5 }), next: x.node.id, resultKey: key('span_query') };
  }
  if (ms.span && !bucket.span_rehydrate) {
    const first = Array.isArray(bucket.span_query?.results) ? bucket.span_query.results[0] : null;
    const ids: string[] = Array.isArray(first?.meta?.span_ids) ? first.meta.span_ids : [];
    bucket._meta.span_ids = ids;
    if (ids.length) {
      const p: Vars = { span_ids: ids, placement: 'after_summary' };
      if (ms.maxSpanMessages !== null) p.max_messages = ms.maxSpanMessages;
      return { kind: 'effect', type: 'memory_rehydrate', payload: withLevel(p), next: x.node.id, resultKey: key('span_rehydrate') };
    }
    bucket.span_rehydrate = { inserted: 0, skipped: 0, artifacts: [] };
  }
  if (ms.kg && !bucket.kg_query) {
    const p: Vars = { query_text: ms.query, scope: ms.scope };
    if (ms.kgMaxTokens !== null) p.max_input_tokens = ms.kgMaxTokens;
    if (ms.kgLimit !== null) p.limit = ms.kgLimit;
    if (ms.kgMinScore !== null && ms.kgMinScore !== '') p.min_score = ms.kgMinScore;
    return { kind: 'effect', type: 'memory_kg_query', payload: withLevel(p), next: x.node.id, resultKey: key('kg_query') };
  }
  const kgText = typeof bucket.kg_query?.active_memory_text === 'string' ? bucket.kg_query.active_memory_text : '';
  bucket._meta.kg_active_memory_text_len = kgText.length;
  // Consumed: the next visit of this node queries memory afresh.
  delete all[x.node.id];
  return { kgText };
}

async function llmCall(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('effect');
  const cfg = config(x.node, 'effectConfig');
  const rawPrompt = input.prompt;
  const prompt = rawPrompt === null || rawPrompt === undefined ? '' : pyStr(rawPrompt);
  let system = input.system === null || input.system === undefined ? '' : pyStr(input.system);
  const ms = memorySources(input, prompt);
  if (ms) {
    const stage = memoryStage(x, ms);
    if ('kind' in stage) return stage;
    if (stage.kgText) system = [system, `## KG ACTIVE MEMORY\n${stage.kgText}`].filter(Boolean).join('\n\n');
  }
  const params = llmParams(input, cfg);
  params.temperature ??= 0.7;
  const payload: Vars = { prompt, system_prompt: system, params };
  const tools = toolList(pinOr(input, ['tools'], cfg.tools));
  if (tools.length) payload.tools = tools;
  const provider = named(pinOr(input, ['provider', 'provider_text'], undefined)) ?? named(cfg.provider);
  const model = named(pinOr(input, ['model', 'model_text'], undefined)) ?? named(cfg.model);
  if (provider && model) {
    payload.provider = provider.toLowerCase();
    payload.model = model;
  }
  const includeContext = boolish(pinOr(input, ['use_context', 'include_context'], cfg.include_context ?? cfg.use_context ?? false));
  if (includeContext) payload.include_context = true;
  const maxIn = intOrNull(pinOr(input, ['max_in_tokens', 'max_input_tokens', 'maxInputTokens'], cfg.max_input_tokens));
  if (maxIn !== null && maxIn > 0) payload.max_input_tokens = maxIn;
  const schema = responseSchema(pinOr(input, ['resp_schema', 'response_schema'], undefined));
  if (schema) {
    payload.response_schema = schema;
    payload.response_schema_name = 'LLM_StructuredOutput';
    if (typeof cfg.structured_output_fallback === 'boolean') payload.structured_output_fallback = cfg.structured_output_fallback;
  }
  // Conversation: an explicit context pin, else (include_context) the run's own context.
  const pinned = isPlainObject(input.context) ? input.context : null;
  const runCtx = isPlainObject(x.vars.context) ? x.vars.context : {};
  const context = pinned && Array.isArray(pinned.messages) ? pinned : includeContext ? runCtx : null;
  const media = pinned && Array.isArray(pinned.attachments) ? pinned.attachments : includeContext ? runCtx.attachments : undefined;
  if (Array.isArray(media)) payload.media = media;
  if (context) {
    payload.messages = withPrompt(Array.isArray(context.messages) ? context.messages : [], system, prompt);
    delete payload.prompt;
    delete payload.system_prompt;
  }
  return {
    kind: 'effect',
    type: 'llm_call',
    payload,
    placeholder: { response: null, success: null, meta: null, tool_calls: null, data: null },
  };
}

function mapLlm(raw: any): Vars {
  const r: Vars = isPlainObject(raw) ? raw : { content: raw };
  const data = r.data;
  const structured = isPlainObject(data) || Array.isArray(data);
  const toolCalls = Array.isArray(r.tool_calls) ? r.tool_calls : [];
  const meta: Vars = {
    schema: 'abstractflow.llm_call.v1.meta',
    version: 1,
    output_mode: structured ? 'structured' : 'unstructured',
    tool_calls: toolCalls.length,
  };
  for (const k of ['provider', 'model', 'finish_reason', 'usage', 'gen_time', 'ttft_ms']) if (r[k] !== undefined && r[k] !== null) meta[k] = r[k];
  const traceId = r.trace_id ?? (isPlainObject(r.metadata) ? r.metadata.trace_id : undefined);
  if (traceId) meta.trace = { trace_id: traceId };
  return {
    response: structured ? JSON.stringify(data) : r.content === null || r.content === undefined ? '' : pyStr(r.content),
    data: structured ? data : null,
    success: true,
    meta,
    tool_calls: toolCalls,
    result: r,
    raw: r,
  };
}

/**
 * Agent node: runs the ReAct agent workflow (src/llm) as a child run. Phases live in `_temp.agent.<node>`:
 * emit START_SUBWORKFLOW with `next` = this node, then on re-entry map the child's output onto the pins.
 */
async function agent(x: Exec): Promise<NodeResult> {
  const bucket = objAt(x.bucket('agent'), x.node.id);
  if (bucket.phase === 'subworkflow' && bucket.sub !== undefined) return finishAgent(x, bucket);
  for (const k of Object.keys(bucket)) delete bucket[k]; // re-entry after `done` (e.g. in a loop): fresh inputs

  const input = await x.inputs('effect');
  const cfg = config(x.node, 'agentConfig');
  const rt = routingOf(x.vars);
  const provider = named(pinOr(input, ['provider'], undefined)) ?? named(cfg.provider) ?? named(rt.provider);
  const model = named(pinOr(input, ['model'], undefined)) ?? named(cfg.model) ?? named(rt.model);
  if (!provider || !model) {
    bucket.phase = 'done';
    const error = 'Agent configuration error: missing provider/model';
    return { kind: 'value', output: { response: error, success: false, meta: { error }, scratchpad: null, data: null } };
  }
  const rawTask = pinOr(input, ['prompt', 'task'], '');
  const task = rawTask === null || rawTask === undefined ? '' : pyStr(rawTask);
  let system = input.system === null || input.system === undefined ? '' : pyStr(input.system);
  // Memory-source pins: the same pre-effects as llm_call, before the agent's child run starts.
  const ms = memorySources(input, task);
  if (ms) {
    const stage = memoryStage(x, ms);
    if ('kind' in stage) return stage;
    if (stage.kgText) system = [system, `## KG ACTIVE MEMORY\n${stage.kgText}`].filter(Boolean).join('\n\n');
  }
  const limits = limitsOf(x.vars) ?? {};
  const maxIterations = intOrNull(pinOr(input, ['max_iterations'], cfg.max_iterations)) ?? intOrNull(limits.max_iterations) ?? 50;
  const includeContext = boolish(pinOr(input, ['use_context', 'include_context'], cfg.include_context ?? cfg.use_context ?? false));
  const ctxPin = isPlainObject(input.context) ? input.context : {};
  const parentMessages = isPlainObject(x.vars.context) && Array.isArray(x.vars.context.messages) ? x.vars.context.messages : [];
  const messages = Array.isArray(ctxPin.messages) && ctxPin.messages.length ? ctxPin.messages : includeContext ? parentMessages : [];
  const outputSchema = isPlainObject(cfg.outputSchema) && cfg.outputSchema.enabled ? cfg.outputSchema.jsonSchema : undefined;
  const schema = responseSchema(pinOr(input, ['resp_schema', 'response_schema'], outputSchema));

  const vars: Vars = {
    task,
    system,
    provider: provider.toLowerCase(),
    model,
    tools: toolNames(pinOr(input, ['tools'], cfg.tools)),
    max_iterations: maxIterations,
    context: { ...ctxPin, messages },
  };
  if (schema) vars.response_schema = schema;
  const params = llmParams(input, cfg);
  if (Object.keys(params).length) vars.params = params;
  Object.assign(bucket, { phase: 'subworkflow', task, include_context: includeContext, provider: vars.provider, model });
  return {
    kind: 'effect',
    type: 'start_subworkflow',
    payload: { workflow_id: AGENT_WORKFLOW_ID, vars, async: true, wait: true },
    placeholder: { response: null, success: null, meta: null, scratchpad: null, data: null },
    next: x.node.id,
    resultKey: `_temp.agent.${x.node.id}.sub`,
  };
}

function finishAgent(x: Exec, bucket: Vars): NodeResult {
  const sub = isPlainObject(bucket.sub) ? bucket.sub : {};
  const child = isPlainObject(sub.output) ? sub.output : {};
  const failed = child.success === false;
  const response = child.response === null || child.response === undefined ? '' : pyStr(child.response);
  const output: Vars = {
    response,
    success: !failed,
    meta: isPlainObject(child.meta) ? child.meta : { sub_run_id: sub.sub_run_id ?? null, provider: bucket.provider, model: bucket.model },
    scratchpad: child.scratchpad ?? null,
    data: child.data ?? null,
  };
  if (failed && child.error !== undefined) output.error = child.error;
  if (bucket.include_context && !failed) appendToContext(x, String(sub.sub_run_id ?? ''), bucket.task, response);
  bucket.phase = 'done';
  bucket.sub_run_id = sub.sub_run_id ?? null;
  delete bucket.sub;
  return { kind: 'value', output };
}

/** The agent turn joins the parent's conversation once (ids `agent:<sub>:<node>:user|assistant`). */
function appendToContext(x: Exec, subRunId: string, task: unknown, answer: string): void {
  if (!isPlainObject(x.vars.context)) x.vars.context = {};
  const ctx = x.vars.context as Vars;
  if (!Array.isArray(ctx.messages)) ctx.messages = [];
  const have = new Set(ctx.messages.map((m: any) => (isPlainObject(m) && isPlainObject(m.metadata) ? m.metadata.message_id : null)));
  const ts = x.ctx.nowIso();
  for (const [suffix, role, content] of [['user', 'user', pyStr(task ?? '')], ['assistant', 'assistant', answer]] as const) {
    const id = `agent:${subRunId}:${x.node.id}:${suffix}`;
    if (!have.has(id)) ctx.messages.push({ role, content, timestamp: ts, metadata: { message_id: id } });
  }
}

function toolCallsOf(v: unknown): unknown[] {
  const parsed = typeof v === 'string' ? parseJsonSafe(v, null) : v;
  if (Array.isArray(parsed)) return parsed;
  return isPlainObject(parsed) ? [parsed] : [];
}

function allowedTools(input: Vars, cfg: Vars): string[] | undefined {
  if (Object.hasOwn(input, 'allowed_tools')) return toolNames(input.allowed_tools);
  return Array.isArray(cfg.allowed_tools) ? toolNames(cfg.allowed_tools) : undefined;
}

async function toolCalls(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('effect');
  const payload: Vars = { tool_calls: toolCallsOf(input.tool_calls) };
  const allowed = allowedTools(input, config(x.node, 'effectConfig'));
  if (allowed) payload.allowed_tools = allowed;
  return { kind: 'effect', type: 'tool_calls', payload, placeholder: { results: null, success: null } };
}

function mapToolCalls(raw: any): Vars {
  const results = isPlainObject(raw) && Array.isArray(raw.results) ? raw.results : [];
  const executed = isPlainObject(raw) && raw.mode === 'executed';
  return { results, success: executed && results.every((r: any) => isPlainObject(r) && r.success === true), raw };
}

async function callTool(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('effect');
  const call = toolCallsOf(input.tool_call ?? input.toolCall)[0];
  if (!call) throw new Error(`call_tool node '${x.node.id}' needs a tool_call object ({name, arguments})`);
  const payload: Vars = { tool_calls: [call] };
  const allowed = allowedTools(input, config(x.node, 'effectConfig'));
  if (allowed) payload.allowed_tools = allowed;
  return { kind: 'effect', type: 'tool_calls', payload, placeholder: { result: null, success: null } };
}

function mapCallTool(raw: any): Vars {
  const first = isPlainObject(raw) && Array.isArray(raw.results) ? raw.results[0] : undefined;
  let result: unknown;
  let success = false;
  if (!isPlainObject(raw) || raw.mode !== 'executed') result = `Tool execution not completed (mode=${isPlainObject(raw) ? raw.mode : 'unknown'})`;
  else if (!isPlainObject(first)) result = 'Missing tool result';
  else {
    success = first.success === true;
    result = success ? first.output : first.error;
  }
  return { result, success, tool_result: result, tool_success: success, raw };
}

export const LLM_NODES: Record<string, NodeSpec> = {
  llm_call: { family: 'effect', exec: llmCall, mapEffect: mapLlm },
  agent: { family: 'effect', exec: agent },
  tool_calls: { family: 'effect', exec: toolCalls, mapEffect: mapToolCalls },
  call_tool: { family: 'effect', exec: callTool, mapEffect: mapCallTool },
};
