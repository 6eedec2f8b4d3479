// A deterministic "agent brain" for the stub LLM in Telegram tests: a turn whose last message is the inbound
// telegram payload answers with one send_telegram_message call (`echo: <text>` to the payload's chat id); a turn
// after a tool result ends with a short final answer. Deterministic on the request, so restarts replay it exactly.
import type { StubReply } from './stub-llm.ts';

export function telegramAgentReply(body: any): StubReply {
  const messages: any[] = body?.messages ?? [];
  const last = messages[messages.length - 1];
  if (!last || last.role === 'tool') return { content: 'Replied.' };
  const text = typeof last.content === 'string' ? last.content : JSON.stringify(last.content);
  // The flow hands the payload object to a string pin: Python-style repr (single quotes) or JSON.
  const chat = /['"]chat_id['"]\s*:\s*(-?\d+)/.exec(text)?.[1];
  const said = /['"]text['"]\s*:\s*['"]([^'"]*)/.exec(text)?.[1];
  if (!chat) return { content: 'No chat id in the payload.' };
  return { tool_calls: [{ name: 'send_telegram_message', arguments: { chat_id: chat, text: `echo: ${said ?? ''}` } }] };
}
