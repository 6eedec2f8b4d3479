// The ReAct agent as a durable child workflow. Each LLM call and each tool batch is its own effect (and so
// its own ledger step): after a crash the runtime re-uses completed results by idempotency key. That key
// has no step counter, so every payload here is made unique per iteration (growing history, agent_step).
//
// Child vars (set by the flow's agent node via start_subworkflow):
//   {task, system?, provider?, model?, tools?: string[], max_iterations?, context?: {messages}, response_schema?, params?}
// (max_iterations falls back to _limits.max_iterations, then 25.) Output: {response, success, meta, scratchpad, data?}.
import { z } from 'zod';
import { AGENT_WORKFLOW_ID, isPlainObject, limitsOf, tempOf, type RunState, type Vars } from '../model/index.ts';
import type { StepPlan, Workflow } from '../runtime/types.ts';
import { extractJson } from './schema.ts';
import { AGENT_BUILTINS } from './tools/index.ts';
import type { ChatMessage, ToolCall } from './types.ts';

export { AGENT_WORKFLOW_ID };
export const DEFAULT_MAX_ITERATIONS = 25;
const MAX_TOOL_MESSAGE_CHARS = 20_000;

const REACT_PROMPT = [
  'You are an autonomous agent that completes the user\'s task step by step.',
  'Use the available tools when they help, calling them with valid JSON arguments, and read each tool result before deciding the next step.',
  'When you have the final answer, reply with it directly, without calling any tool.',
].join('\n');

const varsSchema = z.looseObject({
  task: z.string().trim().min(1, 'task must be a non-empty string'),
  system: z.string().nullish(),
  provider: z.string().nullish(),
  model: z.string().nullish(),
  tools: z.array(z.string()).nullish(),
  max_iterations: z.coerce.number().int().min(1).nullish(),
  context: z.looseObject({ messages: z.array(z.unknown()).nullish() }).nullish(),
  response_schema: z.record(z.string(), z.unknown()).nullish(),
  params: z.record(z.string(), z.unknown()).nullish(),
});

interface ToolOutcome {
  call_id: string;
  name: string;
  success: boolean;
  output: unknown;
  error: string | null;
}

/** Durable loop state, kept in `vars.scratchpad` (visible to clients, returned in the output). */
interface Scratchpad {
  iteration: number;
  max_iterations: number;
  messages: ChatMessage[];
  /** calls of the current LLM turn not yet answered; `batch` = how many the in-flight tool_calls effect covers */
  pending: ToolCall[];
  batch: number;
  tool_calls: ToolCall[];
  tool_results: ToolOutcome[];
  memory: { content: string; tags: string[]; iteration: number }[];
  answer: string | null;
  success: boolean;
}

const pad = (run: RunState): Scratchpad => run.vars.scratchpad as Scratchpad;
const temp = (run: RunState): Vars => tempOf(run.vars);
const move = (node_id: string, next_node: string): StepPlan => ({ node_id, next_node });

const routing = (vars: Vars): Vars => ({
  ...(vars.provider ? { provider: vars.provider } : {}),
  ...(vars.model ? { model: vars.model } : {}),
  ...(isPlainObject(vars.params) ? { params: vars.params } : {}),
});

const asText = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));

function toolMessage(r: ToolOutcome): ChatMessage {
  const body = r.success ? asText(r.output) : `Error: ${r.error ?? 'tool failed'}`;
  const content = body.length > MAX_TOOL_MESSAGE_CHARS ? `${body.slice(0, MAX_TOOL_MESSAGE_CHARS)}\n... [truncated]` : body;
  return { role: 'tool', tool_call_id: r.call_id, name: r.name, content };
}

function record(sp: Scratchpad, call: ToolCall, r: ToolOutcome): void {
  sp.tool_calls.push(call);
  sp.tool_results.push(r);
  sp.messages.push(toolMessage(r));
}

