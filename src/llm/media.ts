// OpenAI-compatible non-chat endpoints: embeddings (`/embeddings`), images (`/images/generations`,
// `/images/edits`), speech (`/audio/speech`), transcription (`/audio/transcriptions`), and model residency:
// Ollama (`/api/ps`, `/api/generate` with keep_alive) and LM Studio's v1 REST API (`/api/v1/models[/load|/unload]`). Every reply is validated with zod at this edge.
import { z } from 'zod';
import { LlmHttpError, requestWithRetry, type HttpPolicy } from './http.ts';
import type { ProviderEndpoint } from './types.ts';

const auth = (ep: ProviderEndpoint): Record<string, string> => (ep.apiKey ? { authorization: `Bearer ${ep.apiKey}` } : {});

/** Base URL of the OpenAI-compatible API (`…/v1`); Ollama serves it under `/v1` too. */
function v1(ep: ProviderEndpoint): string {
  return ep.protocol === 'ollama' ? `${ep.baseUrl}/v1` : ep.baseUrl;
}

async function parsed<T>(label: string, res: Response, schema: z.ZodType<T>): Promise<T> {
  const text = await res.text();
  let json: unknown;
  try { json = JSON.parse(text); } catch { throw new LlmHttpError(`${label} sent malformed JSON: ${text.slice(0, 200)}`, null, false); }
  const r = schema.safeParse(json);
  if (!r.success) throw new LlmHttpError(`${label} sent an unexpected reply: ${z.prettifyError(r.error).slice(0, 300)}`, null, false);
  return r.data;
}

/** POST multipart/form-data (images/edits, transcriptions), with the retry policy. */
async function postForm<T>(label: string, url: string, ep: ProviderEndpoint, form: () => FormData, policy: HttpPolicy, consume: (res: Response) => Promise<T>): Promise<T> {
  const attempts = Math.max(1, policy.maxAttempts);
  let last: unknown;
  for (let i = 1; i <= attempts; i++) {
    try {
      const res = await fetch(url, { method: 'POST', headers: auth(ep), body: form(), signal: AbortSignal.any([policy.signal, AbortSignal.timeout(policy.timeoutMs)]) });
      if (!res.ok) {
        const body = (await res.text().catch(() => '')).slice(0, 500);
        const err = new LlmHttpError(`${label} returned HTTP ${res.status}: ${body || res.statusText}`, res.status, res.status === 429 || res.status >= 500);
        if (!err.retryable || i === attempts) throw err;
        last = err;
        continue;
      }
      return await consume(res);
    } catch (e) {
      if (e instanceof LlmHttpError) throw e;
      last = e;
      if (policy.signal.aborted || i === attempts) break;
    }
  }
  throw new LlmHttpError(`${label} request failed: ${last instanceof Error ? last.message : String(last)}`, null, false);
}

// ---------------------------------------------------------------- embeddings

const EmbeddingsReply = z.object({ data: z.array(z.object({ embedding: z.array(z.number()), index: z.number().int().optional() })) });

export async function embed(ep: ProviderEndpoint, model: string, input: string[], policy: HttpPolicy): Promise<number[][]> {
  if (!input.length) return [];
  const label = `${ep.name} embeddings`;
  const { value } = await requestWithRetry(label, `${v1(ep)}/embeddings`, { method: 'POST', headers: auth(ep), body: { model, input } }, policy, (res) => parsed(label, res, EmbeddingsReply));
  const out = value.data.slice().sort((a, b) => (a.index ?? 0) - (b.index ?? 0)).map((d) => d.embedding);
  if (out.length !== input.length) throw new LlmHttpError(`${label} returned ${out.length} vectors for ${input.length} inputs`, null, false);
  return out;
}

export function cosine(a: number[], b: number[]): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) { dot += a[i]! * b[i]!; na += a[i]! ** 2; nb += b[i]! ** 2; }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

// ---------------------------------------------------------------- images

const ImagesReply = z.object({
  data: z.array(z.object({ b64_json: z.string().optional(), url: z.string().optional(), revised_prompt: z.string().optional() })).min(1),
});

export interface MediaBytes { bytes: Uint8Array; contentType: string; meta: Record<string, unknown> }

