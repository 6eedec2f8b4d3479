import { describe, expect, test } from 'bun:test';
import type { Workflow } from '../../../src/runtime/types.ts';
import type { EffectSpec, RunState, Vars } from '../../../src/model/index.ts';
import { AGENT_WORKFLOW_ID } from '../../../src/model/index.ts';
import { end, flow, flowHarness, getVar, lit, n, recursiveCountdown, runFlow, setVar, start } from './helpers.ts';

const ask = (id: string, prompt?: string) => n(id, 'ask_user', { in: ['exec-in', 'prompt', 'choices'], out: ['exec-out', 'response'], ...(prompt ? { pinDefaults: { prompt } } : {}) });

describe('ask_user / answer_user / waits', () => {
  test('ask_user waits with its prompt; the answer maps onto `response` downstream', async () => {
    const h = flowHarness([flow('ask', [start('s'), ask('q', 'Name?'), end('e', ['name'])], ['s.exec-out>q.exec-in', 'q.exec-out>e.exec-in', 'q.response>e.name'])]);
    const run = await h.start('ask');
    expect(run.status).toBe('waiting');
    expect(run.waiting).toMatchObject({ reason: 'user', prompt: 'Name?', wait_key: `user:${run.run_id}:q`, resume_to_node: 'e', result_key: '_temp.effects.q' });
    const done = await h.answer(run.run_id, { response: 'alice' });
    expect(done.output).toEqual({ name: 'alice', success: true });
    await h.close();
  });

  test('a terminal ask_user completes with {success, result: payload}; a null prompt fails the run', async () => {
    const h = flowHarness([
      flow('t', [start('s'), ask('q', 'who are you ?')], ['s.exec-out>q.exec-in']),
      flow('nullp', [start('s'), lit('z', null), ask('q')], ['s.exec-out>q.exec-in', 'z.value>q.prompt']),
    ]);
    const run = await h.start('t');
    expect(run.waiting!.resume_to_node).toBeNull();
    expect((await h.answer(run.run_id, { response: 'me' })).output).toEqual({ success: true, result: { response: 'me' } });
    const bad = await h.start('nullp');
    expect(bad.status).toBe('failed');
    expect(bad.error).toContain('ask_user requires payload.prompt');
    await h.close();
  });

  test('answer_user stringifies Python-style and normalises the level', async () => {
    const f = flow('ans', [start('s'), lit('m', true), n('a', 'answer_user', { in: ['exec-in', 'message', 'level'], out: ['exec-out', 'message'], pinDefaults: { level: 'warn' } })], ['s.exec-out>a.exec-in', 'm.value>a.message']);
    expect((await runFlow(f)).output).toEqual({ success: true, result: { message: 'True', level: 'warning' } });
  });

  test('wait_until waits until due (resumable early); wait_event waits on its literal key', async () => {
    const h = flowHarness([
      flow('delay', [start('s'), n('d', 'wait_until', { in: ['exec-in', 'duration'], out: ['exec-out'], pinDefaults: { duration: 5 }, effectConfig: { durationType: 'minutes' } }), end('e', ['until'])], ['s.exec-out>d.exec-in', 'd.exec-out>e.exec-in', 'd.until>e.until']),
      flow('evt', [start('s'), n('w', 'wait_event', { in: ['exec-in', 'event_key', 'prompt', 'choices'], out: ['exec-out', 'event_data'], pinDefaults: { event_key: 'abstract.ask', prompt: 'Pick', choices: ['Red', 'Blue'] } }), end('e', ['data'])], ['s.exec-out>w.exec-in', 'w.exec-out>e.exec-in', 'w.event_data>e.data']),
    ]);
    const d = await h.start('delay');
    expect(d.waiting).toMatchObject({ reason: 'until' });
    const minutes = (Date.parse(d.waiting!.until!.slice(0, 23) + 'Z') - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(4.9);
    expect(minutes).toBeLessThan(5.1);
    expect((await h.answer(d.run_id, { until: d.waiting!.until, ready: true })).output).toEqual({ until: d.waiting!.until, success: true });
    const w = await h.start('evt');
    expect(w.waiting).toMatchObject({ reason: 'event', wait_key: 'abstract.ask', prompt: 'Pick', choices: ['Red', 'Blue'] });
    expect((await h.answer(w.run_id, { response: 'Red' }, 'abstract.ask')).output).toEqual({ data: { response: 'Red' }, success: true });
    await h.close();
  });
});

describe('events and listeners', () => {
  const listenerFlow = () =>
    flow(
      'app',
      [
        start('s'),
        n('emit', 'emit_event', { in: ['exec-in', 'name', 'scope', 'payload'], out: ['exec-out', 'delivered'], pinDefaults: { name: 'ping' } }),
        lit('pl', [1, 2]),
        end('e', ['delivered']),
        n('on', 'on_event', { out: ['exec-out', 'payload', 'event'], eventConfig: { name: 'ping', scope: 'session' } }),
        setVar('got', 'got'),
      ],
      ['s.exec-out>emit.exec-in', 'pl.value>emit.payload', 'emit.exec-out>e.exec-in', 'emit.delivered>e.delivered', 'on.exec-out>got.exec-in', 'on.payload>got.value'],
    );

  test('on_event nodes become listener child runs that receive session events and re-arm', async () => {
    const h = flowHarness([listenerFlow()]);
    const root = await h.runtime.start('app', { sessionId: 'S1' });
    const wf = await h.flows.get('app');
    expect(wf!.listeners!()).toEqual(['visual_event_listener:app:on']);
    const [listener] = await h.store.runs.children(root.run_id);
    expect(listener!.workflow_id).toBe('visual_event_listener:app:on');
    // The listener parks first, then the root emits.
    await h.runtime.tick(listener!.run_id);
    expect((await h.run(listener!.run_id)).waiting!.wait_key).toBe('evt:session:S1:ping');
    await h.settle();
    expect((await h.run(root.run_id)).output).toEqual({ delivered: 1, success: true });
    const l = await h.run(listener!.run_id);
    expect(l.vars.got).toEqual({ value: [1, 2] }); // non-object payloads are wrapped
    expect(l.status).toBe('waiting'); // handled, then waiting again
    expect(l.waiting!.wait_key).toBe('evt:session:S1:ping');
    await h.close();
  });

  test('a blank on_event name listens to every event of the session and re-arms after each one', async () => {
    const listens = flow('wild', [start('s'), end('e'), n('on', 'on_event', { out: ['exec-out', 'event'], eventConfig: { name: '' } }), setVar('got', 'got')], ['s.exec-out>e.exec-in', 'on.exec-out>got.exec-in', 'on.event>got.value']);
    const emitter = flow('emitter', [start('s', ['name', 'payload']), n('em', 'emit_event', { in: ['exec-in', 'name', 'payload'], out: ['exec-out'] })], ['s.exec-out>em.exec-in']);
    const h = flowHarness([listens, emitter]);
    const root = await h.start('wild', {}, 'S2');
    const [listener] = await h.store.runs.children(root.run_id);
    expect((await h.run(listener!.run_id)).waiting!.wait_key).toBe('evt:session:S2:*');
    for (const [name, payload] of [['a', { n: 1 }], ['b', { n: 2 }]] as const) {
      await h.start('emitter', { name, payload }, 'S2');
      const l = await h.run(listener!.run_id);
      expect(l.vars.got).toMatchObject({ name, payload, scope: 'session', emitter: { workflow_id: 'emitter', node_id: 'em' } });
      expect(l.waiting!.wait_key).toBe('evt:session:S2:*');
    }
    await h.close();
  });

  test('emit_event with no listener still succeeds; event ids carry a per-node sequence', async () => {
    const f = flow('st', [start('s', ['state']), lit('scope', 'run'), lit('name', 'abstract.status'), n('em', 'emit_event', { in: ['exec-in', 'name', 'scope', 'payload'], out: ['exec-out'] })], ['s.exec-out>em.exec-in', 'scope.value>em.scope', 'name.value>em.name', 's.state>em.payload']);
    const h = flowHarness([f]);
    const run = await h.start('st', { state: 'Thinking...' });
    expect(run.output).toEqual({ success: true, result: { wait_key: `evt:run:${run.run_id}:abstract.status`, name: 'abstract.status', scope: 'run', delivered: 0, delivered_to: [], resumed: [] } });
    const rec = (await h.ledger(run.run_id)).find((r) => r.effect?.type === 'emit_event' && r.status === 'completed' && r.node_id === 'em')!;
    expect(rec.effect!.payload).toMatchObject({ payload: { value: 'Thinking...' }, event_id: `${run.run_id}:em:1`, max_steps: 0 });
    await h.close();
  });

  test('emit_event without a name fails the run with an actionable error', async () => {
    const run = await runFlow(flow('noname', [start('s'), n('em', 'emit_event', { in: ['exec-in', 'name'], out: ['exec-out'] })], ['s.exec-out>em.exec-in']));
    expect(run.status).toBe('failed');
    expect(run.error).toContain("emit_event node 'em' needs an event name");
  });
});

describe('subflows', () => {
  const child = flow('child', [start('s', ['x', 'y']), n('cc', 'concat', { in: ['a', 'b'], out: ['result'] }), end('e', ['joined', 'x'])], ['s.exec-out>e.exec-in', 's.x>cc.a', 's.y>cc.b', 'cc.result>e.joined']);

  test('declared pins become child vars; child outputs map onto the subflow pins', async () => {
    const parent = flow(
      'parent',
      [start('s', ['x']), n('sub', 'subflow', { in: ['exec-in', 'x', 'y'], out: ['exec-out', 'output', 'joined'], subflowId: 'child', pinDefaults: { y: 'Y' } }), end('e', ['joined', 'whole'])],
      ['s.exec-out>sub.exec-in', 'sub.exec-out>e.exec-in', 'sub.joined>e.joined', 'sub.output>e.whole'],
    );
    const h = flowHarness([parent, child]);
    const run = await h.start('parent', { x: 'X' });
    expect(run.output).toEqual({ joined: 'X Y', whole: { joined: 'X Y', x: 'X', success: true }, success: true });
    const [kid] = await h.store.runs.children(run.run_id);
    expect(kid!.session_id).toBe(run.session_id);
    await h.close();
  });

  test('recursion: a flow calling itself until number reaches 0', async () => {
    const rec = recursiveCountdown();
    const h = flowHarness([rec]);
    const zero = await h.start('rec', { number: 0 });
    expect(zero.output).toEqual({ response: 'Final number :  0', success: true });
    const three = await h.start('rec', { number: 3 });
    expect(three.status).toBe('completed');
    // Each level returns the child's end output object on `output`.
    expect(JSON.stringify(three.output)).toContain('Final number :  0');
    expect(await h.runtime.tree(three.run_id)).toHaveLength(4);
    await h.close();
  });

  test('inherit_context merges the parent conversation into the child (system first, de-duplicated by message_id)', async () => {
    const ctxChild = flow('ctxchild', [start('s'), n('gc', 'get_context', { out: ['messages'] }), end('e', ['messages'])], ['s.exec-out>e.exec-in', 'gc.messages>e.messages']);
    const m = (role: string, content: string, id: string) => ({ role, content, metadata: { message_id: id } });
    const childCtx = { messages: [m('system', 'child-sys', 'c0'), m('user', 'child-user', 'p1')] };
    const parent = flow(
      'ctxparent',
      [start('s'), lit('cv', { context: childCtx }), n('sub', 'subflow', { in: ['exec-in', 'vars', 'inherit_context'], out: ['exec-out', 'messages'], subflowId: 'ctxchild', pinDefaults: { inherit_context: true } }), end('e', ['messages'])],
      ['s.exec-out>sub.exec-in', 'cv.value>sub.vars', 'sub.exec-out>e.exec-in', 'sub.messages>e.messages'],
    );
    const h = flowHarness([parent, ctxChild]);
    const run = await h.start('ctxparent', { context: { messages: [m('system', 'parent-sys', 'p0'), m('user', 'parent-user', 'p1')], attachments: [{ id: 'a' }] } });
    expect(run.output!.messages.map((x: Vars) => x.content)).toEqual(['child-sys', 'parent-sys', 'parent-user']);
    const [kid] = await h.store.runs.children(run.run_id);
    expect(kid!.vars.context.attachments).toEqual([{ id: 'a' }]);
    await h.close();
  });

  test('a subflow node without a target is a compile error', async () => {
    const h = flowHarness([flow('bad', [start('s'), n('sub', 'subflow', { in: ['exec-in'], out: ['exec-out'] })], ['s.exec-out>sub.exec-in'])]);
    await expect(h.flows.get('bad')).rejects.toThrow("node 'sub' (subflow): no subflow selected");
    await h.close();
  });
});

/** Records the payloads of an effect type and answers with `reply`. */
function capture(h: ReturnType<typeof flowHarness>, type: string, reply: (e: EffectSpec) => Vars) {
  const seen: EffectSpec[] = [];
  h.runtime.registerEffect(type, (ctx) => {
    seen.push(ctx.effect);
    return { status: 'completed', result: reply(ctx.effect) };
  });
  return seen;
}

describe('LLM, agent and tool nodes (payload contract with src/llm)', () => {
  test('llm_call with no input wiring takes the prompt from the ambient start output; structured data maps to response/data', async () => {
    const f = flow('llm', [start('s', ['prompt', 'request']), n('llm', 'llm_call', { in: ['exec-in'], out: ['exec-out', 'response', 'data', 'meta'], effectConfig: { provider: 'LMStudio', model: 'm1', temperature: 0.2, seed: 7 } }), end('e', ['response', 'data', 'meta'])], ['s.exec-out>llm.exec-in', 'llm.exec-out>e.exec-in', 'llm.response>e.response', 'llm.data>e.data', 'llm.meta>e.meta']);
    const h = flowHarness([f]);
    const seen = capture(h, 'llm_call', () => ({ content: '{"a": 1}', data: { a: 1 }, model: 'm1', finish_reason: 'stop' }));
    const run = await h.start('llm', { prompt: 'hello', request: 'ignored' });
    expect(seen[0]!.payload).toEqual({ prompt: 'hello', system_prompt: '', params: { temperature: 0.2, seed: 7 }, provider: 'lmstudio', model: 'm1', resume_to_node: 'e' });
    expect(run.output).toEqual({
      response: '{"a":1}',
      data: { a: 1 },
      meta: { schema: 'abstractflow.llm_call.v1.meta', version: 1, output_mode: 'structured', tool_calls: 0, model: 'm1', finish_reason: 'stop' },
      success: true,
    });
    await h.close();
  });

  test('llm_call builds messages from a context pin and forwards schema, tools and context flags', async () => {
    const ctx = { messages: [{ role: 'system', content: 'S0' }, { role: 'user', content: 'earlier' }], attachments: [{ $artifact: 'a1' }] };
    const f = flow('llm2', [start('s'), lit('ctx', ctx), lit('schema', { type: 'json_schema', json_schema: { schema: { type: 'object' } } }), n('llm', 'llm_call', { in: ['exec-in', 'prompt', 'system', 'context', 'tools', 'resp_schema', 'use_context', 'max_out_tokens'], out: ['exec-out', 'response'], pinDefaults: { prompt: 'now', system: 'SYS', tools: ['read_file', { name: 'x', description: 'd', parameters: {}, extra: 1 }], use_context: 'yes', max_out_tokens: 50 } })], ['s.exec-out>llm.exec-in', 'ctx.value>llm.context', 'schema.value>llm.resp_schema']);
    const h = flowHarness([f]);
    const seen = capture(h, 'llm_call', () => ({ content: 'ok' }));
    const run = await h.start('llm2');
    expect(seen[0]!.payload).toEqual({
      params: { temperature: 0.7, max_output_tokens: 50 },
      tools: ['read_file', { name: 'x', description: 'd', parameters: {} }],
      include_context: true,
      response_schema: { type: 'object' },
      response_schema_name: 'LLM_StructuredOutput',
      media: [{ $artifact: 'a1' }],
      messages: [{ role: 'system', content: 'S0' }, { role: 'system', content: 'SYS' }, { role: 'user', content: 'earlier' }, { role: 'user', content: 'now' }],
      resume_to_node: null,
    });
    expect(run.output).toMatchObject({ success: true, result: { content: 'ok' } });
    await h.close();
  });

  test('agent runs the agent workflow as a child run and maps its output; context gets the turn', async () => {
    const agentWf: Workflow = {
      workflow_id: AGENT_WORKFLOW_ID,
      entry_node: 'run',
      step: (run: RunState) => ({ node_id: 'run', complete_output: { response: `did: ${run.vars.task}`, success: true, meta: { tools: run.vars.tools, max: run.vars.max_iterations }, scratchpad: { n: run.vars.context.messages.length } } }),
    };
    const f = flow('ag', [start('s', ['prompt']), n('ag', 'agent', { in: ['exec-in', 'prompt', 'use_context'], out: ['exec-out', 'response', 'success', 'meta', 'scratchpad'], pinDefaults: { use_context: true }, agentConfig: { provider: 'openai', model: 'gpt', tools: ['read_file'], max_iterations: 5 } }), end('e', ['response', 'meta', 'scratchpad'])], ['s.exec-out>ag.exec-in', 'ag.exec-out>e.exec-in']);
    const h = flowHarness([f], [agentWf]);
    const run = await h.start('ag', { prompt: 'fix it', context: { messages: [{ role: 'user', content: 'hi' }] } });
    expect(run.output).toEqual({ response: 'did: fix it', meta: { tools: ['read_file'], max: 5 }, scratchpad: { n: 1 }, success: true });
    expect(run.vars.context.messages.map((m: Vars) => [m.role, m.content])).toEqual([['user', 'hi'], ['user', 'fix it'], ['assistant', 'did: fix it']]);
    await h.close();
  });

  test('agent without any provider/model completes the node with a configuration error and continues', async () => {
    const f = flow('ag0', [start('s'), n('ag', 'agent', { in: ['exec-in'], out: ['exec-out', 'response', 'success'] }), end('e', ['response', 'success'])], ['s.exec-out>ag.exec-in', 'ag.exec-out>e.exec-in']);
    expect((await runFlow(f)).output).toEqual({ response: 'Agent configuration error: missing provider/model', success: false });
  });

  test('tool_calls forwards calls and the allowlist; success reflects every result', async () => {
    const f = flow('tc', [start('s'), lit('calls', '[{"name":"read_file","arguments":{"p":"a"}}]'), n('tc', 'tool_calls', { in: ['exec-in', 'tool_calls', 'allowed_tools'], out: ['exec-out', 'results', 'success'], pinDefaults: { allowed_tools: [] } }), end('e', ['results', 'success'])], ['s.exec-out>tc.exec-in', 'calls.value>tc.tool_calls', 'tc.exec-out>e.exec-in', 'tc.results>e.results', 'tc.success>e.success']);
    const h = flowHarness([f]);
    const seen = capture(h, 'tool_calls', () => ({ mode: 'executed', results: [{ call_id: 'c', name: 'read_file', success: false, output: null, error: 'not allowed' }] }));
    const run = await h.start('tc');
    expect(seen[0]!.payload).toMatchObject({ tool_calls: [{ name: 'read_file', arguments: { p: 'a' } }], allowed_tools: [] });
    expect(run.output).toMatchObject({ success: false, results: [{ error: 'not allowed' }] });
    await h.close();
  });

  test('call_tool runs one call and exposes its output (or error) as `result`', async () => {
    const f = flow('ct', [start('s'), lit('call', { name: 'sum', arguments: { a: 1 } }), n('ct', 'call_tool', { in: ['exec-in', 'tool_call'], out: ['exec-out', 'result', 'success'] }), end('e', ['result', 'success'])], ['s.exec-out>ct.exec-in', 'call.value>ct.tool_call', 'ct.exec-out>e.exec-in', 'ct.result>e.result', 'ct.success>e.success']);
    const h = flowHarness([f]);
    const replies = [
      { mode: 'executed', results: [{ call_id: 'c', name: 'sum', success: true, output: { ok: true, x: 7 }, error: null }] },
      { mode: 'executed', results: [{ call_id: 'c', name: 'sum', success: false, output: null, error: 'boom' }] },
      { mode: 'passthrough', results: [] },
    ];
    const seen = capture(h, 'tool_calls', () => replies[seen.length - 1]!);
    expect((await h.start('ct')).output).toEqual({ result: { ok: true, x: 7 }, success: true });
    expect(seen[0]!.payload.tool_calls).toEqual([{ name: 'sum', arguments: { a: 1 } }]);
    expect((await h.start('ct')).output).toEqual({ result: 'boom', success: false });
    expect((await h.start('ct')).output).toEqual({ result: 'Tool execution not completed (mode=passthrough)', success: false });
    await h.close();
  });
});

