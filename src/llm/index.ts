// Public surface of the LLM layer: effect handlers the runtime registers, config, discovery, tools, agent.
import type { EffectHandler } from '../runtime/types.ts';
import type { LlmConfig } from './config.ts';
import { createLlmCallEffect } from './llm-call.ts';
import { createToolCallsEffect } from './tool-calls.ts';

export { loadLlmConfig, type LlmConfig, type ToolMode } from './config.ts';
export { createLlmDiscovery, listTools, modelCapabilities, type LlmDiscovery } from './discovery.ts';
export { normalizeToolCalls, toolCallsKeyPayload } from './tool-calls.ts';
export { AGENT_WORKFLOW_ID, createAgentWorkflow } from './agent.ts';

/** Handlers for `llm_call` and `tool_calls`, keyed by effect type. */
export function createLlmEffects(config: LlmConfig): Record<string, EffectHandler> {
  return { llm_call: createLlmCallEffect(config), tool_calls: createToolCallsEffect(config) };
}
