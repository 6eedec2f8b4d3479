// /api/gateway/discovery: the capabilities contract, plus LLM providers/models/tools when the LLM layer is wired.
// The LLM helpers are best effort: provider errors come back inside a 200 body, never as a failure.
import { Elysia } from 'elysia';
import { z } from 'zod';
import type { LlmDiscovery } from '../../llm/discovery.ts';
import { errors, typedAs, zBool, zJsonObject } from '../common.ts';
import { capabilities } from './capabilities.ts';

const Capabilities = z
  .object({ capabilities: zJsonObject })
  .meta({ example: capabilities('0.1.0') });

const Tools = z
  .object({ items: z.array(zJsonObject), error: z.string().optional() })
  .meta({ example: { items: [{ name: 'read_file', description: 'Read a text file', parameters: {} }] } });

const Providers = z
  .object({
    items: z.array(z.object({ name: z.string(), models: z.array(z.string()).optional(), error: z.string().optional() })),
    default_provider: z.string(),
    default_model: z.string(),
  })
  .meta({ example: { items: [{ name: 'lmstudio' }, { name: 'ollama' }], default_provider: 'lmstudio', default_model: 'qwen/qwen3-next-80b' } });

const Models = z
  .object({ provider: z.string(), models: z.array(z.string()), error: z.string().optional() })
  .meta({ example: { provider: 'lmstudio', models: ['m1', 'm2'] } });

const ModelCaps = typedAs<ReturnType<LlmDiscovery['modelCapabilities']>>(z
  .object({ model: z.string(), capabilities: z.looseObject({ max_tokens: z.number(), tool_support: z.string() }) })
  .meta({ example: { model: 'qwen3-next-80b', capabilities: { max_tokens: 262144, tool_support: 'native' } } }));

export const discoveryRoutes = (version: string, llm: LlmDiscovery | null) => {
  const base = new Elysia({ name: 'discovery', prefix: '/api/gateway/discovery', tags: ['discovery'] }).get(
    '/capabilities',
    () => capabilities(version),
    { response: Capabilities, detail: { summary: 'Versioned contract of the core endpoints (`capabilities.contracts.common`)' } },
  );
  if (!llm) return base;
  return base
    .get(
      '/tools',
      () => {
        try {
          return { items: llm.listTools() as unknown as Record<string, unknown>[] };
        } catch (e) {
          return { items: [], error: e instanceof Error ? e.message : String(e) };
        }
      },
      { response: Tools, detail: { summary: 'Built-in tool specs' } },
    )
    .get('/providers', ({ query }) => llm.listProviders({ includeModels: query.include_models }), {
      query: z.object({ include_models: zBool(false) }),
      response: { 200: Providers, ...errors(422) },
      detail: { summary: 'LLM providers (sorted), optionally with their models' },
    })
    .get('/providers/:provider/models', ({ params }) => llm.listModels(params.provider), {
      params: z.object({ provider: z.string().min(1) }),
      response: Models,
      detail: { summary: "A provider's models (sorted; `error` when unreachable)" },
    })
    .get('/models/capabilities', ({ query }) => llm.modelCapabilities(query.model_name ?? ''), {
      query: z.object({ model_name: z.string().optional() }),
      response: { 200: ModelCaps, ...errors(400) },
      detail: { summary: 'Known capabilities of a model name' },
    });
};
