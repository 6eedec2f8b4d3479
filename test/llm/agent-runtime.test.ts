// The agent workflow and LLM effects on the real Runtime and store (end to end, stub LLM over HTTP).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_WORKFLOW_ID, createAgentWorkflow, createLlmEffects } from '../../src/llm/index.ts';
import type { LlmConfig } from '../../src/llm/config.ts';
import { createHarness, tempDir, type Harness } from '../support/harness.ts';
import { startStubLlm } from '../support/stub-llm.ts';
import { stubConfig } from './helpers.ts';

const stub = startStubLlm();
const ws = tempDir('ag-agent-rt-');
let h: Harness;

beforeAll(() => writeFileSync(join(ws.path, 'data.txt'), '42'));
afterAll(() => { stub.stop(); ws.cleanup(); });
beforeEach(() => { stub.requests.length = 0; });
afterEach(() => h?.close());

function setup(config: LlmConfig, path?: string): Harness {
  const harness = createHarness({ workflows: [createAgentWorkflow()], path });
  for (const [type, handler] of Object.entries(createLlmEffects(config))) harness.runtime.registerEffect(type, handler);
  return harness;
}

const vars = { task: 'What number is in data.txt?', provider: 'openai', model: 'm', tools: ['read_file'], max_iterations: 4, workspace_root: ws.path };
const readCall = { name: 'read_file', arguments: { file_path: 'data.txt' }, id: 'c1' };

describe('agent on the runtime', () => {
  test('local tools: each LLM call and tool batch is its own ledger step', async () => {
    h = setup(stubConfig(stub.url, { toolMode: 'local', stream: true }));
    stub.enqueue({ tool_calls: [readCall] }, { content: 'The number is 42.' });
    const { run_id } = await h.runtime.start(AGENT_WORKFLOW_ID, { vars });
    const run = await h.runToEnd(run_id);
    expect(run.status).toBe('completed');
    expect(run.output).toMatchObject({ response: 'The number is 42.', success: true, meta: { tool_calls: 1, iterations: 2 } });
    const completed = (await h.ledger(run_id)).filter((r) => r.status === 'completed' && r.effect).map((r) => r.effect!.type);
    expect(completed.filter((t) => t === 'llm_call')).toHaveLength(2);
    expect(completed.filter((t) => t === 'tool_calls')).toHaveLength(1);
    const toolRec = (await h.ledger(run_id)).find((r) => r.status === 'completed' && r.effect?.type === 'tool_calls')!;
    expect(toolRec.result).toMatchObject({ mode: 'executed', results: [{ name: 'read_file', success: true, output: '42' }] });
  });

  test('passthrough: the run waits showing the calls; a resume with results continues it', async () => {
    h = setup(stubConfig(stub.url));
    stub.enqueue({ tool_calls: [readCall] }, { content: 'Host says 7.' });
    const { run_id } = await h.runtime.start(AGENT_WORKFLOW_ID, { vars });
    const waiting = await h.runToEnd(run_id);
    expect(waiting.status).toBe('waiting');
    expect(waiting.waiting).toMatchObject({ reason: 'event', wait_key: `tool_calls:${run_id}:tools` });
    expect(waiting.waiting!.details!.tool_calls[0]).toMatchObject({ name: 'read_file', arguments: { file_path: 'data.txt' } });
    const done = await h.answer(run_id, { mode: 'executed', results: [{ call_id: 'c1', name: 'read_file', success: true, output: '7' }] });
    expect(done.status).toBe('completed');
    expect(done.output!.response).toBe('Host says 7.');
    expect(stub.requests[1]!.body.messages.at(-1)).toEqual({ role: 'tool', tool_call_id: 'c1', content: '7' });
  });

  test('a crash after an LLM call completed re-uses its ledger result instead of calling again', async () => {
    const db = tempDir('ag-agent-db-');
    try {
      h = setup(stubConfig(stub.url, { toolMode: 'local' }), join(db.path, 'g.sqlite3'));
      stub.enqueue({ tool_calls: [readCall] }, { content: 'Answer: 42' });
      const { run_id } = await h.runtime.start(AGENT_WORKFLOW_ID, { vars });
      await h.runtime.tick(run_id, 1); // init
      const beforeLlm = structuredClone(await h.run(run_id)); // checkpoint as of "about to call the LLM"
      const finished = await h.runToEnd(run_id);
      expect(finished.status).toBe('completed');
      const calls = stub.requests.length;
      await h.close();

      // restart from the older checkpoint (as if the process died before later checkpoints were written)
      h = setup(stubConfig(stub.url, { toolMode: 'local' }), join(db.path, 'g.sqlite3'));
      await h.store.runs.save(beforeLlm);
      const replayed = await h.runToEnd(run_id);
      expect(replayed.status).toBe('completed');
      expect(replayed.output!.response).toBe('Answer: 42');
      expect(stub.requests.length).toBe(calls); // no LLM call was repeated
    } finally {
      db.cleanup();
    }
  });

  test('a failing provider fails the agent run with a clear error', async () => {
    h = setup(stubConfig(stub.url, { maxAttempts: 1 }));
    stub.enqueue({ status: 500, error: 'model crashed' });
    const { run_id } = await h.runtime.start(AGENT_WORKFLOW_ID, { vars });
    const run = await h.runToEnd(run_id);
    expect(run.status).toBe('failed');
    expect(run.error).toContain('model crashed');
  });
});
