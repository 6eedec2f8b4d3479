// Discovery helpers behind /discovery/{providers,tools,models/capabilities} (docs/api.md).
// Best effort: provider errors are folded into the answer, never thrown.
import { InvalidInput } from '../model/index.ts';
import type { LlmConfig } from './config.ts';
import { redact } from './http.ts';
import { fetchModels } from './providers/index.ts';
import { BUILTIN_TOOLS, type BuiltinToolSpec } from './tools/index.ts';

/** Defaults clients show when nothing is configured (docs/api.md). */
export const FALLBACK_PROVIDER = 'lmstudio';
export const FALLBACK_MODEL = 'qwen/qwen3-next-80b';

const MODELS_TTL_MS = 30_000;
const DISCOVERY_TIMEOUT_MS = 5_000;

export interface ProviderModels {
  provider: string;
  models: string[];
  error?: string;
}

export interface ProviderItem {
  name: string;
  models?: string[];
  error?: string;
}

export interface ProvidersAnswer {
  items: ProviderItem[];
  default_provider: string;
  default_model: string;
}

export interface LlmDiscovery {
  listProviders(opts?: { includeModels?: boolean }): Promise<ProvidersAnswer>;
  listModels(provider: string): Promise<ProviderModels>;
  listTools(): BuiltinToolSpec[];
  modelCapabilities(modelName: string): { model: string; capabilities: ModelCapabilities };
}

export function createLlmDiscovery(config: LlmConfig): LlmDiscovery {
  const cache = new Map<string, { at: number; value: ProviderModels }>();
  const secrets = Object.values(config.providers).map((p) => p.apiKey).filter((k): k is string => !!k);

  async function listModels(provider: string): Promise<ProviderModels> {
    const name = provider.trim().toLowerCase();
    const ep = config.providers[name];
    if (!ep) return { provider: name, models: [], error: `Unknown provider '${name}' (known: ${Object.keys(config.providers).sort().join(', ')})` };
    const hit = cache.get(name);
    if (hit && Date.now() - hit.at < MODELS_TTL_MS) return hit.value;
    let value: ProviderModels;
    try {
      const models = await fetchModels(ep, {
        timeoutMs: DISCOVERY_TIMEOUT_MS, maxAttempts: 1, retryBaseMs: 0, retryMaxMs: 0, signal: new AbortController().signal, secrets,
      });
      value = { provider: name, models: [...new Set(models)].sort() };
    } catch (e) {
      // failures are not cached: the server may come up a second later
      return { provider: name, models: [], error: redact(e instanceof Error ? e.message : String(e), secrets) };
    }
    cache.set(name, { at: Date.now(), value });
    return value;
  }

  async function listProviders(opts: { includeModels?: boolean } = {}): Promise<ProvidersAnswer> {
    const names = Object.values(config.providers)
      .filter((p) => p.configured || p.name === config.defaultProvider)
      .map((p) => p.name)
      .sort();
    const items = await Promise.all(names.map(async (name): Promise<ProviderItem> => {
      if (!opts.includeModels) return { name };
      const m = await listModels(name);
      return m.error ? { name, models: [], error: m.error } : { name, models: m.models };
    }));
    return { items, default_provider: config.defaultProvider ?? FALLBACK_PROVIDER, default_model: config.defaultModel ?? FALLBACK_MODEL };
  }

  return { listProviders, listModels, listTools, modelCapabilities };
}

export function listTools(): BuiltinToolSpec[] {
  return BUILTIN_TOOLS.map((t) => structuredClone(t));
}

export interface ModelCapabilities {
  max_tokens: number;
  max_output_tokens: number;
  tool_support: 'native' | 'prompted';
  structured_output: 'native' | 'prompted';
  vision_support: boolean;
  /** `known` when the family matched the table below, else conservative defaults */
  source: 'known' | 'default';
}

// Families the bundles and common local servers use; first match wins (names are matched lower-cased,
// anywhere in the id, so "openai/gpt-4o-mini" and "qwen/qwen3-next-80b" work).
const FAMILIES: [RegExp, Omit<ModelCapabilities, 'source'>][] = [
  [/claude/, { max_tokens: 200_000, max_output_tokens: 8192, tool_support: 'native', structured_output: 'native', vision_support: true }],
  [/gpt-5/, { max_tokens: 400_000, max_output_tokens: 128_000, tool_support: 'native', structured_output: 'native', vision_support: true }],
  [/gpt-4\.1/, { max_tokens: 1_047_576, max_output_tokens: 32_768, tool_support: 'native', structured_output: 'native', vision_support: true }],
  [/gpt-4o/, { max_tokens: 128_000, max_output_tokens: 16_384, tool_support: 'native', structured_output: 'native', vision_support: true }],
  [/(^|\/)o[134](-|$)/, { max_tokens: 200_000, max_output_tokens: 100_000, tool_support: 'native', structured_output: 'native', vision_support: true }],
  [/qwen3-next/, { max_tokens: 262_144, max_output_tokens: 16_384, tool_support: 'native', structured_output: 'native', vision_support: false }],
  [/qwen3|qwen2\.5/, { max_tokens: 32_768, max_output_tokens: 8192, tool_support: 'native', structured_output: 'native', vision_support: false }],
  [/llama-?3/, { max_tokens: 128_000, max_output_tokens: 8192, tool_support: 'native', structured_output: 'native', vision_support: false }],
  [/mistral|mixtral|devstral/, { max_tokens: 32_768, max_output_tokens: 8192, tool_support: 'native', structured_output: 'native', vision_support: false }],
  [/gemma/, { max_tokens: 128_000, max_output_tokens: 8192, tool_support: 'prompted', structured_output: 'native', vision_support: true }],
  [/deepseek/, { max_tokens: 128_000, max_output_tokens: 8192, tool_support: 'native', structured_output: 'prompted', vision_support: false }],
];

const DEFAULT_CAPS: Omit<ModelCapabilities, 'source'> = {
  max_tokens: 32_768, max_output_tokens: 8192, tool_support: 'prompted', structured_output: 'prompted', vision_support: false,
};

export function modelCapabilities(modelName: string): { model: string; capabilities: ModelCapabilities } {
  const model = String(modelName ?? '').trim();
  if (!model) throw new InvalidInput('model_name is required (e.g. ?model_name=qwen3-next-80b)');
  const found = FAMILIES.find(([re]) => re.test(model.toLowerCase()));
  return { model, capabilities: found ? { ...found[1], source: 'known' } : { ...DEFAULT_CAPS, source: 'default' } };
}
