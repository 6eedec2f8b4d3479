// A real HTTP server speaking the OpenAI chat-completions, Ollama /api/chat and Anthropic /v1/messages wire
// formats (plain and streamed), scripted per test: queue replies, inject errors/delays, inspect requests.

export interface StubToolCall {
  name: string;
  arguments: Record<string, unknown>;
  id?: string;
}

export interface StubReply {
  content?: string;
  reasoning?: string;
  tool_calls?: StubToolCall[];
  usage?: { input: number; output: number };
  finish_reason?: string;
  /** answer with this HTTP error status (body `error`, default a JSON error message) */
  status?: number;
  error?: string;
  headers?: Record<string, string>;
  /** wait before answering (timeouts, cancellation) */
  delayMs?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: any;
}

export interface StubLlm {
  /** http://127.0.0.1:<port> (OpenAI-compatible base URL is `${url}/v1`) */
  url: string;
  requests: RecordedRequest[];
  models: string[];
  enqueue(...replies: StubReply[]): void;
  /** Answer from the request itself instead of the queue (deterministic replies across retries and restarts). */
  respond: ((body: any, path: string) => StubReply) | null;
  /** replies not consumed yet */
  pending(): number;
  /** models resident in the stub (Ollama /api/ps + /api/generate keep_alive; LM Studio /api/v1/models[/load|/unload]) */
  loaded: string[];
  stop(): void;
}

const enc = new TextEncoder();
const sse = (obj: unknown, event?: string) => (event ? `event: ${event}\n` : '') + `data: ${JSON.stringify(obj)}\n\n`;
const pieces = (s: string): string[] => (s ? s.match(/[\s\S]{1,4}/g)! : []);
const usageOf = (r: StubReply) => r.usage ?? { input: 11, output: 7 };
const callId = (c: StubToolCall, i: number) => c.id ?? `call_stub_${i}`;

function streamOf(parts: string[]): Response {
  return new Response(new ReadableStream({
    start(ctrl) {
      for (const p of parts) ctrl.enqueue(enc.encode(p));
      ctrl.close();
    },
  }), { headers: { 'content-type': 'text/event-stream' } });
}

function openai(r: StubReply, body: any): Response {
  const model = body.model ?? 'stub';
  const finish = r.finish_reason ?? (r.tool_calls?.length ? 'tool_calls' : 'stop');
  const u = usageOf(r);
  const usage = { prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output };
  if (!body.stream) {
    return Response.json({
      id: 'chatcmpl-stub', object: 'chat.completion', model,
      choices: [{ index: 0, finish_reason: finish, message: {
        role: 'assistant', content: r.content ?? null, ...(r.reasoning ? { reasoning_content: r.reasoning } : {}),
        ...(r.tool_calls?.length ? { tool_calls: r.tool_calls.map((c, i) => ({ id: callId(c, i), type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } })) } : {}),
      } }],
      usage,
    });
  }
  const chunk = (delta: unknown, finish_reason: string | null = null) => sse({ id: 'chatcmpl-stub', model, choices: [{ index: 0, delta, finish_reason }] });
  const parts = [chunk({ role: 'assistant' })];
  if (r.reasoning) parts.push(chunk({ reasoning_content: r.reasoning }));
  for (const p of pieces(r.content ?? '')) parts.push(chunk({ content: p }));
  (r.tool_calls ?? []).forEach((c, i) => {
    const args = JSON.stringify(c.arguments);
    const half = Math.floor(args.length / 2);
    parts.push(chunk({ tool_calls: [{ index: i, id: callId(c, i), type: 'function', function: { name: c.name, arguments: args.slice(0, half) } }] }));
    parts.push(chunk({ tool_calls: [{ index: i, function: { arguments: args.slice(half) } }] }));
  });
  parts.push(chunk({}, finish), sse({ id: 'chatcmpl-stub', model, choices: [], usage }), 'data: [DONE]\n\n');
  return streamOf(parts);
}