async function imagesFrom(label: string, res: Response, format: string, policy: HttpPolicy): Promise<MediaBytes[]> {
  const reply = await parsed(label, res, ImagesReply);
  const out: MediaBytes[] = [];
  for (const d of reply.data) {
    let bytes: Uint8Array;
    if (d.b64_json) bytes = Buffer.from(d.b64_json, 'base64');
    else if (d.url) {
      const r = await fetch(d.url, { signal: AbortSignal.any([policy.signal, AbortSignal.timeout(policy.timeoutMs)]) });
      if (!r.ok) throw new LlmHttpError(`${label}: downloading the image failed with HTTP ${r.status}`, r.status, false);
      bytes = new Uint8Array(await r.arrayBuffer());
    } else throw new LlmHttpError(`${label} returned an image with neither b64_json nor url`, null, false);
    out.push({ bytes, contentType: `image/${format === 'jpg' ? 'jpeg' : format}`, meta: d.revised_prompt ? { revised_prompt: d.revised_prompt } : {} });
  }
  return out;
}

export interface ImageRequest { model: string | null; prompt: string; size: string | null; count: number; format: string; extra: Record<string, unknown> }

export async function generateImages(ep: ProviderEndpoint, req: ImageRequest, policy: HttpPolicy): Promise<MediaBytes[]> {
  const label = `${ep.name} images`;
  const body: Record<string, unknown> = { prompt: req.prompt, n: req.count, response_format: 'b64_json', ...req.extra };
  if (req.model) body.model = req.model;
  if (req.size) body.size = req.size;
  const { value } = await requestWithRetry(label, `${v1(ep)}/images/generations`, { method: 'POST', headers: auth(ep), body }, policy, (res) => imagesFrom(label, res, req.format, policy));
  return value;
}

export async function editImage(ep: ProviderEndpoint, req: ImageRequest, image: MediaBytes, mask: MediaBytes | null, policy: HttpPolicy): Promise<MediaBytes[]> {
  const label = `${ep.name} image edits`;
  const form = () => {
    const f = new FormData();
    f.set('prompt', req.prompt);
    f.set('n', String(req.count));
    f.set('response_format', 'b64_json');
    if (req.model) f.set('model', req.model);
    if (req.size) f.set('size', req.size);
    f.set('image', new Blob([image.bytes], { type: image.contentType }), 'image.png');
    if (mask) f.set('mask', new Blob([mask.bytes], { type: mask.contentType }), 'mask.png');
    return f;
  };
  return postForm(label, `${v1(ep)}/images/edits`, ep, form, policy, (res) => imagesFrom(label, res, req.format, policy));
}

// ---------------------------------------------------------------- audio

const AUDIO_TYPES: Record<string, string> = { wav: 'audio/wav', mp3: 'audio/mpeg', flac: 'audio/flac', opus: 'audio/opus', aac: 'audio/aac', pcm: 'audio/pcm' };

export interface SpeechRequest { model: string | null; input: string; voice: string | null; format: string; speed: number | null; instructions: string | null }

export async function speech(ep: ProviderEndpoint, req: SpeechRequest, policy: HttpPolicy): Promise<MediaBytes> {
  const label = `${ep.name} speech`;
  const body: Record<string, unknown> = { input: req.input, response_format: req.format, voice: req.voice ?? 'alloy' };
  if (req.model) body.model = req.model;
  if (req.speed !== null) body.speed = req.speed;
  if (req.instructions) body.instructions = req.instructions;
  const { value } = await requestWithRetry(label, `${v1(ep)}/audio/speech`, { method: 'POST', headers: auth(ep), body }, policy, async (res) => new Uint8Array(await res.arrayBuffer()));
  if (!value.byteLength) throw new LlmHttpError(`${label} returned no audio`, null, false);
  return { bytes: value, contentType: AUDIO_TYPES[req.format] ?? 'application/octet-stream', meta: {} };
}

const TranscriptionReply = z.object({ text: z.string(), language: z.string().optional(), duration: z.number().optional() });

export interface TranscriptionRequest { model: string | null; language: string | null; prompt: string | null; temperature: number | null }

