// LLM/tool configuration from the environment (docs/operations.md "Configuration"). Provider names are the ones
// bundles use; endpoints and keys come from each provider's conventional env vars.
import { z } from 'zod';
import type { ExternalTool } from './tools/index.ts';
import type { ProviderEndpoint } from './types.ts';

export const TOOL_MODES = ['passthrough', 'local'] as const;
export type ToolMode = (typeof TOOL_MODES)[number];

export interface ToolLimits {
  /** execute_command: default and maximum run time */
  commandTimeoutMs: number;
  commandMaxTimeoutMs: number;
  /** cap (characters) on captured stdout/stderr (each) and on text returned by file/web tools */
  maxOutputChars: number;
  fetchTimeoutMs: number;
}

export interface LlmConfig {
  defaultProvider: string | null;
  defaultModel: string | null;
  toolMode: ToolMode;
  /** keyed by provider name */
  providers: Record<string, ProviderEndpoint>;
  timeoutMs: number;
  /** total attempts per request on 429/5xx/network errors (1 = no retry) */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** use the protocol's streaming mode internally */
  stream: boolean;
  tools: ToolLimits;
  /** tools provided by optional components (the Telegram bridge), executed like the built-ins */
  externalTools?: Map<string, ExternalTool>;
}

export type Env = Record<string, string | undefined>;

/** "Set" means non-empty after trimming (docs/operations.md "Configuration"). */
function envStr(env: Env, ...names: string[]): string | null {
  for (const n of names) {
    const v = env[n]?.trim();
    if (v) return v;
  }
  return null;
}

function envNum(env: Env, name: string, fallback: number, min: number): number {
  const raw = envStr(env, name);
  const n = raw === null ? NaN : Number(raw);
  return Number.isFinite(n) && n >= min ? n : fallback;
}

function envBool(env: Env, name: string, fallback: boolean): boolean {
  const v = envStr(env, name)?.toLowerCase();
  if (v && ['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (v && ['0', 'false', 'no', 'off'].includes(v)) return false;
  return fallback;
}

const trimSlash = (u: string) => u.replace(/\/+$/, '');

/** The variables that configure each provider (named in errors and by `doctor`). */
export const PROVIDER_ENV: Readonly<Record<string, { url: string; key: string | null }>> = {
  openai: { url: 'OPENAI_BASE_URL', key: 'OPENAI_API_KEY' },
  lmstudio: { url: 'LMSTUDIO_BASE_URL', key: null },
  vllm: { url: 'VLLM_BASE_URL', key: 'VLLM_API_KEY' },
  openrouter: { url: 'OPENROUTER_BASE_URL', key: 'OPENROUTER_API_KEY' },
  llamacpp: { url: 'LLAMACPP_BASE_URL', key: null },
  ollama: { url: 'OLLAMA_HOST', key: null },
  anthropic: { url: 'ANTHROPIC_BASE_URL', key: 'ANTHROPIC_API_KEY' },
};

/** The provider table: every name bundles use, with its protocol, endpoint and (optional) key. */
export function providerEndpoints(env: Env): Record<string, ProviderEndpoint> {
  const ep = (name: string, protocol: ProviderEndpoint['protocol'], defaultUrl: string, local: boolean): ProviderEndpoint => {
    const { url: urlEnv, key: keyEnv } = PROVIDER_ENV[name]!;
    const url = envStr(env, urlEnv);
    const apiKey = keyEnv ? envStr(env, keyEnv) : null;
    return { name, protocol, baseUrl: trimSlash(url ?? defaultUrl), apiKey, configured: local || url !== null || apiKey !== null };
  };
  const ollama = ep('ollama', 'ollama', 'http://localhost:11434', true);
  if (!/^https?:\/\//.test(ollama.baseUrl)) ollama.baseUrl = `http://${ollama.baseUrl}`; // OLLAMA_HOST is often "host:port"
  return {
    openai: ep('openai', 'openai', 'https://api.openai.com/v1', false),
    lmstudio: ep('lmstudio', 'openai', 'http://localhost:1234/v1', true),
    vllm: ep('vllm', 'openai', 'http://localhost:8000/v1', false),
    openrouter: ep('openrouter', 'openai', 'https://openrouter.ai/api/v1', false),
    llamacpp: ep('llamacpp', 'openai', 'http://localhost:8080/v1', false),
    ollama,
    anthropic: ep('anthropic', 'anthropic', 'https://api.anthropic.com', false),
  };
}

const toolModeSchema = z.enum(TOOL_MODES);

export function loadLlmConfig(env: Env = process.env): LlmConfig {
  const modeRaw = (envStr(env, 'ABSTRACTGATEWAY_TOOL_MODE') ?? 'passthrough').toLowerCase();
  const mode = toolModeSchema.safeParse(modeRaw);
  if (!mode.success) {
    throw new Error(`ABSTRACTGATEWAY_TOOL_MODE must be one of ${TOOL_MODES.join(', ')} (got '${modeRaw}')`);
  }
  return {
    defaultProvider: envStr(env, 'ABSTRACTGATEWAY_PROVIDER', 'ABSTRACTFLOW_PROVIDER')?.toLowerCase() ?? null,
    defaultModel: envStr(env, 'ABSTRACTGATEWAY_MODEL', 'ABSTRACTFLOW_MODEL'),
    toolMode: mode.data,
    providers: providerEndpoints(env),
    timeoutMs: envNum(env, 'ABSTRACTGATEWAY_LLM_TIMEOUT_S', 300, 1) * 1000,
    maxAttempts: Math.floor(envNum(env, 'ABSTRACTGATEWAY_LLM_MAX_ATTEMPTS', 3, 1)),
    retryBaseMs: 1000,
    retryMaxMs: 30_000,
    stream: envBool(env, 'ABSTRACTGATEWAY_LLM_STREAM', true),
    tools: { commandTimeoutMs: 60_000, commandMaxTimeoutMs: 600_000, maxOutputChars: 64 * 1024, fetchTimeoutMs: 30_000 },
  };
}
