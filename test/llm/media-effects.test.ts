// Media, model-residency and provider-model nodes against the stub provider over real HTTP: image generation
// and edit (multipart with the source PNG), speech → transcription (multipart with the WAV), results stored as
// run artifacts; a modality with no provider fails that node naming the variable to set; model_residency on
// Ollama's /api/ps + /api/generate, a per-node error elsewhere; provider_models from the live /v1/models.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createLlmDiscovery } from '../../src/llm/discovery.ts';
import { installMedia } from '../../src/llm/media-effects.ts';
import { FlowWorkflows } from '../../src/flow/workflows.ts';
import type { Vars } from '../../src/model/index.ts';
import { createHarness } from '../support/harness.ts';
import { end, flow, flowHarness, lit, n, start } from '../flow/engine/helpers.ts';
import { stubConfig } from './helpers.ts';
import { STUB_PNG, startStubLlm, type StubLlm } from '../support/stub-llm.ts';

let stub: StubLlm;
beforeAll(() => { stub = startStubLlm(); });
afterAll(() => stub.stop());

const ROUTES = { ABSTRACTGATEWAY_IMAGE_PROVIDER: 'lmstudio', ABSTRACTGATEWAY_TTS_PROVIDER: 'lmstudio', ABSTRACTGATEWAY_STT_PROVIDER: 'lmstudio' };

function harness(docs: Vars[], env: Record<string, string> = ROUTES) {
  const h = flowHarness(docs);
  installMedia(h.runtime, stubConfig(stub.url, { maxAttempts: 1 }), env);
  return h;
}

const imageChain = flow('img', [
  start('s'),
  n('gi', 'generate_image', { in: ['exec-in', 'prompt', 'width', 'height'], out: ['exec-out', 'image_artifact', 'artifact_id', 'content_type', 'success'], pinDefaults: { prompt: 'a galaxy', width: 64, height: 32 }, effectConfig: { image_provider: 'huggingface', image_model: 'Qwen/Qwen-Image' } }),
  n('ei', 'edit_image', { in: ['exec-in', 'prompt', 'image_artifact'], out: ['exec-out', 'image_artifact', 'artifact_id', 'success'], pinDefaults: { prompt: 'watercolor' } }),
  end('e', ['first', 'edited', 'ok', 'type']),
], ['s.exec-out>gi.exec-in', 'gi.exec-out>ei.exec-in', 'gi.image_artifact>ei.image_artifact', 'ei.exec-out>e.exec-in', 'gi.artifact_id>e.first', 'ei.artifact_id>e.edited', 'ei.success>e.ok', 'gi.content_type>e.type']);

const voiceChain = flow('voice', [
  start('s'),
  n('gv', 'generate_voice', { in: ['exec-in', 'text', 'voice', 'format'], out: ['exec-out', 'audio_artifact', 'artifact_id'], pinDefaults: { text: 'hello there', voice: 'M1', format: 'wav' } }),
  n('ta', 'transcribe_audio', { in: ['exec-in', 'audio_artifact', 'language'], out: ['exec-out', 'text', 'transcript_artifact', 'success'], pinDefaults: { language: 'en' } }),
  end('e', ['text', 'audio']),
], ['s.exec-out>gv.exec-in', 'gv.exec-out>ta.exec-in', 'gv.audio_artifact>ta.audio_artifact', 'ta.exec-out>e.exec-in', 'ta.text>e.text', 'gv.artifact_id>e.audio']);

