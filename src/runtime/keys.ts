// Deterministic keys the Python runtime computed, byte for byte (docs/runtime.md "Keys and timestamps"): clients and
// existing ledgers depend on them.
import { canonicalJson, sha256Hex } from '../util/json.ts';
import { isPlainObject, type Vars } from '../model/index.ts';

const CALL_ID_FIELDS = ['call_id', 'id', 'runtime_call_id', 'model_call_id', 'idempotency_key'];

function normalizeToolCall(call: unknown): unknown {
  if (!isPlainObject(call)) return call;
  const out: Vars = {};
  for (const [k, v] of Object.entries(call)) if (!CALL_ID_FIELDS.includes(k)) out[k] = v;
  if (typeof out.name === 'string') out.name = out.name.trim();
  if (typeof out.arguments === 'string') {
    try {
      const parsed = JSON.parse(out.arguments);
      out.arguments = isPlainObject(parsed) ? parsed : {};
    } catch {
      out.arguments = {};
    }
  }
  if (isPlainObject(out.function)) out.function = normalizeToolCall(out.function);
  return out;
}

export function sortedUniqueStrings(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return [...new Set(v.filter((x) => typeof x === 'string').map((x: string) => x.trim()).filter(Boolean))].sort();
}

/** Payload as hashed for the idempotency key: tool calls lose provider call ids (they drift across retries). */
export function normalizeForKey(effectType: string, payload: Vars): Vars {
  if (effectType !== 'tool_calls') return payload;
  const out: Vars = { ...payload };
  if (Array.isArray(out.tool_calls)) out.tool_calls = out.tool_calls.map(normalizeToolCall);
  if ('allowed_tools' in out) out.allowed_tools = sortedUniqueStrings(out.allowed_tools);
  return out;
}

export function idempotencyKey(runId: string, nodeId: string, effectType: string, payload: Vars): string {
  const body = { run_id: runId, node_id: nodeId, effect_type: effectType, effect_payload: normalizeForKey(effectType, payload) };
  return sha256Hex(canonicalJson(body, true)).slice(0, 32);
}

export const EVENT_SCOPES = ['session', 'workflow', 'run', 'global'] as const;
export type EventScope = (typeof EVENT_SCOPES)[number];

export function parseScope(scope: unknown): EventScope {
  const s = (typeof scope === 'string' && scope.trim() ? scope : 'session').trim().toLowerCase();
  if (!(EVENT_SCOPES as readonly string[]).includes(s)) throw new Error(`unknown event scope: '${String(scope)}'`);
  return s as EventScope;
}

export function eventWaitKey(scope: EventScope, scopeId: string | null | undefined, name: string): string {
  const n = name.trim();
  if (!n) throw new Error('event name is required');
  const id = scope === 'global' ? 'global' : (scopeId ?? '').trim();
  if (!id) throw new Error(`missing scope id for scope='${scope}'`);
  return `evt:${scope}:${id}:${n}`;
}
