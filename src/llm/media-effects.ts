// The `media_call` and `model_residency` effects behind the media nodes (docs/flows.md "Node families").
//
// A media call goes to an OpenAI-compatible provider of this gateway's table (src/llm/config.ts). Which one:
// the operator's route for the modality (ABSTRACTGATEWAY_IMAGE_PROVIDER / _TTS_PROVIDER / _STT_PROVIDER, with
// optional _MODEL), else the provider the node names when it is one of ours. The text runtime's provider is
// never a fallback. No provider for a modality fails that node's effect with a message naming what to set;
// model residency speaks Ollama's and LM Studio's load/unload APIs;
// results are stored as run artifacts and returned as `{$artifact}` refs.
import type { Runtime } from '../runtime/runtime.ts';
import type { EffectOutcome, Vars } from '../model/index.ts';
import type { EffectContext } from '../runtime/types.ts';
import { sha256Hex } from '../util/json.ts';
import { isPlainObject } from '../model/index.ts';
import type { Env, LlmConfig } from './config.ts';
import { redact, type HttpPolicy } from './http.ts';
import { editImage, generateImages, lmstudioLoaded, lmstudioResidency, ollamaLoaded, ollamaResidency, speech, transcribe, type MediaBytes } from './media.ts';
import type { ProviderEndpoint } from './types.ts';

type Modality = 'image' | 'voice' | 'music' | 'stt';
const ROUTE_ENV: Record<Modality, string> = { image: 'IMAGE', voice: 'TTS', music: 'MUSIC', stt: 'STT' };

const failed = (error: string): EffectOutcome => ({ status: 'failed', error });
const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);

export function artifactRef(m: { artifact_id: string; content_type: string; size_bytes: number }): Vars {
  return { $artifact: m.artifact_id, content_type: m.content_type, size_bytes: m.size_bytes };
}

export class MediaEffects {
  private readonly secrets: string[];
  constructor(private readonly rt: Runtime, private readonly llm: LlmConfig, private readonly env: Env) {
    this.secrets = Object.values(llm.providers).map((p) => p.apiKey).filter((k): k is string => !!k);
  }

  private policy(ctx: EffectContext): HttpPolicy {
    return { timeoutMs: this.llm.timeoutMs, maxAttempts: this.llm.maxAttempts, retryBaseMs: this.llm.retryBaseMs, retryMaxMs: this.llm.retryMaxMs, signal: ctx.signal, secrets: this.secrets };
  }

  /** The endpoint and model for a modality, or the message naming what to configure. */
  route(modality: Modality, nodeProvider: string | null, nodeModel: string | null, what: string): { ep: ProviderEndpoint; model: string | null } | string {
    const key = ROUTE_ENV[modality];
    const routed = str(this.env[`ABSTRACTGATEWAY_${key}_PROVIDER`])?.toLowerCase() ?? null;
    const candidates = [routed, nodeProvider?.toLowerCase() ?? null].filter((x): x is string => !!x);
    for (const name of candidates) {
      const ep = this.llm.providers[name];
      if (ep && ep.protocol !== 'anthropic' && ep.configured) {
        return { ep, model: str(this.env[`ABSTRACTGATEWAY_${key}_MODEL`]) ?? nodeModel };
      }
    }
    const named = nodeProvider ? ` (the node asks for '${nodeProvider}', which is not an OpenAI-compatible provider configured here)` : '';
    const compat = Object.values(this.llm.providers).filter((p) => p.protocol !== 'anthropic').map((p) => p.name).join(', ');
    const noun = { image: 'an image', voice: 'a text-to-speech', music: 'a music', stt: 'a speech-to-text' }[modality];
    return `${what} needs ${noun} provider${named}: set ABSTRACTGATEWAY_${key}_PROVIDER to one of ${compat} (and its endpoint, e.g. OPENAI_BASE_URL / LMSTUDIO_BASE_URL)`;
  }

