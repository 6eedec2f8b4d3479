import { afterEach, expect, test } from 'bun:test';
import { graphWorkflow, StaticWorkflows } from '../../src/runtime/graph.ts';
import { installMemory, memoryWorkflows } from '../../src/features/memory.ts';
import { Runner } from '../../src/runtime/runner.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { createLlmEffects } from '../../src/llm/index.ts';
import { Store } from '../../src/store/index.ts';
import { startStubLlm, type StubLlm } from '../support/stub-llm.ts';
import { stubConfig } from '../llm/helpers.ts';

let store: Store;
let runner: Runner | null = null;
let stub: StubLlm;
afterEach(async () => { await runner?.stop(); store?.close(); stub?.stop(); });

const chat = graphWorkflow('chat', 'w', {
  w: () => ({ effect: { type: 'wait_event', payload: { name: 'never' }, result_key: null }, next_node: 'w' }),
});

async function until(cond: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('timeout'); await Bun.sleep(5); }
}

test('compact_memory summarises older messages with the LLM, once per command id', async () => {
  stub = startStubLlm();
  stub.enqueue({ content: '{"summary":"They greeted and planned a trip.","key_points":["trip"],"confidence":0.9}' });
  store = Store.open(':memory:');
  const rt = new Runtime(store, new StaticWorkflows([chat, ...memoryWorkflows()]), { provider: 'openai', model: 'stub-model' });
  for (const [t, h] of Object.entries(createLlmEffects(stubConfig(stub.url)))) rt.registerEffect(t, h);
  installMemory(rt);
  const messages = [{ role: 'system', content: 'be nice' }, ...Array.from({ length: 10 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `m${i}` }))];
  const run = await rt.start('chat', { vars: { context: { messages } } });
  runner = new Runner(store, rt, { pollMs: 10, commandBatchLimit: 10, tickMaxSteps: 10, runScanLimit: 10 });
  runner.start();
  await until(() => store.runs.get(run.run_id)!.status === 'waiting');
  store.commands.append({ command_id: 'cm1', run_id: run.run_id, type: 'compact_memory', payload: { preserve_recent: 4, compression_mode: 'light', focus: 'travel' } });
  await until(() => store.ledger.findCompleted(run.run_id, 'command:compact_memory:cm1') !== null);
  const after = store.runs.get(run.run_id)!;
  const msgs = after.vars.context.messages;
  expect(msgs.length).toBe(1 + 1 + 4);
  expect(msgs[0].content).toBe('be nice');
  expect(msgs[1].content).toMatch(/^\[CONVERSATION HISTORY SUMMARY span_id=[0-9a-f]{32}\]: They greeted and planned a trip\.$/);
  expect(msgs.slice(2).map((m: any) => m.content)).toEqual(['m6', 'm7', 'm8', 'm9']);
  const rec = store.ledger.findCompleted(run.run_id, 'command:compact_memory:cm1')!;
  expect(rec.effect!.type).toBe('memory_compact');
  expect(rec.result!.results[0].meta).toMatchObject({ preserve_recent: 4, compression_mode: 'light', focus: 'travel', key_points: ['trip'] });
  const spanId = rec.result!.results[0].meta.span_id;
  expect(JSON.parse(await store.artifacts.content(spanId)!.text()).messages.length).toBe(6);
  expect(stub.requests.length).toBe(1);
  expect(JSON.stringify(stub.requests[0]!.body)).toContain('Focus on: travel');
  // Re-applying the same command id (e.g. after a crash before the cursor moved) does not compact again.
  store.commands.saveCursor(0);
  runner.wake();
  await until(() => store.commands.get('cm1')!.status === 'applied' && store.runs.list({ limit: 10, workflowId: '__compact_memory__' }).items.every((r) => r.status === 'completed'));
  await runner.idle();
  expect(stub.requests.length).toBe(1);
  expect(store.runs.get(run.run_id)!.vars.context.messages.length).toBe(6);
});

test('compact_memory with nothing to compact and unknown runs', async () => {
  store = Store.open(':memory:');
  const rt = new Runtime(store, new StaticWorkflows([chat, ...memoryWorkflows()]));
  installMemory(rt);
  runner = new Runner(store, rt, { pollMs: 10, commandBatchLimit: 10, tickMaxSteps: 10, runScanLimit: 10 });
  runner.start();
  const run = await rt.start('chat', { vars: { context: { messages: [{ role: 'user', content: 'hi' }] } } });
  store.commands.append({ command_id: 'a', run_id: 'ghost', type: 'compact_memory' });
  store.commands.append({ command_id: 'b', run_id: run.run_id, type: 'compact_memory', payload: { compression_mode: 'extreme' } });
  await until(() => store.commands.get('b')!.status !== 'pending');
  expect(store.commands.get('a')).toMatchObject({ status: 'rejected', reason: "Run 'ghost' not found" });
  expect(store.commands.get('b')!.reason).toMatch(/compression_mode must be one of light, standard, heavy/);
});

test('a target that moves on during the LLM call is not overwritten by the compaction (it fails, retryable)', async () => {
  stub = startStubLlm();
  stub.enqueue({ content: '{"summary":"s"}', delayMs: 300 });
  store = Store.open(':memory:');
  const rt = new Runtime(store, new StaticWorkflows([chat, ...memoryWorkflows()]), { provider: 'openai', model: 'stub-model' });
  for (const [t, h] of Object.entries(createLlmEffects(stubConfig(stub.url)))) rt.registerEffect(t, h);
  installMemory(rt);
  const messages = Array.from({ length: 10 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `m${i}` }));
  const run = await rt.start('chat', { vars: { context: { messages } } });
  runner = new Runner(store, rt, { pollMs: 10, commandBatchLimit: 10, tickMaxSteps: 10, runScanLimit: 10 });
  runner.start();
  await until(() => store.runs.get(run.run_id)!.status === 'waiting');
  store.commands.append({ command_id: 'cm2', run_id: run.run_id, type: 'compact_memory', payload: { preserve_recent: 2 } });
  await until(() => stub.requests.length === 1);
  // While the model answers, the target is resumed (its vars change and it waits again).
  rt.resume(run.run_id, { note: 'moved on' });
  const moved = store.runs.get(run.run_id)!;
  const [maint] = store.runs.list({ limit: 10, workflowId: '__compact_memory__' }).items;
  await until(() => ['completed', 'failed'].includes(store.runs.get(maint!.run_id)!.status));
  const m = store.runs.get(maint!.run_id)!;
  expect(m.status).toBe('failed');
  expect(m.error).toContain('changed during compaction; retry compact_memory');
  const after = store.runs.get(run.run_id)!;
  expect(after.vars.context.messages).toHaveLength(10);
  expect(after.updated_at >= moved.updated_at).toBe(true);
  expect(store.ledger.findCompleted(run.run_id, 'command:compact_memory:cm2')).toBeNull();
});
