// Test helpers: a config pointing every provider at the stub, and a constructed EffectContext.
import type { LlmConfig } from '../../src/llm/config.ts';
import type { EffectContext } from '../../src/runtime/types.ts';
import type { RunState, Vars } from '../../src/model/index.ts';
import { nowIso } from '../../src/util/time.ts';

export function stubConfig(url: string, over: Partial<LlmConfig> = {}): LlmConfig {
  return {
    defaultProvider: 'lmstudio',
    defaultModel: 'stub-model',
    toolMode: 'passthrough',
    providers: {
      openai: { name: 'openai', protocol: 'openai', baseUrl: `${url}/v1`, apiKey: 'sk-test-SECRET-openai-123456', configured: true },
      lmstudio: { name: 'lmstudio', protocol: 'openai', baseUrl: `${url}/v1`, apiKey: null, configured: true },
      ollama: { name: 'ollama', protocol: 'ollama', baseUrl: url, apiKey: null, configured: true },
      anthropic: { name: 'anthropic', protocol: 'anthropic', baseUrl: url, apiKey: 'sk-ant-test-SECRET-999999', configured: true },
    },
    timeoutMs: 5000,
    maxAttempts: 3,
    retryBaseMs: 5,
    retryMaxMs: 20,
    stream: false,
    tools: { commandTimeoutMs: 5000, commandMaxTimeoutMs: 10_000, maxOutputChars: 4096, fetchTimeoutMs: 5000 },
    ...over,
  };
}

export function makeRun(vars: Vars = {}, over: Partial<RunState> = {}): RunState {
  const ts = nowIso();
  return {
    run_id: 'run-1', workflow_id: 'wf', status: 'running', current_node: 'n1', vars, waiting: null, output: null, error: null,
    created_at: ts, updated_at: ts, actor_id: null, session_id: null, parent_run_id: null, ...over,
  };
}

export function effectCtx(type: string, payload: Vars, opts: { run?: RunState; signal?: AbortSignal; resultKey?: string | null; nextNode?: string | null } = {}): EffectContext {
  return {
    run: opts.run ?? makeRun(),
    effect: { type, payload, result_key: opts.resultKey === undefined ? '_temp.r' : opts.resultKey },
    nextNode: opts.nextNode === undefined ? 'next' : opts.nextNode,
    nodeId: 'n1',
    idempotencyKey: 'k'.repeat(32),
    nowIso,
    signal: opts.signal ?? new AbortController().signal,
  };
}
