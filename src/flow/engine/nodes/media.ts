// Media and model-control nodes (docs/flows.md "Node families"): generate_image, edit_image (image_to_image),
// generate_voice, transcribe_audio, generate_music → the gateway's `media_call` effect (src/llm/media-effects.ts);
// model_residency → MODEL_RESIDENCY; provider_models → the live model listing, provider_catalog → the configured
// providers (engine services).
// A node's own provider/model (pins, then effectConfig) travel in the payload; the handler decides whether a
// configured provider serves the modality, so a flow is never refused at compile time for a media node.

import type { Vars } from '../../../model/index.ts';
import { isPlainObject } from '../../../model/index.ts';
import { pyStr, truthy } from '../deps.ts';
import type { Exec } from '../exec.ts';
import { config, type VNode } from '../model.ts';
import type { NodeResult, NodeSpec } from '../spec.ts';

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

interface MediaKind {
  task: string;
  /** pin/effectConfig names of the provider and model */
  provider: string;
  model: string;
  /** input pin carrying the prompt text */
  promptPin: string;
  params: string[];
  /** the main artifact output pin(s) */
  artifactPins: string[];
}

const KINDS: Record<string, MediaKind> = {
  generate_image: { task: 'image_generation', provider: 'image_provider', model: 'image_model', promptPin: 'prompt', params: ['format', 'size', 'width', 'height', 'seed', 'steps', 'guidance_scale', 'negative_prompt', 'count', 'quality', 'style', 'extra'], artifactPins: ['image_artifact'] },
  edit_image: { task: 'image_edit', provider: 'image_provider', model: 'image_model', promptPin: 'prompt', params: ['format', 'size', 'width', 'height', 'seed', 'steps', 'guidance_scale', 'strength', 'negative_prompt', 'count', 'extra'], artifactPins: ['image_artifact'] },
  generate_voice: { task: 'tts', provider: 'tts_provider', model: 'tts_model', promptPin: 'text', params: ['voice', 'profile', 'quality_preset', 'format', 'speed', 'instructions'], artifactPins: ['audio_artifact'] },
  generate_music: { task: 'music_generation', provider: 'music_provider', model: 'music_model', promptPin: 'prompt', params: ['format', 'lyrics', 'duration_s', 'seed', 'negative_prompt', 'extra'], artifactPins: ['music_artifact', 'audio_artifact'] },
  transcribe_audio: { task: 'transcription', provider: 'stt_provider', model: 'stt_model', promptPin: 'prompt', params: ['language', 'format', 'temperature'], artifactPins: ['transcript_artifact'] },
};

function mediaNode(type: string, kind: MediaKind) {
  return async (x: Exec): Promise<NodeResult> => {
    const input = await x.inputs('effect');
    const cfg = config(x.node, 'effectConfig');
    const pickVal = (k: string) => (present(input[k]) ? input[k] : present(cfg[k]) ? cfg[k] : undefined);
    const payload: Vars = { node_type: type, task: kind.task, prompt: pyStr(input[kind.promptPin] ?? '') };
    const provider = pickVal(kind.provider), model = pickVal(kind.model);
    if (present(provider)) payload.provider = String(provider);
    if (present(model)) payload.model = String(model);
    for (const k of kind.params) { const v = pickVal(k); if (v !== undefined) payload[k] = v; }
    if (type === 'edit_image') {
      payload.image = input.image_artifact ?? input.source_image ?? null;
      if (present(input.mask_artifact)) payload.mask = input.mask_artifact;
    }
    if (type === 'transcribe_audio') payload.audio = input.audio_artifact ?? null;
    const placeholder: Vars = { success: false, artifact_ref: null, artifact_id: null, content_type: null, outputs: [], meta: null };
    for (const pin of kind.artifactPins) placeholder[pin] = null;
    return { kind: 'effect', type: 'media_call', payload, placeholder };
  };
}

function mapMedia(kind: MediaKind) {
  return (raw: any): Vars => {
    const r: Vars = isPlainObject(raw) ? raw : {};
    const main = r.image_artifact ?? r.audio_artifact ?? r.transcript_artifact ?? null;
    const out: Vars = {
      success: r.success === true, artifact_ref: main, artifact_id: isPlainObject(main) ? main.$artifact : null,
      content_type: isPlainObject(main) ? main.content_type : null, outputs: r.outputs ?? [], meta: r.meta ?? null,
    };
    for (const pin of kind.artifactPins) out[pin] = main;
    if (kind.task === 'image_generation' || kind.task === 'image_edit') out.image_artifacts = r.image_artifacts ?? [];
    if (kind.task === 'transcription') out.text = r.text ?? '';
    return out;
  };
}

