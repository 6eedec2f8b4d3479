// A stub Telegram Bot API server (real HTTP on 127.0.0.1) speaking the wire protocol the bridge uses: getUpdates
// (long poll, offset confirms), getFile + /file/bot<token>/<path> downloads, sendMessage, sendPhoto/sendVoice/
// sendDocument (multipart). Tests push inbound messages and read what the bot sent.

export interface SentMessage {
  method: string;
  chat_id: string;
  text?: string;
  caption?: string;
  file?: { name: string; type: string; bytes: Uint8Array };
  message_id: number;
}

export interface StubTelegram {
  url: string;
  token: string;
  /** Queue an inbound message; returns its update_id. */
  push(message: { chat_id: number; text?: string; caption?: string; from?: Record<string, unknown>; photo?: any[]; voice?: any; document?: any }): number;
  /** Register a downloadable file (for getFile). */
  addFile(fileId: string, bytes: Uint8Array, path?: string): void;
  sent: SentMessage[];
  /** Called with each message as it is received, before it is answered (what the bot's side holds at that moment). */
  onSend: ((m: SentMessage) => void) | null;
  /** offsets requested by getUpdates, in order */
  offsets: number[];
  /** every request path (without the token) */
  calls: string[];
  /** answer the next N getUpdates with this error (e.g. 409 Conflict, 429 retry_after) */
  failNext(n: number, status: number, description: string, retryAfter?: number): void;
  stop(): void;
}

export function startStubTelegram(token = '123456:TEST-token_abcdefghijklmnopqrstuvwxyz'): StubTelegram {
  let nextUpdate = 1;
  let nextMessage = 1000;
  let pending: any[] = [];
  const files = new Map<string, { bytes: Uint8Array; path: string }>();
  const waiters = new Set<() => void>();
  const failures: { status: number; description: string; retryAfter?: number }[] = [];
  const stub: StubTelegram = {
    url: '',
    token,
    sent: [],
    onSend: null,
    offsets: [],
    calls: [],
    push(m) {
      const update_id = nextUpdate++;
      const message = {
        message_id: nextMessage++,
        date: 1767225600 + update_id,
        chat: { id: m.chat_id, type: 'private' },
        from: m.from ?? { id: m.chat_id, is_bot: false, first_name: 'Ada', username: 'ada' },
        ...(m.text !== undefined ? { text: m.text } : {}),
        ...(m.caption !== undefined ? { caption: m.caption } : {}),
        ...(m.photo ? { photo: m.photo } : {}),
        ...(m.voice ? { voice: m.voice } : {}),
        ...(m.document ? { document: m.document } : {}),
      };
      pending.push({ update_id, message });
      for (const w of [...waiters]) w();
      return update_id;
    },
    addFile(fileId, bytes, path = `files/${fileId}`) {
      files.set(fileId, { bytes, path });
    },
    failNext(n, status, description, retryAfter) {
      for (let i = 0; i < n; i++) failures.push({ status, description, retryAfter });
    },
    stop: () => server.stop(true),
  };
  const fail = (status: number, description: string, extra: Record<string, unknown> = {}) =>
    Response.json({ ok: false, error_code: status, description, ...extra }, { status });
  const ok = (result: unknown) => Response.json({ ok: true, result });

  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      const file = /^\/file\/bot([^/]+)\/(.+)$/.exec(path);
      if (file) {
        if (file[1] !== token) return new Response('Unauthorized', { status: 401 });
        const hit = [...files.values()].find((f) => f.path === file[2]);
        return hit ? new Response(hit.bytes) : new Response('Not Found', { status: 404 });
      }
      const m = /^\/bot([^/]+)\/(\w+)$/.exec(path);
      if (!m) return fail(404, 'Not Found');
      if (m[1] !== token) return fail(401, 'Unauthorized');
      const method = m[2]!;
      stub.calls.push(method);
      const isForm = (req.headers.get('content-type') ?? '').startsWith('multipart/form-data');
      const form = isForm ? await req.formData() : null;
      const body: any = isForm ? Object.fromEntries([...form!.entries()].filter(([, v]) => typeof v === 'string')) : await req.json().catch(() => ({}));
      switch (method) {
        case 'getUpdates': {
          const f = failures.shift();
          if (f) return fail(f.status, f.description, f.retryAfter ? { parameters: { retry_after: f.retryAfter } } : {});
          const offset = Number(body.offset ?? 0);
          stub.offsets.push(offset);
          pending = pending.filter((u) => u.update_id >= offset); // confirmed updates are forgotten
          if (!pending.length && Number(body.timeout) > 0) {
            await new Promise<void>((resolve) => {
              const done = () => { waiters.delete(done); clearTimeout(t); resolve(); };
              const t = setTimeout(done, Number(body.timeout) * 1000);
              waiters.add(done);
              req.signal.addEventListener('abort', done, { once: true });
            });
          }
          return ok(pending.filter((u) => u.update_id >= offset));
        }
        case 'getFile': {
          const f = files.get(String(body.file_id));
          return f ? ok({ file_id: body.file_id, file_unique_id: `u-${body.file_id}`, file_size: f.bytes.byteLength, file_path: f.path }) : fail(400, 'Bad Request: invalid file_id');
        }
        case 'sendMessage': {
          if (!body.chat_id || !body.text) return fail(400, 'Bad Request: message text is empty');
          const message_id = nextMessage++;
          const m: SentMessage = { method, chat_id: String(body.chat_id), text: String(body.text), message_id };
          stub.onSend?.(m);
          stub.sent.push(m);
          return ok({ message_id, date: 1767225600, chat: { id: Number(body.chat_id) }, text: body.text });
        }
        case 'sendPhoto':
        case 'sendVoice':
        case 'sendDocument': {
          const field = method === 'sendPhoto' ? 'photo' : method === 'sendVoice' ? 'voice' : 'document';
          const blob = form?.get(field);
          if (!(blob instanceof Blob)) return fail(400, `Bad Request: there is no ${field} in the request`);
          const message_id = nextMessage++;
          const m: SentMessage = {
            method, chat_id: String(body.chat_id), caption: body.caption, message_id,
            file: { name: (blob as File).name, type: blob.type, bytes: new Uint8Array(await blob.arrayBuffer()) },
          };
          stub.onSend?.(m);
          stub.sent.push(m);
          return ok({ message_id, date: 1767225600, chat: { id: Number(body.chat_id) } });
        }
        default:
          return fail(404, `Not Found: method ${method}`);
      }
    },
  });
  stub.url = `http://127.0.0.1:${server.port}`;
  return stub;
}
