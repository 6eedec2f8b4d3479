// Small helpers shared by the protocol clients.
import { isPlainObject } from '../../model/index.ts';
import type { ChatResponse, Usage } from '../types.ts';

/** Tool-call arguments arrive as an object or a JSON string; anything else becomes `{}`. */
export function parseArguments(raw: unknown): Record<string, any> {
  if (isPlainObject(raw)) return raw;
  if (typeof raw === 'string' && raw.trim()) {
    try {
      const v = JSON.parse(raw);
      return isPlainObject(v) ? v : {};
    } catch {
      return {};
    }
  }
  return {};
}

export function makeUsage(input: unknown, output: unknown, total?: unknown): Usage | null {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const i = num(input), o = num(output);
  const t = num(total) ?? (i !== null && o !== null ? i + o : null);
  if (i === null && o === null && t === null) return null;
  return { input_tokens: i, output_tokens: o, total_tokens: t, prompt_tokens: i, completion_tokens: o };
}

/** Providers that do not give tool calls ids (Ollama) still need unique ids for the conversation. */
export const newCallId = (): string => `call_${crypto.randomUUID().replace(/-/g, '').slice(0, 24)}`;

export function emptyResponse(model: string): ChatResponse {
  return { content: '', reasoning: null, tool_calls: [], data: null, usage: null, model, finish_reason: null, ttft_ms: null };
}

/** Milliseconds since `t0`, used for time-to-first-token. */
export const since = (t0: number): number => Math.round(performance.now() - t0);