async function modelResidency(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('effect');
  const cfg = config(x.node, 'effectConfig');
  const payload: Vars = {};
  for (const k of ['operation', 'task', 'provider', 'model', 'runtime_id', 'base_url', 'timeout_s', 'options', 'pin', 'required', 'cache_policy']) {
    const v = present(input[k]) ? input[k] : cfg[k];
    if (present(v)) payload[k] = k === 'pin' || k === 'required' ? truthy(v) : v;
  }
  if (!payload.operation) payload.operation = 'list_loaded';
  return { kind: 'effect', type: 'model_residency', payload, placeholder: { success: false, affected_models: [], models: [], error: null, warnings: [], result: null } };
}

const mapResidency = (raw: any): Vars => {
  const r: Vars = isPlainObject(raw) ? raw : {};
  return {
    success: r.success === true, affected_models: r.affected_models ?? [], models: r.models ?? [], error: r.error ?? null, warnings: r.warnings ?? [],
    result: r.result ?? null, runtime: r.runtime ?? null, loaded_new: r.loaded_new ?? false, unloaded: r.unloaded ?? [],
  };
};

/** Route names a capability filter accepts (`capability_route`). */
const ROUTES: Record<string, RegExp> = {
  text: /./,
  chat: /./,
  embeddings: /embed/i,
  image: /(image|flux|sdxl|stable-diffusion|dall-e|gpt-image)/i,
  vision: /(vision|vl\b|-vl-|llava|gpt-4o|gemma-3)/i,
  tts: /(tts|speech|voice)/i,
  stt: /(whisper|stt|transcri)/i,
};

async function providerModels(x: Exec, node: VNode, inputs: Record<string, any>): Promise<Vars> {
  const cfg = config(node, 'providerModelsConfig');
  const provider = String(inputs.provider ?? cfg.provider ?? x.services.defaultProvider ?? '').trim().toLowerCase();
  const allowed = (Array.isArray(inputs.allowed_models) ? inputs.allowed_models : Array.isArray(cfg.allowedModels) ? cfg.allowedModels : Array.isArray(cfg.allowed_models) ? cfg.allowed_models : [])
    .filter((m: unknown) => typeof m === 'string' && m.trim()).map((m: string) => m.trim());
  if (!provider) return { provider: '', models: [], error: 'no provider selected' };
  if (!x.services.providerModels) return { provider, models: [], error: 'no provider registry in this runtime' };
  const listed = await x.services.providerModels(provider);
  let models = listed.models;
  if (allowed.length) models = models.filter((m) => allowed.includes(m));
  const routeRaw = inputs.capability_route ?? cfg.capability_route ?? cfg.capabilityRoute;
  const out: Vars = { provider, models };
  if (present(routeRaw)) {
    const route = ROUTES[String(routeRaw).trim().toLowerCase()];
    if (!route) return { provider, models: [], error: `unknown capability_route '${String(routeRaw)}' (known: ${Object.keys(ROUTES).join(', ')})` };
    out.models = models.filter((m) => route.test(m));
  }
  if (listed.error) out.error = listed.error;
  return out;
}

/** provider_catalog (pure): the configured providers, filtered by `allowed_providers` when given. */
function providerCatalog(x: Exec, _node: VNode, inputs: Record<string, any>): Vars {
  const allowed = Array.isArray(inputs.allowed_providers) ? inputs.allowed_providers.filter((p: unknown) => typeof p === 'string').map((p: string) => p.trim().toLowerCase()) : [];
  const names = [...(x.services.providerNames ?? [])];
  return { providers: allowed.length ? names.filter((n) => allowed.includes(n)) : names };
}

export const MEDIA_NODES: Record<string, NodeSpec> = {
  ...Object.fromEntries(Object.entries(KINDS).map(([type, kind]) => [type, { family: 'effect', exec: mediaNode(type, kind), mapEffect: mapMedia(kind) } satisfies NodeSpec])),
  image_to_image: { family: 'effect', exec: mediaNode('edit_image', KINDS.edit_image!), mapEffect: mapMedia(KINDS.edit_image!) },
  model_residency: { family: 'effect', exec: modelResidency, mapEffect: mapResidency },
  provider_catalog: {
    family: 'function',
    pure: providerCatalog,
    exec: async (x) => ({ kind: 'value', output: providerCatalog(x, x.node, await x.inputs('function')) }),
  },
  provider_models: {
    family: 'function',
    pure: providerModels,
    exec: async (x) => ({ kind: 'value', output: await providerModels(x, x.node, await x.inputs('function')) }),
  },
};
