// The agent tools of the Telegram bridge: send_telegram_message and send_telegram_artifact (sendPhoto for images,
// sendVoice for OGG/Opus voice notes, sendDocument otherwise). They run through the tool_calls effect like every
// other tool, so each call and its result are a tool step in the ledger. Sends are at most once per runtime call
// id: the intent is committed before the request to Telegram and replaced by Telegram's answer after it. A step
// retried after a crash returns that record instead of sending again; a call whose intent is recorded without an
// answer (the gateway died during the request, which Telegram may or may not have carried out) is not sent again
// either — it returns `delivery: 'unknown'`, since the Bot API has no idempotency key to ask with.
import { str } from '../llm/tools/args.ts';
import type { ExternalTool, ToolRunContext } from '../llm/tools/index.ts';
import { ToolError } from '../llm/tools/workspace.ts';
import type { Store } from '../store/index.ts';
import { TelegramApiError, type TelegramClient } from './client.ts';

const MAX_TEXT = 4096; // Bot API limit per message

function chatIdArg(args: Record<string, unknown>): string {
  const id = str(args, 'chat_id').trim();
  if (!/^-?\d+$/.test(id) && !/^@[A-Za-z0-9_]{4,}$/.test(id)) throw new ToolError(`Argument 'chat_id' must be a numeric chat id or @channelname (got '${id.slice(0, 40)}')`);
  return id;
}

const methodFor = (contentType: string): 'sendPhoto' | 'sendVoice' | 'sendDocument' =>
  /^image\/(jpeg|png|webp|gif)/.test(contentType) ? 'sendPhoto' : /^audio\/(ogg|opus)/.test(contentType) ? 'sendVoice' : 'sendDocument';

const apiFailure = (e: unknown): never => {
  if (e instanceof TelegramApiError) throw new ToolError(e.message);
  throw e;
};

const INTENT = { ok: true, delivery: 'unknown', note: 'the gateway stopped while this was being sent; it is not sent again, to avoid a duplicate' };

/**
 * A send tool that runs at most once per runtime call id (when the context has one). `prepare` checks the
 * arguments (and reads what the send needs) before anything is written, so bad arguments cost no transaction;
 * the send it returns is what the intent covers.
 */
type Send = () => Promise<Record<string, unknown>>;
function once(store: Store, prepare: (args: Record<string, unknown>, ctx: ToolRunContext) => Promise<Send>): ExternalTool {
  return async (args, ctx) => {
    const callId = ctx.callId;
    if (!callId) return (await prepare(args, ctx))();
    const done = await store.telegram.sentFor(callId);
    if (done) return { ...done, replayed: true };
    const send = await prepare(args, ctx);
    await store.tx(() => store.telegram.recordSent(callId, INTENT));
    let out: Record<string, unknown>;
    try {
      out = await send();
    } catch (err) {
      // Refused by Telegram (nothing was delivered): the intent goes, so that a retried step may send. A
      // transport failure or an abort mid-request keeps it: the message may have gone out.
      if (err instanceof ToolError) await store.tx(() => store.telegram.forgetSent(callId));
      throw err;
    }
    await store.tx(() => store.telegram.recordSent(callId, out));
    return out;
  };
}

export function telegramTools(client: TelegramClient, store: Store): Map<string, ExternalTool> {
  return new Map<string, ExternalTool>([
    ['send_telegram_message', once(store, async (args, ctx) => {
      const chatId = chatIdArg(args);
      const text = str(args, 'text');
      if (!text.trim()) throw new ToolError("Argument 'text' is empty");
      const parts = text.match(new RegExp(`[\\s\\S]{1,${MAX_TEXT}}`, 'g'))!;
      return async () => {
        const ids: number[] = [];
        for (const part of parts) ids.push((await client.sendMessage(chatId, part, ctx.signal).catch(apiFailure)).message_id);
        return { ok: true, chat_id: chatId, message_id: ids[ids.length - 1], message_ids: ids, parts: ids.length };
      };
    })],
    ['send_telegram_artifact', once(store, async (args, ctx) => {
      const chatId = chatIdArg(args);
      const artifactId = str(args, 'artifact_id').trim();
      const meta = await store.artifacts.meta(artifactId);
      const file = meta ? await store.artifacts.content(artifactId) : null;
      if (!meta || !file) throw new ToolError(`Artifact '${artifactId}' not found`);
      const method = methodFor(meta.content_type);
      const name = meta.tags.filename || `${artifactId}${method === 'sendPhoto' ? '.jpg' : method === 'sendVoice' ? '.ogg' : ''}`;
      const caption = str(args, 'caption', null);
      return async () => {
        const sent = await client.sendFile(method, chatId, file, name, caption, ctx.signal).catch(apiFailure);
        return { ok: true, chat_id: chatId, message_id: sent.message_id, method, artifact_id: artifactId, content_type: meta.content_type };
      };
    })],
  ]);
}
