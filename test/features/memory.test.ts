import { afterEach, expect, test } from 'bun:test';
import { graphWorkflow, StaticWorkflows } from '../../src/runtime/graph.ts';
import { installMemory, memoryWorkflows } from '../../src/features/memory.ts';
import { Runner } from '../../src/runtime/runner.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { createLlmEffects } from '../../src/llm/index.ts';
import { SqliteStore } from '../../src/store/index.ts';
import { startStubLlm, type StubLlm } from '../support/stub-llm.ts';
import { stubConfig } from '../llm/helpers.ts';

let store: SqliteStore;
let runner: Runner | null = null;
let stub: StubLlm;
afterEach(async () => { await runner?.stop(); await store?.close(); stub?.stop(); });

const chat = graphWorkflow('chat', 'w', {
  w: () => ({ effect: { type: 'wait_event', payload: { name: 'never' }, result_key: null }, next_node: 'w' }),
});

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await cond())) { if (Date.now() > end) throw new Error('timeout'); await Bun.sleep(5); }
}

test('compact_memory summarises older messages with the LLM, once per command id', async () => {
  stub = startStubLlm();
  stub.enqueue({ content: '{"summary":"They greeted and planned a trip.","key_points":["trip"],"confidence":0.9}' });
  store = SqliteStore.open(':memory:');
  const rt = new Runtime(store, new StaticWorkflows([chat, ...memoryWorkflows()]), { provider: 'openai', model: 'stub-model' });
  for (const [t, h] of Object.entries(createLlmEffects(stubConfig(stub.url)))) rt.registerEffect(t, h);
  installMemory(rt);
  const messages = [{ role: 'system', content: 'be nice' }, ...Array.from({ length: 10 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `m${i}` }))];
  const run = await rt.start('chat', { vars: { context: { messages } } });
  runner = new Runner(store, rt, { pollMs: 10, commandBatchLimit: 10, tickMaxSteps: 10, runScanLimit: 10 });
  await runner.start();
  await until(async () => (await store.runs.get(run.run_id))!.status === 'waiting');
  await store.commands.append({ command_id: 'cm1', run_id: run.run_id, type: 'compact_memory', payload: { preserve_recent: 4, compression_mode: 'light', focus: 'travel' } });
  await until(async () => (await store.ledger.findCompleted(run.run_id, 'command:compact_memory:cm1')) !== null);
  const after = (await store.runs.get(run.run_id))!;
  const msgs = after.vars.context.messages;
  expect(msgs.length).toBe(1 + 1 + 4);
  expect(msgs[0].content).toBe('be nice');
  expect(msgs[1].content).toMatch(/^\[CONVERSATION HISTORY SUMMARY span_id=[0-9a-f]{32}\]: They greeted and planned a trip\.$/);
  expect(msgs.slice(2).map((m: any) => m.content)).toEqual(['m6', 'm7', 'm8', 'm9']);
  const rec = (await store.ledger.findCompleted(run.run_id, 'command:compact_memory:cm1'))!;
  expect(rec.effect!.type).toBe('memory_compact');
  expect(rec.result!.results[0].meta).toMatchObject({ preserve_recent: 4, compression_mode: 'light', focus: 'travel', key_points: ['trip'] });
  const spanId = rec.result!.results[0].meta.span_id;
  expect(JSON.parse(await (await store.artifacts.content(spanId))!.text()).messages.length).toBe(6);
  expect(stub.requests.length).toBe(1);
  expect(JSON.stringify(stub.requests[0]!.body)).toContain('Focus on: travel');
  // Re-applying the same command id does not compact again. The runner applies pending commands (the cursor never
  // moves back), so the command is put back to pending as if its outcome had never been recorded.
  store.db.query("UPDATE commands SET outcome = 'pending', reason = NULL, applied_at = NULL WHERE command_id = 'cm1'").run();
  expect((await store.commands.get('cm1'))!.status).toBe('pending');
  runner.wake();
  await until(async () => (await store.commands.get('cm1'))!.status === 'applied' && (await store.runs.list({ limit: 10, workflowId: '__compact_memory__' })).items.every((r) => r.status === 'completed'));
  await runner.idle();
  expect(stub.requests.length).toBe(1);
  expect((await store.runs.get(run.run_id))!.vars.context.messages.length).toBe(6);
});

test('compact_memory with nothing to compact and unknown runs', async () => {
  store = SqliteStore.open(':memory:');
  const rt = new Runtime(store, new StaticWorkflows([chat, ...memoryWorkflows()]));
  installMemory(rt);
  runner = new Runner(store, rt, { pollMs: 10, commandBatchLimit: 10, tickMaxSteps: 10, runScanLimit: 10 });
  await runner.start();
  const run = await rt.start('chat', { vars: { context: { messages: [{ role: 'user', content: 'hi' }] } } });
  await store.commands.append({ command_id: 'a', run_id: 'ghost', type: 'compact_memory' });
  await store.commands.append({ command_id: 'b', run_id: run.run_id, type: 'compact_memory', payload: { compression_mode: 'extreme' } });
  await until(async () => (await store.commands.get('b'))!.status !== 'pending');
  expect(await store.commands.get('a')).toMatchObject({ status: 'rejected', reason: "Run 'ghost' not found" });
  expect((await store.commands.get('b'))!.reason).toMatch(/compression_mode must be one of light, standard, heavy/);
});

test('a target that moves on during the LLM call is not overwritten by the compaction (it fails, retryable)', async () => {
  stub = startStubLlm();
  stub.enqueue({ content: '{"summary":"s"}', delayMs: 300 });
  store = SqliteStore.open(':memory:');
  const rt = new Runtime(store, new StaticWorkflows([chat, ...memoryWorkflows()]), { provider: 'openai', model: 'stub-model' });
  for (const [t, h] of Object.entries(createLlmEffects(stubConfig(stub.url)))) rt.registerEffect(t, h);
  installMemory(rt);
  const messages = Array.from({ length: 10 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `m${i}` }));
  const run = await rt.start('chat', { vars: { context: { messages } } });
  runner = new Runner(store, rt, { pollMs: 10, commandBatchLimit: 10, tickMaxSteps: 10, runScanLimit: 10 });
  await runner.start();
  await until(async () => (await store.runs.get(run.run_id))!.status === 'waiting');
  await store.commands.append({ command_id: 'cm2', run_id: run.run_id, type: 'compact_memory', payload: { preserve_recent: 2 } });
  await until(async () => stub.requests.length === 1);
  // While the model answers, the target is resumed (its vars change and it waits again).
  await rt.resume(run.run_id, { note: 'moved on' });
  const moved = (await store.runs.get(run.run_id))!;
  const [maint] = (await store.runs.list({ limit: 10, workflowId: '__compact_memory__' })).items;
  await until(async () => ['completed', 'failed'].includes((await store.runs.get(maint!.run_id))!.status));
  const m = (await store.runs.get(maint!.run_id))!;
  expect(m.status).toBe('failed');
  expect(m.error).toContain('changed during compaction; retry compact_memory');
  const after = (await store.runs.get(run.run_id))!;
  expect(after.vars.context.messages).toHaveLength(10);
  expect(after.updated_at >= moved.updated_at).toBe(true);
  expect(await store.ledger.findCompleted(run.run_id, 'command:compact_memory:cm2')).toBeNull();
});
