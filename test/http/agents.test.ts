// A real agent bundle (basic-agent@0.0.1) over HTTP through the production composition, against a loopback stub
// speaking the OpenAI wire format, in both tool modes: `local` runs the tool in-process, `passthrough` parks the
// agent on a durable tool wait that a person answers with a resume command. The ledger shows every call.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import type { GatewayApp } from '../../src/http/app.ts';
import { createHttpApp } from '../../src/serve.ts';
import { describeShared, SHARED_BUNDLES } from '../support/shared.ts';
import { startStubLlm, type StubLlm } from '../support/stub-llm.ts';

describeShared('conformance: basic-agent over HTTP', () => {
  const TOKEN = 'agents-token-0123456789abcdefghij';
  const H = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

  let stub: StubLlm;
  beforeAll(() => { stub = startStubLlm(); });
  afterAll(() => stub.stop());

  async function gateway(toolMode: 'local' | 'passthrough') {
    const dir = mkdtempSync(join(tmpdir(), 'ag-agents-'));
    mkdirSync(join(dir, 'flows'));
    copyFileSync(join(SHARED_BUNDLES, 'basic-agent@0.0.1.flow'), join(dir, 'flows', 'basic-agent@0.0.1.flow'));
    const config = { ...loadConfig({}, { dataDir: dir, flowsDir: join(dir, 'flows') }), pollMs: 20 };
    const gw: Gateway = await createGateway(config, {
      env: { ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN, LMSTUDIO_BASE_URL: `${stub.url}/v1`, ABSTRACTGATEWAY_TOOL_MODE: toolMode, ABSTRACTGATEWAY_LLM_STREAM: '1' },
      log: () => {},
    });
    await gw.runner.start();
    const app: GatewayApp = createHttpApp(gw).app;
    app.listen({ port: 0, hostname: '127.0.0.1' });
    const base = `http://127.0.0.1:${app.server!.port}/api/gateway`;
    const api = async (path: string, body?: unknown) => {
      const res = await fetch(base + path, body === undefined ? { headers: H } : { method: 'POST', headers: H, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as any };
    };
    const until = async <T>(fn: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> => {
      const end = Date.now() + ms;
      for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() > end) throw new Error('timed out');
        await Bun.sleep(20);
      }
    };
    const close = async () => {
      await app.stop(true);
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    };
    return { gw, api, until, close };
  }

  async function agentChild(api: (p: string) => Promise<{ body: any }>, rootId: string) {
    const list = await api(`/runs?limit=50&include_ledger_len=true`);
    return list.body.items.find((r: any) => r.parent_run_id === rootId && r.workflow_id === 'abstractgateway.agent.react');
  }

  describe('basic-agent over HTTP', () => {
    test('tool mode local: the agent calls list_files in its workspace, then answers', async () => {
      const g = await gateway('local');
      try {
        stub.enqueue({ tool_calls: [{ name: 'list_files', arguments: { directory_path: '.' }, id: 'call_1' }] }, { content: 'The workspace is empty.' });
        const start = await g.api('/runs/start', { bundle_id: 'basic-agent', input_data: { prompt: 'What files are there?' } });
        expect(start.status).toBe(200);
        const rootId = start.body.run_id;
        const done = await g.until(async () => {
          const r = await g.api(`/runs/${rootId}`);
          return r.body.status === 'completed' || r.body.status === 'failed' ? r.body : null;
        });
        expect(done.status).toBe('completed');
        const child = await agentChild(g.api, rootId);
        const ledger = (await g.api(`/runs/${child.run_id}/ledger?after=0&limit=200`)).body.items as any[];
        const completed = (type: string) => ledger.filter((r) => r.status === 'completed' && r.effect?.type === type);
        expect(completed('llm_call').length).toBe(2);
        const tools = completed('tool_calls');
        expect(tools.length).toBe(1);
        expect(tools[0].result.mode).toBe('executed');
        expect(tools[0].result.results[0]).toMatchObject({ name: 'list_files', success: true });
        expect(completed('llm_call')[0].result.usage).toBeTruthy();
        const rootOut = (await g.api(`/runs/${rootId}/ledger?after=0&limit=500`)).body.items.find((r: any) => r.result?.completed);
        expect(rootOut.result.output).toMatchObject({ response: 'The workspace is empty.', success: true });
        // the second LLM request carried the tool result back to the model
        const second = stub.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)!.body;
        expect(second.messages.some((m: any) => m.role === 'tool')).toBe(true);
      } finally {
        await g.close();
      }
    }, 30_000);

    test('tool mode passthrough: the agent waits showing the calls; a resume command answers them', async () => {
      const g = await gateway('passthrough');
      try {
        stub.enqueue({ tool_calls: [{ name: 'read_file', arguments: { file_path: 'notes.txt' }, id: 'call_9' }] }, { content: 'The notes say hello.' });
        const rootId = (await g.api('/runs/start', { bundle_id: 'basic-agent', input_data: { prompt: 'Read my notes' } })).body.run_id;
        const child = await g.until(async () => {
          const c = await agentChild(g.api, rootId);
          if (!c) return null;
          const s = (await g.api(`/runs/${c.run_id}`)).body;
          return s.status === 'waiting' && s.waiting?.details?.tool_calls ? s : null;
        });
        expect(child.waiting.details.tool_calls[0]).toMatchObject({ name: 'read_file', arguments: { file_path: 'notes.txt' } });
        const call = child.waiting.details.tool_calls[0];
        const commandId = crypto.randomUUID();
        const cmd = await g.api('/commands', {
          command_id: commandId,
          run_id: child.run_id,
          type: 'resume',
          payload: { wait_key: child.waiting.wait_key, payload: { mode: 'executed', results: [{ call_id: call.call_id, name: 'read_file', success: true, output: 'hello', error: null }] } },
        });
        expect(cmd.body).toMatchObject({ accepted: true, duplicate: false });
        const outcome = await g.until(async () => {
          const o = (await g.api(`/commands/${commandId}`)).body;
          return o.status !== 'pending' ? o : null;
        });
        expect(outcome).toMatchObject({ command_id: commandId, status: 'applied', reason: null });
        const done = await g.until(async () => {
          const r = await g.api(`/runs/${rootId}`);
          return r.body.status === 'completed' || r.body.status === 'failed' ? r.body : null;
        });
        expect(done.status).toBe('completed');
        const ledger = (await g.api(`/runs/${child.run_id}/ledger?after=0&limit=200`)).body.items as any[];
        expect(ledger.some((r) => r.effect?.type === 'resume' && r.effect.payload.payload.results[0].output === 'hello')).toBe(true);
        expect(ledger.filter((r) => r.status === 'completed' && r.effect?.type === 'llm_call').length).toBe(2);
      } finally {
        await g.close();
      }
    }, 30_000);

    test('tool mode passthrough: approving runs the calls in-process as a recorded step; denying fails them', async () => {
      const g = await gateway('passthrough');
      try {
        for (const approved of [true, false]) {
          stub.enqueue({ tool_calls: [{ name: 'list_files', arguments: { directory_path: '.' }, id: `call_a${approved}` }] }, { content: approved ? 'Listed.' : 'Not allowed then.' });
          const rootId = (await g.api('/runs/start', { bundle_id: 'basic-agent', input_data: { prompt: `List files (${approved})` } })).body.run_id;
          const child = await g.until(async () => {
            const c = await agentChild(g.api, rootId);
            const s = c && (await g.api(`/runs/${c.run_id}`)).body;
            return s?.status === 'waiting' && s.waiting?.details?.tool_calls ? s : null;
          });
          const decision = approved ? { approved: true } : { approved: false, reason: 'not today' };
          await g.api('/commands', { command_id: crypto.randomUUID(), run_id: child.run_id, type: 'resume', payload: { wait_key: child.waiting.wait_key, payload: decision } });
          const done = await g.until(async () => {
            const r = (await g.api(`/runs/${rootId}`)).body;
            return ['completed', 'failed'].includes(r.status) ? r : null;
          });
          expect(done.status).toBe('completed');
          const ledger = (await g.api(`/runs/${child.run_id}/ledger?after=0&limit=200`)).body.items as any[];
          const tools = ledger.filter((r) => r.effect?.type === 'tool_calls' && r.status === 'completed');
          expect(tools.length).toBe(1);
          expect(tools[0].result.results[0]).toMatchObject(approved ? { name: 'list_files', success: true } : { name: 'list_files', success: false, error: 'not today' });
          expect(ledger.some((r) => r.effect?.type === 'resume' && r.effect.payload.payload.approved === approved)).toBe(true);
        }
      } finally {
        await g.close();
      }
    }, 30_000);
  });
});