  /** An input artifact, readable only when it belongs to this run or to a run of the same session. */
  private async loadRef(ctx: EffectContext, ref: unknown, what: string): Promise<MediaBytes | string> {
    const id = isPlainObject(ref) ? str(ref.$artifact ?? ref.artifact_id) : str(ref);
    if (!id) return `${what} is missing`;
    const f = await this.rt.store.artifacts.content(id);
    const meta = await this.rt.store.artifacts.meta(id);
    const owner = meta?.run_id ?? null;
    const sid = ctx.run.session_id;
    const visible = owner === ctx.run.run_id || (!!sid && (owner === `session_memory_${sid}` || (!!owner && (await this.rt.store.runs.get(owner))?.session_id === sid)));
    if (!f || !meta || !visible) return `${what}: artifact '${id}' not found in this run or its session`;
    return { bytes: new Uint8Array(await f.arrayBuffer()), contentType: meta.content_type, meta: {} };
  }

  /** One artifact per output of this effect: the id derives from the idempotency key (stable on re-run). */
  private async store(ctx: EffectContext, m: MediaBytes, kind: string, p: Vars, index = 0): Promise<Vars> {
    const artifactId = sha256Hex(`${ctx.idempotencyKey}\0${index}`).slice(0, 32);
    const meta = await this.rt.store.artifacts.put(m.bytes, { artifactId, contentType: m.contentType, runId: ctx.run.run_id, tags: { kind, node_id: ctx.nodeId, ...(str(p.task) ? { task: p.task } : {}) } });
    return artifactRef(meta);
  }

  async call(ctx: EffectContext): Promise<EffectOutcome> {
    const p = ctx.effect.payload;
    const node = `${String(p.node_type ?? 'media')} node '${ctx.nodeId}'`;
    const task = String(p.task ?? '');
    const modality: Modality = task === 'tts' ? 'voice' : task === 'transcription' ? 'stt' : task === 'music_generation' ? 'music' : 'image';
    if (modality === 'music') {
      return failed(`${node} needs a music generation backend: the OpenAI-compatible APIs this gateway speaks have no music endpoint (configure a flow without generate_music, or run it on the Python gateway with a music provider)`);
    }
    const r = this.route(modality, str(p.provider), str(p.model), node);
    if (typeof r === 'string') return failed(r);
    const policy = this.policy(ctx);
    const format = str(p.format)?.toLowerCase() ?? (modality === 'voice' ? 'wav' : 'png');
    try {
      if (modality === 'stt') {
        const audio = await this.loadRef(ctx, p.audio, `${node}: audio_artifact`);
        if (typeof audio === 'string') return failed(audio);
        const t = await transcribe(r.ep, { model: r.model, language: str(p.language), prompt: str(p.prompt), temperature: typeof p.temperature === 'number' ? p.temperature : null }, audio, policy);
        const ref = await this.store(ctx, { bytes: Buffer.from(JSON.stringify({ text: t.text, ...t.meta })), contentType: 'application/json', meta: {} }, 'transcript', p);
        return { status: 'completed', result: { success: true, text: t.text, transcript_artifact: ref, outputs: [ref], meta: { provider: r.ep.name, model: r.model, task, ...t.meta } } };
      }
      if (modality === 'voice') {
        const audio = await speech(r.ep, { model: r.model, input: String(p.prompt ?? ''), voice: str(p.voice), format, speed: typeof p.speed === 'number' ? p.speed : null, instructions: str(p.instructions) }, policy);
        const ref = await this.store(ctx, audio, 'audio', p);
        return { status: 'completed', result: { success: true, audio_artifact: ref, outputs: [ref], meta: { provider: r.ep.name, model: r.model, task, format } } };
      }
      const size = str(p.size) && p.size !== 'auto' ? p.size : p.width && p.height ? `${Number(p.width)}x${Number(p.height)}` : null;
      const extra: Vars = {};
      for (const k of ['seed', 'steps', 'guidance_scale', 'negative_prompt', 'quality', 'style', 'strength']) if (p[k] !== undefined && p[k] !== null && p[k] !== '') extra[k] = p[k];
      if (isPlainObject(p.extra)) Object.assign(extra, p.extra);
      const req = { model: r.model, prompt: String(p.prompt ?? ''), size, count: Math.max(1, Math.min(Number(p.count) || 1, 8)), format, extra };
      let images: MediaBytes[];
      if (task === 'image_edit') {
        const src = await this.loadRef(ctx, p.image, `${node}: image_artifact`);
        if (typeof src === 'string') return failed(src);
        const mask = p.mask ? await this.loadRef(ctx, p.mask, `${node}: mask_artifact`) : null;
        if (typeof mask === 'string') return failed(mask);
        images = await editImage(r.ep, req, src, mask, policy);
      } else images = await generateImages(r.ep, req, policy);
      const refs = await Promise.all(images.map((m, i) => this.store(ctx, m, 'image', p, i)));
      return { status: 'completed', result: { success: true, image_artifact: refs[0], image_artifacts: refs, outputs: refs, meta: { provider: r.ep.name, model: r.model, task, format, ...images[0]!.meta } } };
    } catch (e) {
      return failed(`${node}: ${redact(e instanceof Error ? e.message : String(e), this.secrets)}`);
    }
  }

