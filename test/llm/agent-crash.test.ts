// kill -9 in the middle of an agent run (while an LLM call is in flight, between tool calls): after restart the
// agent finishes without repeating any completed LLM call or tool call.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/index.ts';
import { tempDir } from '../support/harness.ts';
import { startStubLlm, type StubLlm } from '../support/stub-llm.ts';

let stub: StubLlm;
const dir = tempDir('ag-agent-crash-');
beforeAll(() => {
  stub = startStubLlm();
  // The reply depends only on how many tool results the model has seen: deterministic across restarts.
  stub.respond = (body) => {
    const seen = (body?.messages ?? []).filter((m: { role: string }) => m.role === 'tool').length;
    if (seen < 3) return { delayMs: 120, tool_calls: [{ name: 'execute_command', arguments: { command: `echo ${seen + 1} >> log.txt` }, id: `call_${seen}` }] };
    return { delayMs: 120, content: 'Appended three lines.' };
  };
});
afterAll(() => {
  stub.stop();
  dir.cleanup();
});

test('an agent killed mid-run resumes without repeating completed LLM or tool calls', async () => {
  const workspace = join(dir.path, 'ws');
  mkdirSync(workspace, { recursive: true });
  const worker = join(import.meta.dir, '../support/agent-worker.ts');
  const spawn = () => Bun.spawn([process.execPath, worker, dir.path, stub.url, workspace], { stdout: 'inherit', stderr: 'inherit' });
  const llmRequests = () => stub.requests.filter((r) => r.path === '/v1/chat/completions').length;
  let kills = 0;
  // Kill while the 2nd and then the 3rd LLM call are in flight (each takes 120 ms at the stub).
  for (const inFlight of [2, 3]) {
    const p = spawn();
    const end = Date.now() + 15_000;
    while (llmRequests() < inFlight && Date.now() < end) await Bun.sleep(5);
    await Bun.sleep(40);
    p.kill('SIGKILL');
    await p.exited;
    kills++;
  }
  const last = spawn();
  expect(await last.exited).toBe(0);

  const lines = readFileSync(join(workspace, 'log.txt'), 'utf8').trim().split('\n');
  expect(lines).toEqual(['1', '2', '3']); // every tool call ran exactly once
  const store = SqliteStore.open(join(dir.path, 'gateway.sqlite3'));
  try {
    const [run] = (await store.runs.list({ limit: 5, includeInternal: true })).items;
    const full = (await store.runs.get(run!.run_id))!;
    expect(full.status).toBe('completed');
    expect(full.output).toMatchObject({ response: 'Appended three lines.', success: true });
    const recs = await store.ledger.listAfter(run!.run_id, 0, 1000);
    const llmDone = recs.filter((r) => r.effect?.type === 'llm_call' && r.status === 'completed');
    expect(llmDone.length).toBe(4);
    expect(new Set(llmDone.map((r) => r.idempotency_key)).size).toBe(4);
    expect(recs.filter((r) => r.effect?.type === 'tool_calls' && r.status === 'completed').length).toBe(3);
    // Only calls that were in flight at a kill are sent again: at most one extra request per kill.
    expect(llmRequests()).toBeLessThanOrEqual(4 + kills);
    expect(llmRequests()).toBeGreaterThan(4); // the kills did interrupt calls in flight
    expect((await store.ledger.verify(run!.run_id)).ok).toBe(true);
  } finally {
    await store.close();
  }
  expect(existsSync(join(workspace, 'log.txt'))).toBe(true);
}, 60_000);