function ollama(r: StubReply, body: any): Response {
  const model = body.model ?? 'stub';
  const u = usageOf(r);
  const calls = (r.tool_calls ?? []).map((c) => ({ function: { name: c.name, arguments: c.arguments } }));
  const final = { model, done: true, done_reason: r.finish_reason ?? 'stop', prompt_eval_count: u.input, eval_count: u.output };
  if (body.stream === false) {
    return Response.json({ ...final, message: { role: 'assistant', content: r.content ?? '', ...(r.reasoning ? { thinking: r.reasoning } : {}), ...(calls.length ? { tool_calls: calls } : {}) } });
  }
  const line = (o: unknown) => JSON.stringify(o) + '\n';
  const parts = pieces(r.content ?? '').map((p) => line({ model, done: false, message: { role: 'assistant', content: p } }));
  if (calls.length) parts.push(line({ model, done: false, message: { role: 'assistant', content: '', tool_calls: calls } }));
  parts.push(line({ ...final, message: { role: 'assistant', content: '' } }));
  return streamOf(parts);
}

function anthropic(r: StubReply, body: any): Response {
  const model = body.model ?? 'stub';
  const u = usageOf(r);
  const stop = r.finish_reason ?? (r.tool_calls?.length ? 'tool_use' : 'end_turn');
  const blocks: any[] = [];
  if (r.content) blocks.push({ type: 'text', text: r.content });
  (r.tool_calls ?? []).forEach((c, i) => blocks.push({ type: 'tool_use', id: c.id ?? `toolu_stub_${i}`, name: c.name, input: c.arguments }));
  if (!body.stream) {
    return Response.json({ id: 'msg_stub', type: 'message', role: 'assistant', model, content: blocks, stop_reason: stop, usage: { input_tokens: u.input, output_tokens: u.output } });
  }
  const parts = [sse({ type: 'message_start', message: { id: 'msg_stub', model, content: [], usage: { input_tokens: u.input, output_tokens: 1 } } }, 'message_start')];
  blocks.forEach((b, index) => {
    if (b.type === 'text') {
      parts.push(sse({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }, 'content_block_start'));
      for (const p of pieces(b.text)) parts.push(sse({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: p } }, 'content_block_delta'));
    } else {
      parts.push(sse({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } }, 'content_block_start'));
      for (const p of pieces(JSON.stringify(b.input))) parts.push(sse({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: p } }, 'content_block_delta'));
    }
    parts.push(sse({ type: 'content_block_stop', index }, 'content_block_stop'));
  });
  parts.push(sse({ type: 'message_delta', delta: { stop_reason: stop }, usage: { output_tokens: u.output } }, 'message_delta'));
  parts.push(sse({ type: 'message_stop' }, 'message_stop'));
  return streamOf(parts);
}

// ---- non-chat endpoints (embeddings, images, audio, Ollama residency): real bytes on the wire ----

/** A valid 1x1 PNG (red pixel). */
export const STUB_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

/** A valid WAV file: 8 kHz mono 16-bit, 800 samples of silence. */
export function stubWav(samples = 800): Buffer {
  const data = samples * 2;
  const b = Buffer.alloc(44 + data);
  b.write('RIFF', 0); b.writeUInt32LE(36 + data, 4); b.write('WAVE', 8); b.write('fmt ', 12);
  b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22); b.writeUInt32LE(8000, 24);
  b.writeUInt32LE(16000, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34); b.write('data', 36); b.writeUInt32LE(data, 40);
  return b;
}

/** Deterministic 8-dim embedding: letter-bucket counts, so texts sharing words are close. */
export function stubEmbedding(text: string): number[] {
  const v = new Array(8).fill(0);
  for (const ch of text.toLowerCase()) if (ch >= 'a' && ch <= 'z') v[(ch.charCodeAt(0) - 97) % 8] += 1;
  return v;
}

async function formFields(form: { entries(): Iterable<[string, unknown]> }): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of form.entries()) {
    if (typeof v === 'string') out[k] = v;
    else if (v instanceof Blob) out[k] = { filename: (v as File).name ?? null, type: v.type, size: v.size, bytes: new Uint8Array(await v.arrayBuffer()) };
  }
  return out;
}

