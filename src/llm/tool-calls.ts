// The `tool_calls` effect (docs/runtime.md "Effects"): normalise calls, apply the allow-list, then either
// execute built-in tools in-process (`local`) or wait for a person/host to run or approve them
// (`passthrough`); and how a host's answer to such a wait is applied (toolWaitResume, docs/runtime.md "Tool waits").
import { isPlainObject, toolApproval, toolApprovalsOf, type EffectOutcome, type Vars, type WaitState } from '../model/index.ts';
import type { EffectContext, EffectHandler, ResumeHook } from '../runtime/types.ts';
import type { LlmConfig } from './config.ts';
import { parseArguments } from './providers/common.ts';
import { executeToolCall, type ToolResult } from './tools/index.ts';
import type { ToolCall } from './types.ts';

export interface RuntimeToolCall extends ToolCall {
  runtime_call_id: string;
}

/** `tool_calls` may be a list, a single call object, or a JSON string of either. */
function asCallList(raw: unknown): unknown[] | null {
  let v = raw;
  if (typeof v === 'string') {
    try { v = JSON.parse(v); } catch { return null; }
  }
  if (isPlainObject(v)) return [v];
  return Array.isArray(v) ? v : null;
}

function nameAndArgs(c: Record<string, any>): { name: string; arguments: Record<string, any> } {
  const fn = isPlainObject(c.function) ? c.function : {};
  return { name: String(c.name ?? fn.name ?? '').trim(), arguments: parseArguments(c.arguments ?? fn.arguments) };
}

/** docs/runtime.md "Keys and timestamps": ids (existing call_id/id, else the runtime id `rtcall_<key>_<n>`), trimmed names, parsed args. */
export function normalizeToolCalls(raw: unknown, idempotencyKey: string): RuntimeToolCall[] | null {
  const list = asCallList(raw);
  if (!list) return null;
  return list.filter(isPlainObject).map((c, i) => {
    const runtimeId = typeof c.runtime_call_id === 'string' && c.runtime_call_id ? c.runtime_call_id : `rtcall_${idempotencyKey}_${i + 1}`;
    const callId = c.call_id ?? c.id;
    return { ...nameAndArgs(c), call_id: typeof callId === 'string' && callId ? callId : runtimeId, runtime_call_id: runtimeId };
  });
}

/** docs/runtime.md "Keys and timestamps": the payload as it is hashed for the idempotency key (provider id drift must not matter). */
export function toolCallsKeyPayload(payload: Vars): Vars {
  const out: Vars = { ...payload };
  const list = asCallList(payload.tool_calls);
  if (list) out.tool_calls = list.filter(isPlainObject).map((c) => {
    const { call_id: _a, id: _b, runtime_call_id: _c, model_call_id: _d, idempotency_key: _e, function: fn, ...rest } = c;
    const norm: Vars = { ...rest, ...nameAndArgs(c) };
    if (isPlainObject(fn)) norm.function = nameAndArgs(fn);
    return norm;
  });
  if (Array.isArray(payload.allowed_tools)) out.allowed_tools = allowedList(payload.allowed_tools);
  return out;
}

const allowedList = (raw: unknown[]): string[] =>
  [...new Set(raw.filter((x): x is string => typeof x === 'string').map((s) => s.trim()).filter(Boolean))].sort();

const blockedResult = (c: RuntimeToolCall): ToolResult => ({
  call_id: c.call_id, runtime_call_id: c.runtime_call_id, name: c.name, success: false, output: null,
  error: `Tool '${c.name}' is not allowed for this node`,
});

/** An approval decision (not results) answering a tool-calls wait. */
function isToolApproval(w: WaitState, payload: Vars): boolean {
  return Array.isArray(w.details?.tool_calls) && typeof payload?.approved === 'boolean' && !Array.isArray(payload.results) && !!w.wait_key;
}

