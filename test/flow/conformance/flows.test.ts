// Conformance over the real VisualFlow documents (/work/shared/flows, AbstractFlow examples) and the real
// bundles (/work/shared/bundles): every flow compiles or is rejected for a precise, listed reason, and the
// LLM-free flows run to completion through the real Runtime with the outputs the reference produces.
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { compileVisualFlow } from '../../../src/flow/engine/compile.ts';
import { FlowWorkflows } from '../../../src/flow/workflows.ts';
import { runPythonCode } from '../../../src/flow/builtins/code.ts';
import type { Vars } from '../../../src/model/index.ts';
import { flowHarness } from '../engine/helpers.ts';
import { describeShared, SHARED_BUNDLES, SHARED_FLOWS } from '../../support/shared.ts';

describeShared('conformance: shared VisualFlows', () => {
  const FLOWS_DIR = SHARED_FLOWS;
  const BUNDLES_DIR = SHARED_BUNDLES;

  /**
   * Flows this gateway rejects, with the unsupported node types that are reachable in them (nothing else). Since
   * memory, knowledge-graph, media and provider nodes run (issue 14), no shared flow is refused.
   */
  const EXPECTED_REJECTIONS: Record<string, string[]> = {};

  /** Bundles whose entry flow is refused at compile time: none (a media node fails at run time, per node). */
  const BUNDLE_REJECTIONS: Record<string, string> = {};

  const flowFiles = readdirSync(FLOWS_DIR).filter((f) => f.endsWith('.json')).sort();
  const docs = flowFiles.map((f) => JSON.parse(readFileSync(join(FLOWS_DIR, f), 'utf8')) as Vars);

  describe('every shared VisualFlow compiles or is rejected precisely', () => {
    test.each(flowFiles)('%s', (file) => {
      const doc = JSON.parse(readFileSync(join(FLOWS_DIR, file), 'utf8'));
      const expected = EXPECTED_REJECTIONS[file];
      if (!expected) {
        expect(compileVisualFlow(doc).reachable.size).toBeGreaterThan(0);
        return;
      }
      let message = '';
      try {
        compileVisualFlow(doc);
      } catch (err) {
        message = (err as Error).message;
      }
      const types = [...new Set([...message.matchAll(/unsupported type '(\w+)'/g)].map((m) => m[1]))].sort();
      expect(types).toEqual(expected);
      expect(message).not.toContain('unknown type');
    });
  });

  test('code nodes of the shared flows pass the Python sandbox validation', async () => {
    const byId = new Map(docs.map((d) => [d.id as string, d]));
    const flows = new FlowWorkflows({ source: { getWorkflow: (id) => byId.get(id) } });
    const withCode = flowFiles.filter((f, i) => !EXPECTED_REJECTIONS[f] && docs[i]!.nodes.some((node: Vars) => node.type === 'code'));
    expect(withCode.length).toBeGreaterThanOrEqual(5);
    for (const f of withCode) expect(await flows.get(docs[flowFiles.indexOf(f)]!.id as string)).toBeDefined();
  });

  test('benchmark-agentic-case-setup: its code node runs like CPython (top-level names visible, no NameError)', async () => {
    const doc = docs[flowFiles.indexOf('benchmark-agentic-case-setup.json')]!;
    const node = doc.nodes.find((x: Vars) => x.type === 'code');
    const r = await runPythonCode(node.data.code, { case_dir: '/cases/one/', case_id: 'one' }, { isolationKey: 'conformance' });
    expect(r.ok).toBe(true);
    const out = (r as { result: Vars }).result;
    expect(Object.keys(out).sort()).toEqual(['case_dir', 'case_id', 'expected', 'index_path', 'paths', 'task_prompt', 'tool_calls']);
    expect(out.case_dir).toBe('cases/one');
  });

  describe('every bundled flow compiles (media entrypoints included)', () => {
    const entries: [string, Vars][] = [];
    for (const file of readdirSync(BUNDLES_DIR).filter((f) => f.endsWith('.flow')).sort()) {
      const zip = unzipSync(readFileSync(join(BUNDLES_DIR, file)));
      for (const [path, bytes] of Object.entries(zip)) {
        if (path.startsWith('flows/')) entries.push([`${file.replace(/\.flow$/, '')}/${path.slice(6, -5)}`, JSON.parse(strFromU8(bytes))]);
      }
    }
    test('bundles were found', () => expect(entries.length).toBeGreaterThanOrEqual(11));
    test.each(entries)('%s', (name, doc) => {
      const rejection = BUNDLE_REJECTIONS[name];
      if (rejection) expect(() => compileVisualFlow(doc)).toThrow(rejection);
      else expect(compileVisualFlow(doc).reachable.size).toBeGreaterThan(0);
    });
  });

  describe('LLM-free flows run through the real Runtime', () => {
    const h = () => flowHarness(docs);

    test('07935658 ac-basic: start → end without pins echoes the input vars', async () => {
      const x = h();
      expect((await x.start('07935658', { prompt: 'hi', n: 2 })).output).toEqual({ prompt: 'hi', n: 2, success: true });
      await x.close();
    });

    test('5d83f135: no edges, the start node is terminal → its 12 params (missing → null)', async () => {
      const x = h();
      const out = (await x.start('5d83f135', { prompt: 'p', temperature: 0.5 })).output!;
      expect(out).toEqual({
        use_context: null, context: null, provider: null, model: null, system: null, prompt: 'p', tools: null,
        max_iterations: null, max_in_tokens: null, temperature: 0.5, seed: null, resp_schema: null, success: true,
      });
      await x.close();
    });

    test('53d568fc: the declared entry is on_flow_end → completes at once with null pins', async () => {
      const x = h();
      expect((await x.start('53d568fc', { prompt: 'p' })).output).toEqual({ response: null, result: null, meta: null, scratchpad: null, success: true });
      await x.close();
    });

    test('a803f4bd: terminal ask_user; the resume payload is the result', async () => {
      const x = h();
      const run = await x.start('a803f4bd');
      expect(run.waiting).toMatchObject({ reason: 'user', prompt: 'who are you ?', resume_to_node: null });
      expect((await x.answer(run.run_id, { response: 'a tester' })).output).toEqual({ success: true, result: { response: 'a tester' } });
      await x.close();
    });

    test('15f19f7f ac-update-status: status event with no listener (the Delay node is unreachable)', async () => {
      const x = h();
      const run = await x.start('15f19f7f', { state: 'Thinking...' });
      expect(run.output).toEqual({ success: true, result: { wait_key: `evt:run:${run.run_id}:abstract.status`, name: 'abstract.status', scope: 'run', delivered: 0, delivered_to: [], resumed: [] } });
      const emit = (await x.ledger(run.run_id)).find((r) => r.effect?.type === 'emit_event' && r.node_id === 'node-4')!;
      expect(emit.effect!.payload.payload).toEqual({ value: 'Thinking...' });
      await x.close();
    });

    test('ac-echo: two status subflows around a concat', async () => {
      const x = h();
      const run = await x.start('ac-echo', { prompt: 'hello' });
      expect(run.output).toEqual({ response: 'ECHO SERVER :  hello', result: null, meta: null, scratchpad: null, success: true });
      const children = await x.store.runs.children(run.run_id);
      expect(children.map((c) => [c.workflow_id, c.status, c.vars.state])).toEqual(
        expect.arrayContaining([['15f19f7f', 'completed', 'Starting..'], ['15f19f7f', 'completed', 'Ending..']]),
      );
      await x.close();
    });

    test('acagent_message_demo: emit, delay (resumed early), emit, end', async () => {
      const x = h();
      const run = await x.start('acagent_message_demo', { prompt: 'p' });
      expect(run.waiting!.reason).toBe('until');
      const done = await x.answer(run.run_id, {});
      expect(done.output).toEqual({ response: 'p', result: null, meta: null, scratchpad: null, success: true });
      const emits = (await x.ledger(run.run_id)).filter((r) => r.effect?.type === 'emit_event' && r.status === 'completed' && r.node_id.startsWith('emit'));
      expect(emits.map((r) => [r.effect!.payload.name, r.effect!.payload.scope, r.effect!.payload.payload])).toEqual([
        ['abstract.message', 'run', { value: 'Hello from workflow' }],
        ['abstract.message', 'run', { text: 'Still working… (this is just a demo delay)', level: 'warning' }],
      ]);
      await x.close();
    });

    test('a49d80c3 schedule: recurrent on_schedule fires, answers, and re-arms', async () => {
      const x = h();
      const run = await x.start('a49d80c3');
      const first = run.waiting!.until!;
      expect(run.waiting!.reason).toBe('until');
      const again = await x.answer(run.run_id, {});
      const answer = (await x.ledger(run.run_id)).find((r) => r.effect?.type === 'answer_user' && r.status === 'completed')!;
      expect(answer.result).toEqual({ message: first, level: 'message' });
      expect(again.status).toBe('waiting');
      expect(again.waiting!.reason).toBe('until');
      expect(again.waiting!.until! >= first).toBe(true); // ms resolution: equal when answered within the same ms
      await x.close();
    });

    test('tg-agent-main: the root completes; its on_event node runs as a listener child waiting in the session', async () => {
      const x = h();
      const run = await x.start('tg-agent-main', {}, 'chat-1');
      expect(run.output).toEqual({ success: true });
      const [listener] = await x.store.runs.children(run.run_id);
      expect(listener!.workflow_id).toBe('visual_event_listener:tg-agent-main:node-event');
      expect((await x.run(listener!.run_id)).waiting).toMatchObject({ reason: 'event', wait_key: 'evt:session:chat-1:telegram.message' });
      await x.close();
    });
  });
});