function finish(run: RunState, node: string, data?: unknown): StepPlan {
  const sp = pad(run);
  const structured = data !== undefined;
  const { pending: _p, batch: _b, answer, success, ...visible } = sp;
  const meta = {
    schema: 'abstractcode.agent.v1.meta', version: 1, output_mode: structured ? 'structured' : 'unstructured',
    // the last LLM result knows what the defaults resolved to
    provider: temp(run).agent_llm?.provider ?? run.vars.provider ?? null, model: temp(run).agent_llm?.model ?? run.vars.model ?? null,
    tool_calls: sp.tool_calls.length, tool_results: sp.tool_results.length, iterations: sp.iteration, sub_run_id: run.run_id,
  };
  const response = structured ? JSON.stringify(data) : (answer ?? '');
  return { node_id: node, complete_output: { response, success, meta, scratchpad: visible, ...(structured ? { data } : {}) } };
}

/** remember / recall_memory: run-scoped notes kept in the scratchpad (no effect needed). */
function memoryTool(sp: Scratchpad, call: ToolCall): ToolOutcome {
  const base = { call_id: call.call_id, name: call.name };
  if (call.name === 'remember') {
    const content = asText(call.arguments.content).trim();
    if (!content) return { ...base, success: false, output: null, error: "Missing required argument 'content'" };
    const tags = Array.isArray(call.arguments.tags) ? call.arguments.tags.map(String) : [];
    sp.memory.push({ content, tags, iteration: sp.iteration });
    return { ...base, success: true, output: `Remembered (${sp.memory.length} notes).`, error: null };
  }
  const words = asText(call.arguments.query).toLowerCase().split(/\s+/).filter(Boolean);
  const limit = Number(call.arguments.limit) > 0 ? Number(call.arguments.limit) : 10;
  const hits = sp.memory.filter((m) => !words.length || words.some((w) => `${m.content} ${m.tags.join(' ')}`.toLowerCase().includes(w)));
  return { ...base, success: true, output: hits.length ? hits.slice(-limit).map((m) => `- ${m.content}`).join('\n') : 'No matching notes.', error: null };
}

const notAllowed = (call: ToolCall): ToolOutcome =>
  ({ call_id: call.call_id, name: call.name, success: false, output: null, error: `Tool '${call.name}' is not allowed for this agent` });