/** Tool waits with blocked calls merge host results back into the original call order (docs/runtime.md "Tool waits"). */
function mergeHostResults(w: WaitState, payload: Vars): Vars {
  const d = w.details;
  if (!d || !Array.isArray(payload?.results)) return payload;
  const total = Number(d.original_call_count);
  const blocked = isPlainObject(d.blocked_by_index) ? d.blocked_by_index : isPlainObject(d.pre_results_by_index) ? d.pre_results_by_index : null;
  if (!blocked || !Number.isInteger(total) || payload.results.length >= total) return payload;
  const host = [...payload.results];
  const results: Vars[] = [];
  for (let i = 0; i < total; i++) {
    const fixed = blocked[String(i)];
    results.push(fixed ?? host.shift() ?? { success: false, error: 'Missing tool result' });
  }
  return { ...payload, mode: payload.mode ?? 'executed', results };
}

/**
 * How a host answers a passthrough tool wait: `{approved, reason?}` records the decision and re-enters the waiting
 * node (its tool_calls effect runs again and finds it: approved → executed in-process as a recorded step; denied →
 * every call fails); results are stored with the blocked calls' results merged back in call order.
 */
export const toolWaitResume: ResumeHook = (run, w, payload) => {
  if (isToolApproval(w, payload)) {
    toolApprovalsOf(run.vars)[w.wait_key!] = { approved: payload.approved, reason: typeof payload.reason === 'string' ? payload.reason : null };
    return { reenter: true };
  }
  const merged = mergeHostResults(w, payload);
  return merged === payload ? null : { payload: merged };
};

export function createToolCallsEffect(config: LlmConfig): EffectHandler {
  const handler: EffectHandler = async (ctx: EffectContext): Promise<EffectOutcome> => {
    const payload = ctx.effect.payload ?? {};
    const calls = normalizeToolCalls(payload.tool_calls, ctx.idempotencyKey);
    if (!calls) return { status: 'failed', error: 'tool_calls requires payload.tool_calls (list)' };
    const allowed = Array.isArray(payload.allowed_tools) ? new Set(allowedList(payload.allowed_tools)) : null;
    const blocked = new Map<number, ToolResult>();
    calls.forEach((c, i) => { if (allowed && !allowed.has(c.name)) blocked.set(i, blockedResult(c)); });
    const runnable = calls.filter((_, i) => !blocked.has(i));
    const waitKey = typeof payload.wait_key === 'string' && payload.wait_key ? payload.wait_key : `tool_calls:${ctx.run.run_id}:${ctx.nodeId}`;

    // A person's decision on this node's earlier passthrough wait (stored by the runtime's resume).
    const decision = toolApproval(ctx.run.vars, waitKey);
    if (decision) {
      delete toolApprovalsOf(ctx.run.vars)[waitKey];
      if (decision.approved !== true) {
        const reason = typeof decision.reason === 'string' && decision.reason ? decision.reason : 'Denied by user';
        const results = calls.map((c, i) => blocked.get(i) ?? { call_id: c.call_id, runtime_call_id: c.runtime_call_id, name: c.name, success: false, output: null, error: reason });
        return { status: 'completed', result: { mode: 'executed', results, approved: false } };
      }
    }

    if (config.toolMode === 'local' || runnable.length === 0 || decision?.approved === true) {
      const results: ToolResult[] = [];
      for (const [i, c] of calls.entries()) {
        // sequential on purpose: later calls may depend on files earlier ones wrote
        results.push(blocked.get(i) ?? await executeToolCall(c, { vars: ctx.run.vars, limits: config.tools, signal: ctx.signal, external: config.externalTools }));
      }
      return { status: 'completed', result: { mode: 'executed', results } };
    }

    const details: Vars = { mode: 'passthrough', tool_calls: runnable, tool_calls_for_evidence: calls };
    if (blocked.size) {
      details.original_call_count = calls.length;
      details.blocked_by_index = Object.fromEntries([...blocked].map(([i, r]) => [String(i), r]));
    }
    return {
      status: 'waiting',
      wait: {
        reason: 'event',
        wait_key: waitKey,
        until: null,
        resume_to_node: typeof payload.resume_to_node === 'string' ? payload.resume_to_node : ctx.nextNode,
        result_key: ctx.effect.result_key,
        prompt: null,
        choices: null,
        allow_free_text: true,
        details,
      },
    };
  };
  handler.resume = toolWaitResume;
  return handler;
}