describe('media nodes', () => {
  test('generate_image → edit_image: PNG bytes stored as run artifacts; the edit uploads the source image', async () => {
    const h = harness([imageChain]);
    const before = stub.requests.length;
    const run = await h.start('img');
    expect(run.status).toBe('completed');
    expect(run.output).toMatchObject({ ok: true, type: 'image/png', success: true });
    const first = run.output!.first as string;
    expect(Buffer.from(await (await h.store.artifacts.content(first))!.arrayBuffer()).equals(STUB_PNG)).toBe(true);
    expect(await h.store.artifacts.meta(first)).toMatchObject({ run_id: run.run_id, content_type: 'image/png', tags: { kind: 'image', node_id: 'gi', task: 'image_generation' } });
    const reqs = stub.requests.slice(before);
    const gen = reqs.find((r) => r.path === '/v1/images/generations')!;
    // The operator's route wins over the node's unknown provider; the node's model and size travel.
    expect(gen.body).toMatchObject({ prompt: 'a galaxy', model: 'Qwen/Qwen-Image', size: '64x32', response_format: 'b64_json' });
    const edit = reqs.find((r) => r.path === '/v1/images/edits')!;
    expect(edit.headers['content-type']).toStartWith('multipart/form-data');
    expect(edit.body.prompt).toBe('watercolor');
    expect(Buffer.from(edit.body.image.bytes).equals(STUB_PNG)).toBe(true);
    await h.close();
  });

  test('generate_voice → transcribe_audio: WAV bytes to /v1/audio/speech, uploaded to /v1/audio/transcriptions', async () => {
    const h = harness([voiceChain]);
    const before = stub.requests.length;
    const run = await h.start('voice');
    expect(run.status).toBe('completed');
    const wav = Buffer.from(await (await h.store.artifacts.content(run.output!.audio as string))!.arrayBuffer());
    expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(run.output!.text).toBe(`stub transcript of ${wav.byteLength} bytes`);
    const speech = stub.requests.slice(before).find((r) => r.path === '/v1/audio/speech')!;
    expect(speech.body).toMatchObject({ input: 'hello there', voice: 'M1', response_format: 'wav' });
    const stt = stub.requests.slice(before).find((r) => r.path === '/v1/audio/transcriptions')!;
    expect(stt.body).toMatchObject({ language: 'en', response_format: 'json' });
    await h.close();
  });

  test('no provider for the modality: that node fails naming what to configure (the flow still compiled)', async () => {
    const h = harness([imageChain], {});
    const run = await h.start('img');
    expect(run.status).toBe('failed');
    expect(run.error).toContain("generate_image node 'gi' needs an image provider (the node asks for 'huggingface'");
    expect(run.error).toContain('set ABSTRACTGATEWAY_IMAGE_PROVIDER');
    await h.close();
  });

  test("edit_image cannot read another session's artifact", async () => {
    const doc = flow('steal', [start('s', ['ref']), n('ei', 'edit_image', { in: ['exec-in', 'prompt', 'image_artifact'], out: ['exec-out', 'image_artifact'], pinDefaults: { prompt: 'x' } })], ['s.exec-out>ei.exec-in', 's.ref>ei.image_artifact']);
    const h = harness([imageChain, doc]);
    const other = await h.start('img', {}, 'sess-a');
    const run = await h.start('steal', { ref: { $artifact: other.output!.first } }, 'sess-b');
    expect(run.status).toBe('failed');
    expect(run.error).toContain('not found in this run or its session');
    await h.close();
  });

  test('generate_music fails per node: no OpenAI-compatible music endpoint', async () => {
    const doc = flow('music', [start('s'), n('gm', 'generate_music', { in: ['exec-in', 'prompt'], out: ['exec-out', 'music_artifact'], pinDefaults: { prompt: 'epic' } })], ['s.exec-out>gm.exec-in']);
    const h = harness([doc]);
    const run = await h.start('music');
    expect(run.status).toBe('failed');
    expect(run.error).toContain("generate_music node 'gm' needs a music generation backend");
    await h.close();
  });
});

