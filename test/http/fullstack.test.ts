// The production composition (src/gateway.ts: registry → VisualFlow engine → runtime → runner → createApp with
// security) driven over HTTP with a real `.flow` bundle whose flow asks the user a question.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import type { GatewayApp } from '../../src/http/app.ts';
import { createHttpApp } from '../../src/serve.ts';
import { bundleZip, sseEvents, sseReader } from './support.ts';

const TOKEN = 'fullstack-token-0123456789';
const H = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

const pin = (id: string, type = 'any') => ({ id, label: id, type });
const exec = (id: string) => pin(id, 'execution');
const node = (id: string, type: string, inputs: object[], outputs: object[], data: object = {}) =>
  ({ id, type, position: { x: 0, y: 0 }, data: { nodeType: type, inputs, outputs, ...data } });
const edge = (s: string, sh: string, t: string, th: string) => ({ source: s, sourceHandle: sh, target: t, targetHandle: th });

const askFlow = {
  id: 'root',
  name: 'survey',
  nodes: [
    node('start', 'on_flow_start', [], [exec('exec-out'), pin('prompt', 'string')], { pinDefaults: { prompt: 'who are you ?' } }),
    node('ask', 'ask_user', [exec('exec-in'), pin('prompt', 'string')], [exec('exec-out'), pin('response')]),
    node('end', 'on_flow_end', [exec('exec-in'), pin('answer')], []),
  ],
  edges: [
    edge('start', 'exec-out', 'ask', 'exec-in'),
    edge('start', 'prompt', 'ask', 'prompt'),
    edge('ask', 'exec-out', 'end', 'exec-in'),
    edge('ask', 'response', 'end', 'answer'),
  ],
};

let dir: string;
let gw: Gateway;
let app: GatewayApp;
let base: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ag-full-'));
  mkdirSync(join(dir, 'flows'));
  writeFileSync(join(dir, 'flows', 'survey@1.0.0.flow'), bundleZip('survey', '1.0.0', { root: askFlow }));
  const config = { ...loadConfig({}, { dataDir: dir, flowsDir: join(dir, 'flows') }), pollMs: 50 };
  gw = await createGateway(config, { env: { ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN }, log: () => {} });
  await gw.runner.start();
  app = createHttpApp(gw).app;
  app.listen({ port: 0, hostname: '127.0.0.1' });
  base = `http://127.0.0.1:${app.server!.port}`;
});
afterAll(async () => {
  await app.stop(true);
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('full stack over HTTP', () => {
  test('a VisualFlow ask_user bundle: start, see the prompt, answer, see completion and done', async () => {
    const bundles = await (await fetch(`${base}/api/gateway/bundles`, { headers: H })).json() as any;
    expect(bundles.items.map((b: any) => b.bundle_id)).toEqual(['survey']);
    expect(bundles.default_bundle_id).toBe('survey');

    const start = await fetch(`${base}/api/gateway/runs/start`, { method: 'POST', headers: H, body: JSON.stringify({ flow_id: 'root', input_data: { prompt: 'Name?' } }) });
    expect(start.status).toBe(200);
    const { run_id: runId } = await start.json() as { run_id: string };

    const r = sseReader(await fetch(`${base}/api/gateway/runs/${runId}/ledger/stream?after=0`, { headers: H }));
    const waitingRecord = () => sseEvents(r.text).map((e) => e.data?.record).find((rec) => rec?.status === 'waiting');
    await r.until(() => waitingRecord() !== undefined, 5000);
    const wait = waitingRecord().result.wait;
    expect(wait).toMatchObject({ reason: 'user', prompt: 'Name?', allow_free_text: true });

    const cmd = await fetch(`${base}/api/gateway/commands`, {
      method: 'POST', headers: H,
      body: JSON.stringify({ command_id: `a-${runId}`, run_id: runId, type: 'resume', payload: { wait_key: wait.wait_key, payload: { response: 'I am Albou' } } }),
    });
    expect(await cmd.json()).toMatchObject({ accepted: true });

    const events = sseEvents(await r.rest(5000));
    expect(events.at(-1)!.event).toBe('done');
    const records = events.filter((e) => e.event === 'step').map((e) => e.data.record);
    expect(records.some((rec) => rec.effect?.type === 'resume')).toBe(true);
    expect(records.some((rec) => rec.effect?.payload?.name === 'abstract.status')).toBe(true);

    const run = await (await fetch(`${base}/api/gateway/runs/${runId}`, { headers: H })).json() as any;
    expect(run.status).toBe('completed');
    expect((await (await fetch(`${base}/api/gateway/runs/${runId}/input_data`, { headers: H })).json() as any).input_data).toEqual({ prompt: 'Name?' });
    expect((await gw.store.runs.get(runId))!.output).toMatchObject({ answer: 'I am Albou' });
  });

  test('the composition root mounts security: no token → 401', async () => {
    expect((await fetch(`${base}/api/gateway/runs`)).status).toBe(401);
  });
});