function mediaRoute(stub: StubLlm, method: string, path: string, body: any): Response | null {
  if (method === 'POST' && path === '/v1/embeddings') {
    const input: string[] = Array.isArray(body?.input) ? body.input : [String(body?.input ?? '')];
    return Response.json({ object: 'list', model: body?.model ?? 'stub-embed', data: input.map((t, index) => ({ object: 'embedding', index, embedding: stubEmbedding(t) })) });
  }
  if (method === 'POST' && (path === '/v1/images/generations' || path === '/v1/images/edits')) {
    const n = Math.max(1, Number(body?.n ?? 1));
    return Response.json({ created: 0, data: Array.from({ length: n }, () => ({ b64_json: STUB_PNG.toString('base64'), revised_prompt: String(body?.prompt ?? '') })) });
  }
  if (method === 'POST' && path === '/v1/audio/speech') return new Response(stubWav(), { headers: { 'content-type': 'audio/wav' } });
  if (method === 'POST' && path === '/v1/audio/transcriptions') {
    const file = body?.file as { size?: number } | undefined;
    return Response.json({ text: `stub transcript of ${file?.size ?? 0} bytes`, language: 'en', duration: 0.1 });
  }
  if (method === 'GET' && path === '/api/v1/models') {
    const keys = [...new Set([...stub.models, ...stub.loaded])];
    return Response.json({ models: keys.map((key) => ({ key, type: 'llm', loaded_instances: stub.loaded.includes(key) ? [{ id: key }] : [] })) });
  }
  if (method === 'POST' && path === '/api/v1/models/load') {
    const m = String(body?.model);
    if (!stub.loaded.includes(m)) stub.loaded.push(m);
    return Response.json({ type: 'llm', instance_id: m, status: 'loaded' });
  }
  if (method === 'POST' && path === '/api/v1/models/unload') {
    stub.loaded = stub.loaded.filter((x) => x !== String(body?.instance_id));
    return Response.json({ instance_id: String(body?.instance_id) });
  }
  if (method === 'GET' && path === '/api/ps') return Response.json({ models: stub.loaded.map((name) => ({ name, model: name })) });
  if (method === 'POST' && path === '/api/generate' && body?.prompt === '') {
    const m = String(body.model);
    if (body.keep_alive === 0) stub.loaded = stub.loaded.filter((x) => x !== m);
    else if (!stub.loaded.includes(m)) stub.loaded.push(m);
    return Response.json({ model: m, response: '', done: true, done_reason: body.keep_alive === 0 ? 'unload' : 'load' });
  }
  return null;
}

export function startStubLlm(): StubLlm {
  const queue: StubReply[] = [];
  const requests: RecordedRequest[] = [];
  const stub: StubLlm = {
    url: '',
    requests,
    models: ['stub-a', 'stub-b'],
    enqueue: (...r) => { queue.push(...r); },
    respond: null,
    pending: () => queue.length,
    loaded: [],
    stop: () => server.stop(true),
  };
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    idleTimeout: 0,
    async fetch(req) {
      const path = new URL(req.url).pathname;
      const multipart = (req.headers.get('content-type') ?? '').startsWith('multipart/form-data');
      const form = req.method === 'POST' && multipart ? await req.formData() : null;
      const text = req.method === 'POST' && !multipart ? await req.text() : '';
      const body = form ? await formFields(form) : text ? JSON.parse(text) : null;
      requests.push({ method: req.method, path, headers: Object.fromEntries(req.headers), body });
      const media = mediaRoute(stub, req.method, path, body);
      if (media) return media;
      if (req.method === 'GET' && path === '/v1/models') return Response.json({ object: 'list', data: stub.models.map((id) => ({ id, object: 'model' })) });
      if (req.method === 'GET' && path === '/api/tags') return Response.json({ models: stub.models.map((name) => ({ name, model: name })) });
      const handler = path === '/v1/chat/completions' ? openai : path === '/api/chat' ? ollama : path === '/v1/messages' ? anthropic : null;
      if (!handler) return Response.json({ error: `stub: no route ${req.method} ${path}` }, { status: 404 });
      const reply = stub.respond ? stub.respond(body, path) : queue.shift();
      if (!reply) return Response.json({ error: { message: 'stub: no scripted reply left' } }, { status: 500 });
      if (reply.delayMs) await Bun.sleep(reply.delayMs);
      if (reply.status) {
        return new Response(reply.error ?? JSON.stringify({ error: { message: `stub error ${reply.status}` } }), { status: reply.status, headers: reply.headers });
      }
      return handler(reply, body);
    },
  });
  stub.url = `http://127.0.0.1:${server.port}`;
  return stub;
}
