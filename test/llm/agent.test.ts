import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_WORKFLOW_ID, createAgentWorkflow, createLlmEffects, toolCallsKeyPayload } from '../../src/llm/index.ts';
import type { LlmConfig } from '../../src/llm/config.ts';
import type { EffectSpec, RunState, Vars, WaitState } from '../../src/model/index.ts';
import { canonicalJson, sha256Hex } from '../../src/util/json.ts';
import { nowIso } from '../../src/util/time.ts';
import { startStubLlm } from '../support/stub-llm.ts';
import { makeRun, stubConfig } from './helpers.ts';

const stub = startStubLlm();
let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ag-agent-'));
  writeFileSync(join(root, 'notes.md'), 'remember the milk');
});
afterAll(() => { stub.stop(); rmSync(root, { recursive: true, force: true }); });
beforeEach(() => { stub.requests.length = 0; });

const keyOf = (run: RunState, nodeId: string, e: EffectSpec) => sha256Hex(canonicalJson({
  run_id: run.run_id, node_id: nodeId, effect_type: e.type, effect_payload: e.type === 'tool_calls' ? toolCallsKeyPayload(e.payload) : e.payload,
}, true)).slice(0, 32);

function setPath(vars: Vars, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = vars;
  for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {});
  cur[parts.at(-1)!] = value;
}

interface Driven { output: Vars; keys: string[]; nodes: string[]; waits: WaitState[] }

/**
 * Minimal stand-in for the runtime loop (the real Runtime is tested elsewhere): step, execute effects with
 * the real handlers, store results at result_key; waits are answered by `answer`.
 */
async function drive(vars: Vars, config: LlmConfig, answer: (w: WaitState, e: EffectSpec) => Vars = () => ({})): Promise<Driven> {
  const wf = createAgentWorkflow();
  const handlers = createLlmEffects(config);
  const run = makeRun(vars, { workflow_id: AGENT_WORKFLOW_ID, current_node: wf.entry_node });
  const keys: string[] = [], nodes: string[] = [], waits: WaitState[] = [];
  for (let i = 0; i < 200; i++) {
    const plan = await wf.step(run, { nowIso });
    nodes.push(plan.node_id);
    if (plan.complete_output) return { output: plan.complete_output, keys, nodes, waits };
    const e = plan.effect;
    if (e) {
      const idempotencyKey = keyOf(run, plan.node_id, e);
      keys.push(idempotencyKey);
      let outcome;
      if (e.type === 'ask_user') {
        outcome = { status: 'waiting' as const, wait: { reason: 'user' as const, wait_key: `user:${run.run_id}:${plan.node_id}`, until: null, resume_to_node: plan.next_node ?? null, result_key: e.result_key, prompt: e.payload.prompt, choices: e.payload.choices ?? null, allow_free_text: true, details: null } };
      } else {
        outcome = await handlers[e.type]!({ run, effect: e, nextNode: plan.next_node ?? null, nodeId: plan.node_id, idempotencyKey, nowIso, signal: new AbortController().signal });
      }
      if (outcome.status === 'failed') throw new Error(outcome.error);
      if (outcome.status === 'waiting') {
        waits.push(outcome.wait);
        setPath(run.vars, outcome.wait.result_key!, answer(outcome.wait, e));
        run.current_node = outcome.wait.resume_to_node!;
        continue;
      }
      if (e.result_key) setPath(run.vars, e.result_key, outcome.result);
    }
    run.current_node = plan.next_node!;
  }
  throw new Error('agent did not finish');
}

const local = () => stubConfig(stub.url, { toolMode: 'local' });
const baseVars = (over: Vars = {}): Vars => ({ task: 'What is in notes.md?', provider: 'lmstudio', model: 'm', tools: ['read_file', 'list_files'], max_iterations: 5, workspace_root: root, ...over });