  async residency(ctx: EffectContext): Promise<EffectOutcome> {
    const p = ctx.effect.payload;
    const op = str(p.operation)?.toLowerCase() ?? 'list_loaded';
    const node = `model_residency node '${ctx.nodeId}'`;
    if (!['list_loaded', 'load', 'unload'].includes(op)) return failed(`${node}: operation must be list_loaded, load or unload (got '${op}')`);
    const name = (str(p.provider) ?? this.llm.defaultProvider ?? '').toLowerCase();
    const ep = this.llm.providers[name];
    const outcome = (success: boolean, extra: Vars): EffectOutcome => ({ status: 'completed', result: { success, affected_models: [], models: [], error: null, warnings: [], ...extra } });
    const kind = ep?.protocol === 'ollama' ? 'ollama' : ep?.name === 'lmstudio' ? 'lmstudio' : null;
    if (!ep || !kind) {
      const error = `${node}: provider '${name || 'none'}' exposes no load/unload API here; model residency works with ollama (OLLAMA_HOST) and lmstudio (LMSTUDIO_BASE_URL, LM Studio 0.4+)`;
      return p.required === true ? failed(error) : outcome(false, { error });
    }
    const model = str(p.model);
    try {
      const policy = this.policy(ctx);
      const loaded = async () => (kind === 'ollama' ? ollamaLoaded(ep, policy) : [...(await lmstudioLoaded(ep, policy)).keys()]);
      const before = await loaded();
      if (op === 'list_loaded') return outcome(true, { models: before, result: { loaded: before } });
      if (!model) return failed(`${node}: operation '${op}' needs a model`);
      if (kind === 'ollama') await ollamaResidency(ep, model, op as 'load' | 'unload', p.pin === true, policy);
      else await lmstudioResidency(ep, model, op as 'load' | 'unload', policy);
      const after = await loaded();
      const loadedNew = op === 'load' && !before.includes(model);
      return outcome(true, { affected_models: [model], models: after, result: { operation: op, model, loaded: after }, runtime: ep.name, loaded_new: loadedNew, unloaded: op === 'unload' ? [model] : [] });
    } catch (e) {
      const error = `${node}: ${redact(e instanceof Error ? e.message : String(e), this.secrets)}`;
      return p.required === true ? failed(error) : outcome(false, { error });
    }
  }
}

export function installMedia(rt: Runtime, llm: LlmConfig, env: Env): MediaEffects {
  const m = new MediaEffects(rt, llm, env);
  rt.registerEffect('media_call', (ctx) => m.call(ctx), { external: true });
  rt.registerEffect('model_residency', (ctx) => m.residency(ctx), { external: true });
  return m;
}
