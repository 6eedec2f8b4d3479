// Every real bundle of shared/bundles, installed in one gateway (production composition, tool mode local) and
// started over HTTP against a loopback stub provider that answers every LLM call with a short final answer.
// Runnable bundles complete, with their LLM calls in the ledger; the two media bundles (features@dev: image,
// Untitled-Flow: text-to-speech) run to completion against the stub's OpenAI-compatible media endpoints, their
// results stored as run artifacts with real bytes.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import type { GatewayApp } from '../../src/http/app.ts';
import { createHttpApp } from '../../src/serve.ts';
import { describeShared, SHARED_BUNDLES } from '../support/shared.ts';
import { startStubLlm, type StubLlm } from '../support/stub-llm.ts';

describeShared('conformance: shared bundles over HTTP', () => {
  const TOKEN = 'shared-bundles-token-0123456789abcd';
  const H = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const MEDIA = new Set(['features', 'Untitled-Flow']);
  /** The operator routes image and speech tasks to the stub's OpenAI-compatible provider. */
  const MEDIA_ENV = { ABSTRACTGATEWAY_IMAGE_PROVIDER: 'lmstudio', ABSTRACTGATEWAY_TTS_PROVIDER: 'lmstudio', ABSTRACTGATEWAY_STT_PROVIDER: 'lmstudio' };

  let stub: StubLlm;
  let dir: string;
  let gw: Gateway;
  let app: GatewayApp;
  let base: string;

  beforeAll(async () => {
    stub = startStubLlm();
    // Structured-output calls get a JSON object; every other call a plain final answer (no tool calls).
    stub.respond = (body) => (body?.response_format ? { content: '{"approved": true, "feedback": "ok", "summary": "ok"}' } : { content: 'Done.' });
    dir = mkdtempSync(join(tmpdir(), 'ag-shared-'));
    mkdirSync(join(dir, 'flows'));
    for (const f of readdirSync(SHARED_BUNDLES)) if (f.endsWith('.flow')) copyFileSync(join(SHARED_BUNDLES, f), join(dir, 'flows', f));
    const config = { ...loadConfig({}, { dataDir: dir, flowsDir: join(dir, 'flows') }), pollMs: 20 };
    const stubEnv = { LMSTUDIO_BASE_URL: `${stub.url}/v1`, OPENAI_BASE_URL: `${stub.url}/v1`, OPENAI_API_KEY: 'sk-stub-000000', OLLAMA_HOST: stub.url, ANTHROPIC_BASE_URL: stub.url, ANTHROPIC_API_KEY: 'stub-key-000000' };
    gw = await createGateway(config, { env: { ...stubEnv, ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN, ABSTRACTGATEWAY_TOOL_MODE: 'local', ABSTRACTGATEWAY_PROVIDER: 'lmstudio', ABSTRACTGATEWAY_MODEL: 'stub', ...MEDIA_ENV }, log: () => {} });
    await gw.runner.start();
    app = createHttpApp(gw).app;
    app.listen({ port: 0, hostname: '127.0.0.1' });
    base = `http://127.0.0.1:${app.server!.port}/api/gateway`;
  });
  afterAll(async () => {
    await app.stop(true);
    await gw.close();
    stub.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function api(path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(base + path, body === undefined ? { headers: H } : { method: 'POST', headers: H, body: JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  }

  /** Drives a run tree over HTTP: answers user waits anywhere in the session until the root is terminal. */
  async function driveToEnd(rootId: string, sessionId: string, ms = 20_000): Promise<any> {
    const end = Date.now() + ms;
    for (;;) {
      const root = (await api(`/runs/${rootId}`)).body;
      if (['completed', 'failed', 'cancelled'].includes(root.status)) return root;
      const tree = (await api(`/runs?session_id=${encodeURIComponent(sessionId)}&status=waiting&limit=100`)).body.items as any[];
      for (const r of tree) {
        const s = (await api(`/runs/${r.run_id}`)).body;
        if (s.waiting?.reason === 'user' && !s.paused) {
          await api('/commands', { command_id: crypto.randomUUID(), run_id: s.run_id, type: 'resume', payload: { wait_key: s.waiting.wait_key, payload: { response: 'yes' } } });
        }
      }
      if (Date.now() > end) throw new Error(`run ${rootId} still ${root.status} (${JSON.stringify(root.waiting)})`);
      await Bun.sleep(30);
    }
  }

  describe('every shared bundle over HTTP', () => {
    test('all bundles are listed', async () => {
      const ids = (await api('/bundles?all_versions=true')).body.items.map((b: any) => b.bundle_ref);
      expect(ids.length).toBe(readdirSync(SHARED_BUNDLES).filter((f) => f.endsWith('.flow')).length);
    });

    test('each entrypoint runs to completion against the stub (media bundles through the media endpoints)', async () => {
      const items = (await api('/bundles?all_versions=true')).body.items as any[];
      const outcomes: Record<string, string> = {};
      for (const b of items) {
        for (const ep of b.entrypoints) {
          const ref = `${b.bundle_ref}:${ep.flow_id}`;
          const started = await api('/runs/start', { bundle_id: b.bundle_ref, flow_id: ep.flow_id, input_data: { prompt: 'Say done' } });
          expect(`${ref} → ${started.status}`).toBe(`${ref} → 200`);
          const runId = started.body.run_id;
          const done = await driveToEnd(runId, runId);
          expect(`${ref} → ${done.status} ${done.error ?? ''}`).toBe(`${ref} → completed `);
          if (MEDIA.has(b.bundle_id)) {
            // The wired path ends on a media node: a terminal effect → {success, result: <media result>}.
            const art = (await api(`/runs/${runId}/artifacts`)).body.items as any[];
            expect(art.length).toBeGreaterThanOrEqual(1);
            const bytes = new Uint8Array(await (await fetch(`${base}/runs/${runId}/artifacts/${art[0].artifact_id}/content`, { headers: H })).arrayBuffer());
            const magic = Buffer.from(bytes.slice(0, 4)).toString('latin1');
            expect(['\x89PNG', 'RIFF']).toContain(magic);
            outcomes[ref] = `completed (media ${art[0].content_type})`;
            continue;
          }
          const runs = (await api(`/runs?session_id=${runId}&limit=100&include_metrics=true`)).body.items as any[];
          outcomes[ref] = `completed, ${runs.reduce((n, r) => n + (r.llm_calls ?? 0), 0)} llm calls`;
        }
      }
      // basic-agent (two versions), basic-llm-test, basic, coder, ralph, test: each made real LLM calls.
      for (const [ref, outcome] of Object.entries(outcomes)) {
        if (!outcome.includes('media')) expect(`${ref}: ${outcome}`).toMatch(/completed, [1-9]\d* llm calls/);
      }
      expect(Object.entries(outcomes).filter(([, o]) => o.includes('media')).map(([r, o]) => `${r.split('@')[0]} ${o}`).sort()).toEqual([
        'Untitled-Flow completed (media audio/wav)', 'features completed (media image/png)',
      ]);
      expect(Object.values(outcomes).filter((o) => o.startsWith('completed')).length).toBeGreaterThanOrEqual(7);
    }, 120_000);
  });
});
