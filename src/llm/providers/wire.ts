// The providers' reply shapes, validated with zod where they enter the gateway (non-streaming bodies, stream
// chunks, model lists). A reply must be a JSON object; inside it every field is optional and a field of the
// wrong type reads as absent (servers that call themselves "OpenAI-compatible" differ in what they send),
// so the clients work on typed values instead of `any`.
import { z } from 'zod';
import { LlmHttpError } from '../http.ts';

const optStr = z.string().nullish().catch(undefined);
const optNum = z.number().nullish().catch(undefined);
const optBool = z.boolean().nullish().catch(undefined);
/** A list whose malformed items are dropped (not the whole list). */
const list = <T extends z.ZodType>(item: T) =>
  z.array(z.unknown()).nullish().catch(undefined).transform((xs) =>
    (xs ?? []).flatMap((x) => {
      const r = item.safeParse(x);
      return r.success ? [r.data as z.output<T>] : [];
    }));
/** An optional nested object; anything else reads as absent. */
const opt = <T extends z.ZodType>(s: T) => s.optional().catch(undefined);

// ---- OpenAI-compatible ------------------------------------------------------------------------------

const OpenAIToolCall = z.looseObject({
  id: optStr,
  index: optNum,
  function: opt(z.looseObject({ name: optStr, arguments: z.unknown().optional() })),
});
const OpenAIMessage = z.looseObject({
  content: z.unknown().optional(),
  reasoning_content: optStr,
  reasoning: optStr,
  tool_calls: list(OpenAIToolCall),
});
const OpenAIUsage = z.looseObject({ prompt_tokens: optNum, completion_tokens: optNum, total_tokens: optNum });
/** A chat completion or one streamed chunk (`delta` instead of `message`). */
export const OpenAIReply = z.looseObject({
  model: optStr,
  choices: list(z.looseObject({ message: opt(OpenAIMessage), delta: opt(OpenAIMessage), finish_reason: optStr })),
  usage: opt(OpenAIUsage),
  error: z.unknown().optional(),
});
export const OpenAIModels = z.looseObject({ data: list(z.looseObject({ id: optStr })) });

// ---- Ollama -----------------------------------------------------------------------------------------

const OllamaMessage = z.looseObject({
  content: z.unknown().optional(),
  thinking: optStr,
  tool_calls: list(z.looseObject({ id: optStr, function: opt(z.looseObject({ name: optStr, arguments: z.unknown().optional() })) })),
});
/** A chat reply or one NDJSON line of a stream. */
export const OllamaReply = z.looseObject({
  model: optStr,
  message: opt(OllamaMessage),
  done: optBool,
  done_reason: optStr,
  prompt_eval_count: optNum,
  eval_count: optNum,
  error: z.unknown().optional(),
});
export const OllamaModels = z.looseObject({ models: list(z.looseObject({ name: optStr, model: optStr })) });

// ---- Anthropic --------------------------------------------------------------------------------------

export const AnthropicBlock = z.looseObject({
  type: z.string().catch(''),
  text: optStr,
  thinking: optStr,
  id: optStr,
  name: optStr,
  input: z.unknown().optional(),
});
const AnthropicUsage = z.looseObject({ input_tokens: optNum, output_tokens: optNum });
export const AnthropicMessage = z.looseObject({
  model: optStr,
  content: list(AnthropicBlock),
  usage: opt(AnthropicUsage),
  stop_reason: optStr,
});
/** One server-sent event of a streamed message. */
export const AnthropicEvent = z.looseObject({
  type: optStr,
  index: optNum,
  message: opt(z.looseObject({ model: optStr, usage: opt(AnthropicUsage) })),
  content_block: opt(AnthropicBlock),
  delta: opt(z.looseObject({ type: optStr, text: optStr, thinking: optStr, partial_json: optStr, stop_reason: optStr })),
  usage: opt(AnthropicUsage),
  error: z.unknown().optional(),
});
export const AnthropicModels = z.looseObject({ data: list(z.looseObject({ id: optStr })) });

/** JSON text → a validated reply; malformed JSON or a non-object reply is a non-retryable provider error. */
export function parseReply<S extends z.ZodType>(label: string, schema: S, text: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new LlmHttpError(`${label} sent malformed JSON: ${text.slice(0, 200)}`, null, false);
  }
  const r = schema.safeParse(json);
  if (!r.success) throw new LlmHttpError(`${label} sent an unexpected reply (not a JSON object): ${text.slice(0, 200)}`, null, false);
  return r.data;
}
