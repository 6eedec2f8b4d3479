// Provider-neutral shapes shared by the provider clients, the llm_call/tool_calls effects and the agent.

/** One chat message in our canonical (OpenAI-like) form; each provider converts it to its wire format. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** assistant turns that requested tools */
  tool_calls?: ToolCall[];
  /** tool turns: the call this message answers, and the tool name */
  tool_call_id?: string;
  name?: string;
}

/** A tool call as results and payloads carry it (docs/runtime.md "Effects"). */
export interface ToolCall {
  name: string;
  arguments: Record<string, any>;
  call_id: string;
}

/**
 * AbstractCore ToolSpec: `parameters` is a flat map `argName -> {type, description?, default?}`
 * (a full JSON-schema object is accepted too and passed through).
 */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, any>;
}

export interface Usage {
  input_tokens: number | null;
  output_tokens: number | null;
  total_tokens: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
}

/** What a provider client is asked to do (already normalised by the llm_call effect). */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools: ToolSpec[];
  /** JSON schema (object) for native structured output; null = free text */
  responseSchema: Record<string, any> | null;
  responseSchemaName: string;
  temperature: number | null;
  seed: number | null;
  maxOutputTokens: number | null;
}

/** The assembled assistant message a provider returns. */
export interface ChatResponse {
  content: string;
  reasoning: string | null;
  tool_calls: ToolCall[];
  /** structured output, when the protocol returned it natively (e.g. an Anthropic forced tool call) */
  data: unknown;
  usage: Usage | null;
  model: string;
  finish_reason: string | null;
  ttft_ms: number | null;
}

export type Protocol = 'openai' | 'ollama' | 'anthropic';

/** A configured provider endpoint. `apiKey` never leaves the HTTP layer (see http.ts redaction). */
export interface ProviderEndpoint {
  name: string;
  protocol: Protocol;
  baseUrl: string;
  apiKey: string | null;
  /** listed by discovery: has its key, or its endpoint was set explicitly, or is a default local server */
  configured: boolean;
}