describe('model residency and provider models', () => {
  const residency = (provider: string, operation: string, required = false) => flow(`res-${provider}-${operation}`, [
    start('s'),
    n('mr', 'model_residency', { in: ['exec-in', 'operation', 'provider', 'model', 'pin', 'required'], out: ['exec-out', 'success', 'models', 'error', 'loaded_new'], pinDefaults: { operation, provider, model: 'llama3', pin: true, required } }),
    end('e', ['success', 'models', 'error', 'loaded_new']),
  ], ['s.exec-out>mr.exec-in', 'mr.exec-out>e.exec-in', 'mr.success>e.success', 'mr.models>e.models', 'mr.error>e.error', 'mr.loaded_new>e.loaded_new']);

  test('Ollama: load pins the model (keep_alive -1), list_loaded reports it, unload (keep_alive 0) removes it', async () => {
    const docs = [residency('ollama', 'load'), residency('ollama', 'list_loaded'), residency('ollama', 'unload')];
    const h = harness(docs);
    const before = stub.requests.length;
    expect((await h.start('res-ollama-load')).output).toMatchObject({ success: true, models: ['llama3'], loaded_new: true, error: null });
    expect(stub.requests.slice(before).find((r) => r.path === '/api/generate')!.body).toMatchObject({ model: 'llama3', keep_alive: -1 });
    expect((await h.start('res-ollama-list_loaded')).output).toMatchObject({ success: true, models: ['llama3'] });
    expect((await h.start('res-ollama-unload')).output).toMatchObject({ success: true, models: [] });
    await h.close();
  });

  test('LM Studio: load via /api/v1/models/load, unload by instance id via /api/v1/models/unload', async () => {
    stub.loaded = [];
    const h = harness([residency('lmstudio', 'load'), residency('lmstudio', 'unload')]);
    const before = stub.requests.length;
    expect((await h.start('res-lmstudio-load')).output).toMatchObject({ success: true, models: ['llama3'], loaded_new: true });
    expect((await h.start('res-lmstudio-unload')).output).toMatchObject({ success: true, models: [] });
    const paths = stub.requests.slice(before).map((r) => `${r.method} ${r.path}`);
    expect(paths).toContain('POST /api/v1/models/load');
    expect(stub.requests.slice(before).find((r) => r.path === '/api/v1/models/unload')!.body).toEqual({ instance_id: 'llama3' });
    await h.close();
  });

  test('a provider without load/unload: success false with an error, or a failed node when required', async () => {
    const h = harness([residency('vllm', 'load'), residency('openai', 'load', true)]);
    const soft = await h.start('res-vllm-load');
    expect(soft.output).toMatchObject({ success: false });
    expect(soft.output!.error).toContain("provider 'vllm' exposes no load/unload API here");
    const hard = await h.start('res-openai-load');
    expect(hard.status).toBe('failed');
    expect(hard.error).toContain("model_residency node 'mr'");
    await h.close();
  });

  test('provider_models (pure) lists the live /v1/models, filtered by allowed_models and capability_route', async () => {
    const discovery = createLlmDiscovery(stubConfig(stub.url, { maxAttempts: 1 }));
    const mk = (id: string, extra: Vars) => flow(id, [
      start('s'),
      n('pm', 'provider_models', { in: ['provider', 'allowed_models', 'capability_route'], out: ['provider', 'models'], pinDefaults: { provider: 'lmstudio', ...extra } }),
      end('e', ['models']),
    ], ['s.exec-out>e.exec-in', 'pm.models>e.models']);
    const docs = [mk('all', {}), mk('allowed', { allowed_models: ['stub-b', 'nope'] }), mk('route', { capability_route: 'embeddings' }), mk('badroute', { capability_route: 'teleport' })];
    const byId = new Map(docs.map((d) => [d.id as string, d]));
    const flows = new FlowWorkflows({ source: { getWorkflow: (id) => structuredClone(byId.get(id)) }, services: { providerModels: (p) => discovery.listModels(p) } });
    const h = createHarness({ workflows: flows });
    const run = async (id: string) => { const r = await h.runtime.start(id, {}); await h.settle(); return (await h.run(r.run_id)).output; };
    expect(await run('all')).toEqual({ models: ['stub-a', 'stub-b'], success: true });
    expect(await run('allowed')).toEqual({ models: ['stub-b'], success: true });
    expect(await run('route')).toEqual({ models: [], success: true });
    expect(await run('badroute')).toEqual({ models: [], success: true });
    await h.close();
  });

  test('provider_catalog lists the configured providers, filtered by allowed_providers', async () => {
    const mk = (id: string, allowed: unknown) => flow(id, [start('s'), n('pc', 'provider_catalog', { in: ['allowed_providers'], out: ['providers'], pinDefaults: { allowed_providers: allowed } }), end('e', ['providers'])], ['s.exec-out>e.exec-in', 'pc.providers>e.providers']);
    const docs = [mk('cat-all', []), mk('cat-some', ['ollama', 'nope'])];
    const byId = new Map(docs.map((d) => [d.id as string, d]));
    const flows = new FlowWorkflows({ source: { getWorkflow: (id) => structuredClone(byId.get(id)) }, services: { providerNames: ['lmstudio', 'ollama'] } });
    const h = createHarness({ workflows: flows });
    const run = async (id: string) => { const r = await h.runtime.start(id, {}); await h.settle(); return (await h.run(r.run_id)).output; };
    expect(await run('cat-all')).toEqual({ providers: ['lmstudio', 'ollama'], success: true });
    expect(await run('cat-some')).toEqual({ providers: ['ollama'], success: true });
    await h.close();
  });

  test('provider_models without a provider registry returns an empty list (the reference without AbstractCore)', async () => {
    const doc = flow('noreg', [start('s'), n('pm', 'provider_models', { in: ['provider'], out: ['provider', 'models'], pinDefaults: { provider: 'lmstudio' } }), end('e', ['models'])], ['s.exec-out>e.exec-in', 'pm.models>e.models']);
    const h = flowHarness([doc]);
    expect((await h.start('noreg')).output).toEqual({ models: [], success: true });
    await h.close();
  });
});