describe('agent workflow', () => {
  test('ReAct loop: tool call, observation, final answer', async () => {
    stub.enqueue({ content: 'Let me read it.', tool_calls: [{ name: 'read_file', arguments: { file_path: 'notes.md' }, id: 'c1' }] }, { content: 'It says: remember the milk.' });
    const { output, keys } = await drive(baseVars({ system: 'Be brief.', context: { messages: [{ role: 'user', content: 'earlier question' }] } }), local());
    expect(output.success).toBe(true);
    expect(output.response).toBe('It says: remember the milk.');
    expect(output.meta).toMatchObject({ schema: 'abstractcode.agent.v1.meta', output_mode: 'unstructured', provider: 'lmstudio', model: 'm', tool_calls: 1, tool_results: 1, iterations: 2 });
    expect(output.scratchpad.tool_results[0]).toMatchObject({ name: 'read_file', success: true, output: 'remember the milk' });
    expect(output.scratchpad.pending).toBeUndefined();
    const first = stub.requests[0]!.body;
    expect(first.messages[0].content).toContain('Be brief.');
    expect(first.messages.slice(1).map((m: any) => m.content)).toEqual(['earlier question', 'What is in notes.md?']);
    expect(first.tools.map((t: any) => t.function.name)).toEqual(['read_file', 'list_files']);
    expect(stub.requests[1]!.body.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'c1', content: 'remember the milk' });
    expect(new Set(keys).size).toBe(keys.length); // every LLM/tool step has its own idempotency key
  });

  test('the same tool call in two iterations still gets distinct keys', async () => {
    const same = { name: 'list_files', arguments: {}, id: 'call_0' };
    stub.enqueue({ tool_calls: [same] }, { tool_calls: [same] }, { content: 'done' });
    const { keys, output } = await drive(baseVars(), local());
    expect(output.meta.tool_calls).toBe(2);
    expect(keys).toHaveLength(5);
    expect(new Set(keys).size).toBe(5);
  });

  test('steps are deterministic: re-running a node after a crash re-issues the same effect', async () => {
    const wf = createAgentWorkflow();
    const run = makeRun(baseVars(), { current_node: 'init' });
    await wf.step(run, { nowIso });
    run.current_node = 'llm';
    const snapshot = structuredClone(run);
    const a = await wf.step(run, { nowIso });
    const b = await wf.step(structuredClone(snapshot), { nowIso });
    expect(a.effect!.type).toBe('llm_call');
    expect(keyOf(run, 'llm', a.effect!)).toBe(keyOf(snapshot, 'llm', b.effect!));
    expect(stub.requests).toHaveLength(0); // steps never call providers themselves
  });

  test('max_iterations stops the loop with success false', async () => {
    const call = { name: 'list_files', arguments: {} };
    stub.enqueue({ tool_calls: [call] }, { content: 'still working', tool_calls: [call] });
    const { output } = await drive(baseVars({ max_iterations: 2 }), local());
    expect(output.success).toBe(false);
    expect(output.response).toBe('still working');
    expect(output.meta.iterations).toBe(2);
    expect(stub.pending()).toBe(0);
  });

  test('ask_user becomes a durable user wait whose answer is the observation', async () => {
    stub.enqueue({ tool_calls: [{ name: 'ask_user', arguments: { question: 'Which file?', choices: ['a', 'b'] }, id: 'q1' }] }, { content: 'You chose b.' });
    const { output, waits } = await drive(baseVars({ tools: ['ask_user'] }), local(), () => ({ response: 'b' }));
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatchObject({ reason: 'user', prompt: 'Which file?', choices: ['a', 'b'] });
    expect(output.scratchpad.tool_results[0]).toMatchObject({ name: 'ask_user', success: true, output: 'b' });
    expect(output.response).toBe('You chose b.');
  });

  test('remember / recall_memory work inside the run; disallowed tools are refused', async () => {
    stub.enqueue(
      { tool_calls: [{ name: 'remember', arguments: { content: 'user likes tea' } }, { name: 'execute_command', arguments: { command: 'id' } }] },
      { tool_calls: [{ name: 'recall_memory', arguments: { query: 'tea' } }] },
      { content: 'Tea.' },
    );
    const { output } = await drive(baseVars({ tools: ['remember', 'recall_memory'] }), local());
    const results = output.scratchpad.tool_results;
    expect(results.map((r: any) => [r.name, r.success])).toEqual([['remember', true], ['execute_command', false], ['recall_memory', true]]);
    expect(results[1].error).toContain('not allowed');
    expect(results[2].output).toBe('- user likes tea');
    expect(output.scratchpad.memory).toHaveLength(1);
  });

  test('passthrough: tool calls wait for the host, whose results are fed back', async () => {
    stub.enqueue({ tool_calls: [{ name: 'read_file', arguments: { file_path: 'x' }, id: 'c9' }] }, { content: 'ok' });
    const { output, waits } = await drive(baseVars(), stubConfig(stub.url), (w) => ({
      mode: 'executed', results: [{ call_id: w.details!.tool_calls[0].call_id, name: 'read_file', success: true, output: 'from host' }],
    }));
    expect(waits[0]!.details!.tool_calls[0]).toMatchObject({ name: 'read_file', call_id: 'c9' });
    expect(output.scratchpad.tool_results[0].output).toBe('from host');
  });

  test('passthrough denial is reported to the model', async () => {
    stub.enqueue({ tool_calls: [{ name: 'read_file', arguments: { file_path: 'x' } }] }, { content: 'cannot' });
    const { output } = await drive(baseVars(), stubConfig(stub.url), () => ({ approved: false, reason: 'not today' }));
    expect(output.scratchpad.tool_results[0]).toMatchObject({ success: false, error: 'not today' });
    expect(stub.requests[1]!.body.messages.at(-1).content).toBe('Error: not today');
  });

  test('structured answer phase', async () => {
    const schema = { type: 'object', properties: { item: { type: 'string' } }, required: ['item'] };
    stub.enqueue({ content: 'The note mentions milk.' }, { content: '{"item":"milk"}' });
    const { output } = await drive(baseVars({ response_schema: schema }), local());
    expect(output.data).toEqual({ item: 'milk' });
    expect(output.response).toBe('{"item":"milk"}');
    expect(output.meta.output_mode).toBe('structured');
    const req = stub.requests[1]!.body;
    expect(req.response_format.json_schema.schema).toEqual(schema);
    expect(req.messages[0].content).toContain('Answer:\nThe note mentions milk.');
  });

  test('invalid vars complete with a configuration error', async () => {
    const { output } = await drive({ tools: 'x' }, local());
    expect(output.success).toBe(false);
    expect(output.response).toContain('Agent configuration error');
    expect(output.response).toContain('task');
  });
});
