import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLlmEffects, normalizeToolCalls, toolCallsKeyPayload } from '../../src/llm/index.ts';
import { graphWorkflow } from '../../src/runtime/graph.ts';
import type { Vars } from '../../src/model/index.ts';
import { createHarness } from '../support/harness.ts';
import { effectCtx, makeRun, stubConfig } from './helpers.ts';

let root: string;
beforeAll(() => { root = mkdtempSync(join(tmpdir(), 'ag-tc-')); });
afterAll(() => rmSync(root, { recursive: true, force: true }));

const handler = (toolMode: 'local' | 'passthrough') => createLlmEffects(stubConfig('http://127.0.0.1:9', { toolMode })).tool_calls!;
const run = () => makeRun({ workspace_root: root });

/** A one-node workflow emitting a tool_calls effect, on the real runtime with the passthrough handler. */
function toolHarness(payload: Vars) {
  const wf = graphWorkflow('tools', 'call', {
    call: () => ({ effect: { type: 'tool_calls', payload, result_key: 'r' }, next_node: 'end' }),
    end: (r) => ({ complete_output: { r: r.vars.r } }),
  });
  const h = createHarness({ workflows: [wf] });
  h.runtime.registerEffect('tool_calls', handler('passthrough'));
  return h;
}
const calls = [
  { name: ' write_file ', arguments: '{"file_path":"a.txt","content":"hi"}', id: 'prov_1' },
  { function: { name: 'read_file', arguments: { file_path: 'a.txt' } } },
  { name: 'execute_command', arguments: { command: 'rm -rf /' }, call_id: 'c3' },
];

describe('normalisation', () => {
  test('ids, names and arguments (docs/runtime.md "Keys and timestamps")', () => {
    const n = normalizeToolCalls(calls, 'abc')!;
    expect(n.map((c) => [c.name, c.call_id, c.runtime_call_id])).toEqual([
      ['write_file', 'prov_1', 'rtcall_abc_1'], ['read_file', 'rtcall_abc_2', 'rtcall_abc_2'], ['execute_command', 'c3', 'rtcall_abc_3'],
    ]);
    expect(n[0]!.arguments).toEqual({ file_path: 'a.txt', content: 'hi' });
    expect(normalizeToolCalls('{"name":"x","arguments":"[1]"}', 'k')).toEqual([{ name: 'x', arguments: {}, call_id: 'rtcall_k_1', runtime_call_id: 'rtcall_k_1' }]);
    expect(normalizeToolCalls(42, 'k')).toBeNull();
  });

  test('key payload ignores provider id drift and allow-list order', () => {
    const a = toolCallsKeyPayload({ tool_calls: [{ name: 'x ', arguments: '{"a":1}', id: 'one' }], allowed_tools: ['b', 'a', 'a'] });
    const b = toolCallsKeyPayload({ tool_calls: [{ name: 'x', arguments: { a: 1 }, call_id: 'two', runtime_call_id: 'r' }], allowed_tools: [' a', 'b'] });
    expect(a).toEqual(b);
  });
});

describe('local mode', () => {
  test('executes in order inside the workspace; blocked calls fail', async () => {
    const out = await handler('local')(effectCtx('tool_calls', { tool_calls: calls, allowed_tools: ['write_file', 'read_file'] }, { run: run() }));
    expect(out.status).toBe('completed');
    const { mode, results } = (out as any).result;
    expect(mode).toBe('executed');
    expect(results.map((r: any) => [r.name, r.success])).toEqual([['write_file', true], ['read_file', true], ['execute_command', false]]);
    expect(results[1].output).toBe('hi');
    expect(results[2].error).toBe("Tool 'execute_command' is not allowed for this node");
    expect(results[0].call_id).toBe('prov_1');
    expect(readFileSync(join(root, 'a.txt'), 'utf8')).toBe('hi');
  });

  test('missing tool_calls fails with the spec message', async () => {
    expect(await handler('local')(effectCtx('tool_calls', {}))).toEqual({ status: 'failed', error: 'tool_calls requires payload.tool_calls (list)' });
  });
});