export async function transcribe(ep: ProviderEndpoint, req: TranscriptionRequest, audio: MediaBytes, policy: HttpPolicy): Promise<{ text: string; meta: Record<string, unknown> }> {
  const label = `${ep.name} transcriptions`;
  const form = () => {
    const f = new FormData();
    f.set('file', new Blob([audio.bytes], { type: audio.contentType }), `audio.${audio.contentType.split('/')[1] ?? 'wav'}`);
    f.set('model', req.model ?? 'whisper-1');
    f.set('response_format', 'json');
    if (req.language) f.set('language', req.language);
    if (req.prompt) f.set('prompt', req.prompt);
    if (req.temperature !== null) f.set('temperature', String(req.temperature));
    return f;
  };
  const reply = await postForm(label, `${v1(ep)}/audio/transcriptions`, ep, form, policy, (res) => parsed(label, res, TranscriptionReply));
  return { text: reply.text, meta: { ...(reply.language ? { language: reply.language } : {}), ...(reply.duration !== undefined ? { duration_s: reply.duration } : {}) } };
}

// ---------------------------------------------------------------- model residency (Ollama)

const OllamaPs = z.object({ models: z.array(z.object({ name: z.string(), model: z.string().optional(), size_vram: z.number().optional(), expires_at: z.string().optional() })) });

export async function ollamaLoaded(ep: ProviderEndpoint, policy: HttpPolicy): Promise<string[]> {
  const label = `${ep.name} /api/ps`;
  const { value } = await requestWithRetry(label, `${ep.baseUrl}/api/ps`, { method: 'GET', headers: {} }, policy, (res) => parsed(label, res, OllamaPs));
  return value.models.map((m) => m.name);
}

/** Load (keep_alive -1 when pinned, else the server default) or unload (keep_alive 0) one model. */
export async function ollamaResidency(ep: ProviderEndpoint, model: string, op: 'load' | 'unload', pin: boolean, policy: HttpPolicy): Promise<void> {
  const label = `${ep.name} /api/generate`;
  const body: Record<string, unknown> = { model, prompt: '', stream: false };
  if (op === 'unload') body.keep_alive = 0;
  else if (pin) body.keep_alive = -1;
  await requestWithRetry(label, `${ep.baseUrl}/api/generate`, { method: 'POST', headers: {}, body }, policy, async (res) => { await res.arrayBuffer(); });
}

// ---------------------------------------------------------------- model residency (LM Studio v1 REST API)

const LmsModels = z.object({ models: z.array(z.object({ key: z.string(), loaded_instances: z.array(z.object({ id: z.string() })).default([]) })) });

/** The native API root: the configured base URL without its OpenAI-compatible `/v1` suffix. */
const lmsRoot = (ep: ProviderEndpoint): string => ep.baseUrl.replace(/\/v1$/, '');

/** Loaded models (keys) and their instance ids. */
export async function lmstudioLoaded(ep: ProviderEndpoint, policy: HttpPolicy): Promise<Map<string, string[]>> {
  const label = `${ep.name} /api/v1/models`;
  const { value } = await requestWithRetry(label, `${lmsRoot(ep)}/api/v1/models`, { method: 'GET', headers: auth(ep) }, policy, (res) => parsed(label, res, LmsModels));
  return new Map(value.models.filter((m) => m.loaded_instances.length).map((m) => [m.key, m.loaded_instances.map((i) => i.id)]));
}

export async function lmstudioResidency(ep: ProviderEndpoint, model: string, op: 'load' | 'unload', policy: HttpPolicy): Promise<void> {
  if (op === 'load') {
    const label = `${ep.name} /api/v1/models/load`;
    await requestWithRetry(label, `${lmsRoot(ep)}/api/v1/models/load`, { method: 'POST', headers: auth(ep), body: { model } }, policy, async (res) => { await res.arrayBuffer(); });
    return;
  }
  const label = `${ep.name} /api/v1/models/unload`;
  for (const id of (await lmstudioLoaded(ep, policy)).get(model) ?? []) {
    await requestWithRetry(label, `${lmsRoot(ep)}/api/v1/models/unload`, { method: 'POST', headers: auth(ep), body: { instance_id: id } }, policy, async (res) => { await res.arrayBuffer(); });
  }
}