export function createAgentWorkflow(): Workflow {
  const steps: Record<string, (run: RunState) => StepPlan> = {
    init(run) {
      const parsed = varsSchema.safeParse(run.vars);
      if (!parsed.success) {
        run.vars.scratchpad = { iteration: 0, max_iterations: 0, messages: [], pending: [], batch: 0, tool_calls: [], tool_results: [], memory: [], answer: `Agent configuration error: ${z.prettifyError(parsed.error)}`, success: false };
        return finish(run, 'init');
      }
      const v = parsed.data;
      const system = [REACT_PROMPT, v.system?.trim()].filter(Boolean).join('\n\n');
      const history = (v.context?.messages ?? []).filter((m): m is ChatMessage =>
        isPlainObject(m) && ['user', 'assistant', 'system'].includes(m.role) && typeof m.content === 'string')
        .map((m) => ({ role: m.role, content: m.content }));
      const sp: Scratchpad = {
        iteration: 0, max_iterations: v.max_iterations ?? (Number(limitsOf(run.vars)?.max_iterations) || DEFAULT_MAX_ITERATIONS),
        messages: [{ role: 'system', content: system }, ...history, { role: 'user', content: v.task }],
        pending: [], batch: 0, tool_calls: [], tool_results: [], memory: [], answer: null, success: false,
      };
      run.vars.scratchpad = sp;
      return move('init', 'llm');
    },

    llm(run) {
      return {
        node_id: 'llm', next_node: 'after_llm',
        effect: { type: 'llm_call', result_key: '_temp.agent_llm', payload: { messages: pad(run).messages, tools: run.vars.tools ?? [], ...routing(run.vars) } },
      };
    },

    after_llm(run) {
      const sp = pad(run);
      const r = temp(run).agent_llm ?? {};
      sp.iteration += 1;
      const calls: ToolCall[] = Array.isArray(r.tool_calls) ? r.tool_calls : [];
      const content = asText(r.content);
      sp.messages.push({ role: 'assistant', content, ...(calls.length ? { tool_calls: calls } : {}) });
      if (!calls.length) {
        sp.answer = content;
        sp.success = true;
        return isPlainObject(run.vars.response_schema) ? move('after_llm', 'structured') : finish(run, 'after_llm');
      }
      if (sp.iteration >= sp.max_iterations) {
        sp.answer = content || `Agent stopped: reached max_iterations (${sp.max_iterations}) without a final answer.`;
        sp.success = false;
        return finish(run, 'after_llm');
      }
      sp.pending = calls;
      return move('after_llm', 'tools');
    },

    tools(run) {
      const sp = pad(run);
      const allowed = new Set<string>(Array.isArray(run.vars.tools) ? run.vars.tools : []);
      // agent builtins are answered here, in order, until a call needs an effect
      while (sp.pending.length && AGENT_BUILTINS.has(sp.pending[0]!.name) && sp.pending[0]!.name !== 'ask_user') {
        const call = sp.pending.shift()!;
        record(sp, call, allowed.has(call.name) ? memoryTool(sp, call) : notAllowed(call));
      }
      const head = sp.pending[0];
      if (!head) return move('tools', 'llm');
      const step = `${sp.iteration}.${sp.tool_calls.length}`; // makes the payload unique per position
      if (head.name === 'ask_user') {
        if (!allowed.has('ask_user')) {
          record(sp, sp.pending.shift()!, notAllowed(head));
          return move('tools', 'tools');
        }
        const question = asText(head.arguments.question ?? head.arguments.prompt).trim() || 'Please respond:';
        const choices = Array.isArray(head.arguments.choices) ? head.arguments.choices.map(String) : null;
        return {
          node_id: 'tools', next_node: 'after_ask',
          effect: { type: 'ask_user', result_key: '_temp.agent_ask', payload: { prompt: question, ...(choices ? { choices } : {}), allow_free_text: true, agent_step: step } },
        };
      }
      const end = sp.pending.findIndex((c) => AGENT_BUILTINS.has(c.name));
      sp.batch = end < 0 ? sp.pending.length : end;
      return {
        node_id: 'tools', next_node: 'after_tools',
        effect: { type: 'tool_calls', result_key: '_temp.agent_tools', payload: { tool_calls: sp.pending.slice(0, sp.batch), allowed_tools: [...allowed], agent_step: step } },
      };
    },

    after_tools(run) {
      const sp = pad(run);
      const r = temp(run).agent_tools ?? {};
      const batch = sp.pending.splice(0, sp.batch);
      const results: Vars[] = Array.isArray(r.results) ? r.results : [];
      const denied = r.approved === false ? (asText(r.reason) || 'Denied by user') : null;
      batch.forEach((call, i) => {
        const got = results.find((x) => x?.call_id === call.call_id) ?? results[i];
        record(sp, call, got && !denied
          ? { call_id: call.call_id, name: call.name, success: got.success === true, output: got.output ?? null, error: got.error ?? null }
          : { call_id: call.call_id, name: call.name, success: false, output: null, error: denied ?? 'Missing tool result' });
      });
      sp.batch = 0;
      return move('after_tools', 'tools');
    },

    after_ask(run) {
      const sp = pad(run);
      const call = sp.pending.shift()!;
      const r = temp(run).agent_ask;
      const answer = isPlainObject(r) ? (r.response ?? r.text ?? r.answer ?? r) : r;
      record(sp, call, { call_id: call.call_id, name: call.name, success: true, output: asText(answer), error: null });
      return move('after_ask', 'tools');
    },

    structured(run) {
      const sp = pad(run);
      const prompt = `Convert the Agent answer into a JSON object matching the required schema. Return JSON only.\n\nTask:\n${run.vars.task}\n\nAnswer:\n${sp.answer ?? ''}`;
      return {
        node_id: 'structured', next_node: 'after_structured',
        effect: {
          type: 'llm_call', result_key: '_temp.agent_structured',
          payload: { prompt, response_schema: run.vars.response_schema, response_schema_name: 'Agent_Output', ...routing(run.vars) },
        },
      };
    },

    after_structured(run) {
      const r = temp(run).agent_structured ?? {};
      const data = r.data ?? extractJson(asText(r.content)) ?? {};
      return finish(run, 'after_structured', data);
    },
  };

  return {
    workflow_id: AGENT_WORKFLOW_ID,
    entry_node: 'init',
    step(run) {
      const fn = steps[run.current_node];
      if (!fn) throw new Error(`Agent workflow has no node '${run.current_node}'`);
      return fn(run);
    },
  };
}
