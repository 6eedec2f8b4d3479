// Protocol dispatch for configured provider endpoints.
import type { HttpPolicy, RetryResult } from '../http.ts';
import type { ChatRequest, ChatResponse, ProviderEndpoint } from '../types.ts';
import { anthropicChat, anthropicModels } from './anthropic.ts';
import { ollamaChat, ollamaModels } from './ollama.ts';
import { openaiChat, openaiModels } from './openai.ts';

export function chat(ep: ProviderEndpoint, req: ChatRequest, policy: HttpPolicy, stream: boolean): Promise<RetryResult<ChatResponse>> {
  switch (ep.protocol) {
    case 'openai': return openaiChat(ep, req, policy, stream);
    case 'ollama': return ollamaChat(ep, req, policy, stream);
    case 'anthropic': return anthropicChat(ep, req, policy, stream);
  }
}

export function fetchModels(ep: ProviderEndpoint, policy: HttpPolicy): Promise<string[]> {
  switch (ep.protocol) {
    case 'openai': return openaiModels(ep, policy);
    case 'ollama': return ollamaModels(ep, policy);
    case 'anthropic': return anthropicModels(ep, policy);
  }
}
