// Real LLM bundles through the real Runtime, the real llm_call effect and agent workflow (src/llm), against a
// loopback stub speaking the OpenAI wire format.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { PyFloat } from '../../../src/flow/values.ts';
import { createAgentWorkflow, createLlmEffects } from '../../../src/llm/index.ts';
import { installMemory, memoryWorkflows } from '../../../src/features/memory.ts';
import { stubConfig } from '../../llm/helpers.ts';
import { startStubLlm, type StubLlm } from '../../support/stub-llm.ts';
import { end, flow, flowHarness, n, start } from '../engine/helpers.ts';
import { describeShared, SHARED_BUNDLES, SHARED_FLOWS } from '../../support/shared.ts';

describeShared('conformance: LLM bundles', () => {
  let stub: StubLlm;
  beforeAll(() => {
    stub = startStubLlm();
  });
  afterAll(() => stub.stop());

  function bundleFlow(file: string, flowId: string) {
    const zip = unzipSync(readFileSync(join(SHARED_BUNDLES, file)));
    return JSON.parse(strFromU8(zip[`flows/${flowId}.json`]!));
  }

  function harness(...docs: Record<string, unknown>[]) {
    const h = flowHarness(docs, [createAgentWorkflow()]);
    for (const [type, handler] of Object.entries(createLlmEffects(stubConfig(stub.url)))) h.runtime.registerEffect(type, handler);
    return h;
  }

  test('basic-llm-test@0.0.0: start pins wired into one llm_call; the end exposes response/success/meta', async () => {
    const h = harness(bundleFlow('basic-llm-test@0.0.0.flow', 'ec5a574d'));
    stub.enqueue({ content: 'Hello back' });
    const run = await h.start('ec5a574d', { prompt: 'Hello', provider: 'lmstudio', model: 'stub-model' });
    expect(run.status).toBe('completed');
    expect(run.output).toMatchObject({ response: 'Hello back', success: true, scratchpad: null, meta: { schema: 'abstractflow.llm_call.v1.meta', output_mode: 'unstructured', tool_calls: 0 } });
    const body = stub.requests.at(-1)!.body;
    expect(body.model).toBe('stub-model');
    expect(body.messages.at(-1)).toEqual({ role: 'user', content: 'Hello' });
    await h.close();
  });

  test('basic@dev: the agent node runs the ReAct agent workflow as a child run and returns its answer', async () => {
    const h = harness(bundleFlow('basic@dev.flow', '06af7170'));
    stub.enqueue({ content: 'All done.' });
    const run = await h.start('06af7170', { prompt: 'Say done' });
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ response: 'All done.', success: true });
    const [child] = await h.store.runs.children(run.run_id);
    expect(child!.workflow_id).toBe('abstractgateway.agent.react');
    expect(child!.vars).toMatchObject({ task: 'Say done', provider: 'openai', model: 'gpt-5-mini', max_iterations: 50 });
    // use_context: the turn joins the parent's conversation.
    expect(run.vars.context.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([['user', 'Say done'], ['assistant', 'All done.']]);
    await h.close();
  });

  test('ralph@dev: one cycle — sequence with answer_user branches, coder + reviewer agents, structured review, final LLM', async () => {
    const h = harness(bundleFlow('ralph@dev.flow', 'ee1a6daa'));
    stub.enqueue(
      { content: 'I wrote the code.' }, // coder agent
      { content: 'Looks good.' }, // reviewer agent
      { content: '{"continue": false, "tasks": [], "code_quality": 8, "intent_fullfilled": 9}' }, // reviewer structured output
      { content: 'Final: shipped.' }, // final answer llm_call
    );
    const run = await h.start('ee1a6daa', { user_request: 'build a thing', max_cycles: 1, current_cycle: 1 });
    expect(run.error).toBeNull();
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ output: 'Final: shipped.', success: true });
    const answers = (await h.ledger(run.run_id)).filter((r) => r.effect?.type === 'answer_user' && r.status === 'completed').map((r) => r.result!.message);
    expect(answers).toEqual(['TASKS SET :  build a thing', 'build a thing']);
    await h.close();
  });

  test('basic-agent@0.0.1: status subflows around the agent (RunnableFlow abstractcode.agent.v1)', async () => {
    const h = harness(...['81795ea9', '15f19f7f'].map((id) => bundleFlow('basic-agent@0.0.1.flow', id)));
    stub.enqueue({ content: 'Answer.' });
    const run = await h.start('81795ea9', { prompt: 'Question?', provider: 'lmstudio', model: 'stub-model' });
    expect(run.status).toBe('completed');
    expect(run.output).toMatchObject({ response: 'Answer.', success: true, meta: { schema: 'abstractcode.agent.v1.meta' } });
    const kids = (await h.store.runs.children(run.run_id)).map((c) => [c.workflow_id, c.vars.state ?? c.vars.task]);
    expect(kids).toEqual(expect.arrayContaining([['15f19f7f', 'Thinking...'], ['15f19f7f', 'Done'], ['abstractgateway.agent.react', 'Question?']]));
    await h.close();
  });

  test('memory_compact node: the runtime compacts the run context and the node exposes the span id', async () => {
    const doc = flow('compact', [start('s'), n('mc', 'memory_compact', { in: ['exec-in', 'preserve_recent'], out: ['exec-out', 'span_id'], pinDefaults: { preserve_recent: 2 } }), end('e', ['span_id'])], ['s.exec-out>mc.exec-in', 'mc.exec-out>e.exec-in', 'mc.span_id>e.span_id']);
    const h = flowHarness([doc], memoryWorkflows());
    for (const [type, handler] of Object.entries(createLlmEffects(stubConfig(stub.url)))) h.runtime.registerEffect(type, handler);
    installMemory(h.runtime);
    stub.enqueue({ content: '{"summary": "they talked", "key_points": ["a"]}' });
    const messages = Array.from({ length: 6 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `m${i}` }));
    const run = await h.start('compact', { context: { messages }, _runtime: { provider: 'lmstudio', model: 'stub-model' } });
    expect(run.status).toBe('completed');
    expect(run.output!.span_id).toEqual(expect.any(String));
    expect(run.vars.context.messages).toHaveLength(3); // summary + 2 preserved
    await h.close();
  });

  test('a8f5b5f8 basic-followup: agent, then an ask_user While loop with fan-in back into the agent and the While', async () => {
    const doc = JSON.parse(readFileSync(join(SHARED_FLOWS, 'a8f5b5f8.json'), 'utf8'));
    const h = harness(doc);
    stub.enqueue({ content: 'First answer.' }, { content: 'Second answer.' });
    let run = await h.start('a8f5b5f8', { prompt: 'Write hello.py', provider: 'lmstudio', model: 'stub-model' });
    expect(run.waiting).toMatchObject({ reason: 'user', prompt: 'What should I do next? (Type stop/end/ok/good to finish)' });
    run = await h.answer(run.run_id, { response: '  Add tests please ' });
    expect(run.waiting).toMatchObject({ reason: 'user' });
    expect(run.vars.prompt).toBe('Add tests please');
    run = await h.answer(run.run_id, { response: 'OK thanks' });
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ response: 'Second answer.', success: true });
    await h.close();
  });

  test('ralph@dev: a reviewer asking for more work recurses into the flow itself with inherited context', async () => {
    const h = harness(bundleFlow('ralph@dev.flow', 'ee1a6daa'));
    stub.enqueue(
      { content: 'Coded v1.' },
      { content: 'Needs tests.' },
      { content: '{"continue": true, "tasks": ["add tests"], "code_quality": 5, "intent_fullfilled": 5}' },
      { content: 'Coded v2.' },
      { content: 'Good now.' },
      { content: '{"continue": false, "tasks": [], "code_quality": 9, "intent_fullfilled": 9}' },
      { content: 'Final: v2 shipped.' },
    );
    const run = await h.start('ee1a6daa', { user_request: 'build it', max_cycles: 3, current_cycle: 1 });
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ output: { output: 'Final: v2 shipped.', success: true }, success: true });
    const child = (await h.store.runs.children(run.run_id)).find((c) => c.workflow_id === 'ee1a6daa')!;
    // As authored, the `add` feeding current_cycle has no `a` edge (a defaults to 0), so every child runs as
    // cycle 1.0 and resets `tasks` to [user_request]: the reference runtime does the same.
    expect(child.vars).toMatchObject({ current_cycle: new PyFloat(1), tasks: ['build it'], user_request: 'build it' });
    expect(child.vars._temp.effects['node-25']).toBeUndefined();
    // The child started from the parent's conversation (inherit_context).
    expect(child.vars.context.messages.some((m: { content: string }) => m.content === 'Coded v1.')).toBe(true);
    await h.close();
  });
});