describe('passthrough mode', () => {
  test('waits with the calls in details; blocked ones pre-resolved', async () => {
    const r = run();
    const out = await handler('passthrough')(effectCtx('tool_calls', { tool_calls: calls, allowed_tools: ['write_file', 'read_file'] }, { run: r, nextNode: 'after' }));
    expect(out.status).toBe('waiting');
    const w = (out as any).wait;
    expect(w).toMatchObject({ reason: 'event', wait_key: 'tool_calls:run-1:n1', resume_to_node: 'after', result_key: '_temp.r' });
    expect(w.details.mode).toBe('passthrough');
    expect(w.details.tool_calls.map((c: any) => c.name)).toEqual(['write_file', 'read_file']);
    expect(w.details.original_call_count).toBe(3);
    expect(w.details.blocked_by_index['2'].error).toContain('not allowed');

  });

  test('a host answering the runnable calls gets the blocked one merged back at its index (real runtime)', async () => {
    const h = toolHarness({ tool_calls: calls, allowed_tools: ['write_file', 'read_file'] });
    const started = await h.runtime.start('tools', { vars: { workspace_root: root } });
    const waiting = await h.runToEnd(started.run_id);
    expect(waiting.waiting!.details!.original_call_count).toBe(3);
    const done = await h.answer(started.run_id, { results: [{ call_id: 'prov_1', success: true, output: 'ok' }, { success: true, output: 'hi' }] });
    expect(done.output!.r.mode).toBe('executed');
    expect(done.output!.r.results.map((x: any) => x.success)).toEqual([true, true, false]);
    expect(done.output!.r.results[2].error).toContain('not allowed');
    const again = await h.runtime.start('tools', { vars: { workspace_root: root } });
    await h.runToEnd(again.run_id);
    const partial = await h.answer(again.run_id, { results: [{ success: true, output: 'ok' }] });
    expect(partial.output!.r.results[1]).toEqual({ success: false, error: 'Missing tool result' });
    await h.close();
  });

  test('explicit wait_key and resume_to_node are honoured; all-blocked completes immediately', async () => {
    const out = await handler('passthrough')(effectCtx('tool_calls', { tool_calls: calls.slice(0, 1), wait_key: 'mine', resume_to_node: 'x' }));
    expect((out as any).wait).toMatchObject({ wait_key: 'mine', resume_to_node: 'x' });
    const none = await handler('passthrough')(effectCtx('tool_calls', { tool_calls: calls, allowed_tools: [] }));
    expect(none.status).toBe('completed');
    expect((none as any).result.results.every((x: any) => !x.success)).toBe(true);
  });

  test('approval resume (real runtime): denied fails every call, approved runs them in the workspace', async () => {
    const h = toolHarness({ tool_calls: [{ name: 'write_file', arguments: { file_path: 'approved.txt', content: 'yes' } }] });
    const denied = await h.runtime.start('tools', { vars: { workspace_root: root } });
    await h.runToEnd(denied.run_id);
    const d = await h.answer(denied.run_id, { approved: false });
    expect(d.output!.r.results[0]).toMatchObject({ success: false, error: 'Denied by user' });
    const ok = await h.runtime.start('tools', { vars: { workspace_root: root } });
    await h.runToEnd(ok.run_id);
    const a = await h.answer(ok.run_id, { approved: true });
    expect(a.output!.r.results[0].success).toBe(true);
    expect(readFileSync(join(root, 'approved.txt'), 'utf8')).toBe('yes');
    // the execution is a recorded step, and the decision is consumed
    expect((await h.ledger(ok.run_id)).filter((x) => x.effect?.type === 'tool_calls').map((x) => x.status)).toEqual(['started', 'waiting', 'started', 'completed']);
    expect(a.vars._temp.tool_approvals).toEqual({});
    await h.close();
  });
});
