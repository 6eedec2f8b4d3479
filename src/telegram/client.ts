// A Telegram Bot API client over fetch: JSON calls, multipart uploads, file downloads. Every error message is
// scrubbed of the token (it is part of every URL), so nothing this client throws can leak it into a log or ledger.
export interface TgUser { id: number; is_bot?: boolean; first_name?: string; last_name?: string; username?: string; language_code?: string }
export interface TgFileRef { file_id: string; file_unique_id?: string; file_size?: number; mime_type?: string; file_name?: string; width?: number; height?: number; duration?: number }
export interface TgMessage {
  message_id: number;
  date: number;
  chat: { id: number; type?: string; title?: string; username?: string };
  from?: TgUser;
  text?: string;
  caption?: string;
  photo?: TgFileRef[];
  voice?: TgFileRef;
  audio?: TgFileRef;
  document?: TgFileRef;
  video?: TgFileRef;
}
export interface TgUpdate { update_id: number; message?: TgMessage; edited_message?: TgMessage; channel_post?: TgMessage }

export class TelegramApiError extends Error {
  override name = 'TelegramApiError';
  constructor(message: string, readonly status: number | null, readonly retryAfterS: number | null = null) {
    super(message);
  }
}

export class TelegramClient {
  constructor(private readonly baseUrl: string, private readonly token: string, private readonly timeoutMs = 30_000) {}

  private scrub(s: string): string {
    return s.split(this.token).join('<token>');
  }

  private async request(method: string, init: RequestInit, signal?: AbortSignal, extraTimeoutMs = 0): Promise<any> {
    let res: Response;
    const timeout = AbortSignal.timeout(this.timeoutMs + extraTimeoutMs);
    try {
      res = await fetch(`${this.baseUrl}/bot${this.token}/${method}`, { ...init, signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new TelegramApiError(`Telegram ${method} failed: ${this.scrub(e instanceof Error ? e.message : String(e))}`, null);
    }
    let body: any = null;
    try {
      body = await res.json();
    } catch {
      // not JSON: reported below with the status
    }
    if (!res.ok || body?.ok !== true) {
      const desc = typeof body?.description === 'string' ? body.description : `HTTP ${res.status}`;
      const retry = typeof body?.parameters?.retry_after === 'number' ? body.parameters.retry_after : null;
      throw new TelegramApiError(`Telegram ${method} failed: ${this.scrub(desc)}`, res.status, retry);
    }
    return body.result;
  }

  call<T = any>(method: string, params: Record<string, unknown> = {}, signal?: AbortSignal, extraTimeoutMs = 0): Promise<T> {
    return this.request(method, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) }, signal, extraTimeoutMs);
  }

  /** Long poll: waits up to `timeoutS` on the server side; abort `signal` to stop at once (shutdown). */
  getUpdates(offset: number, timeoutS: number, signal?: AbortSignal): Promise<TgUpdate[]> {
    return this.call('getUpdates', { offset, timeout: timeoutS, allowed_updates: ['message', 'edited_message', 'channel_post'] }, signal, timeoutS * 1000);
  }

  sendMessage(chatId: string | number, text: string, signal?: AbortSignal): Promise<TgMessage> {
    return this.call('sendMessage', { chat_id: chatId, text }, signal);
  }

  /** sendPhoto / sendVoice / sendDocument with the bytes as a multipart upload. */
  sendFile(method: 'sendPhoto' | 'sendVoice' | 'sendDocument', chatId: string | number, file: Blob, fileName: string, caption?: string | null, signal?: AbortSignal): Promise<TgMessage> {
    const field = method === 'sendPhoto' ? 'photo' : method === 'sendVoice' ? 'voice' : 'document';
    const form = new FormData();
    form.append('chat_id', String(chatId));
    form.append(field, file, fileName);
    if (caption) form.append('caption', caption);
    return this.request(method, { method: 'POST', body: form }, signal);
  }

  /** getFile, then the bytes from `<base>/file/bot<token>/<file_path>` (at most `maxBytes`). */
  async download(fileId: string, maxBytes: number, signal?: AbortSignal): Promise<{ bytes: Uint8Array; filePath: string }> {
    const info = await this.call<{ file_path?: string; file_size?: number }>('getFile', { file_id: fileId }, signal);
    if (!info?.file_path) throw new TelegramApiError('Telegram getFile returned no file_path (file too big for the Bot API?)', null);
    if (typeof info.file_size === 'number' && info.file_size > maxBytes) throw new TelegramApiError(`file is too large (${info.file_size} bytes > ${maxBytes})`, null);
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/file/bot${this.token}/${info.file_path}`, { signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]) : AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new TelegramApiError(`Telegram file download failed: ${this.scrub(e instanceof Error ? e.message : String(e))}`, null);
    }
    if (!res.ok) throw new TelegramApiError(`Telegram file download failed: HTTP ${res.status}`, res.status);
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.byteLength > maxBytes) throw new TelegramApiError(`file is too large (${bytes.byteLength} bytes > ${maxBytes})`, null);
    return { bytes, filePath: info.file_path };
  }
}
