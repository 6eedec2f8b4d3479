// ABSTRACTGATEWAY_WORKFLOW_SOURCE=visualflow over HTTP, production composition: a directory of VisualFlow JSON
// (fixtures written here) is one implicit bundle; flows start by id, subflows resolve across the directory, edits
// apply to new runs while a running run keeps its definition — also across a restart on the same data dir.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import type { GatewayApp } from '../../src/http/app.ts';
import { createHttpApp } from '../../src/serve.ts';
import { end, flow, lit, n, start } from '../support/visualflow.ts';

const ask = n('ask', 'ask_user', { in: ['exec-in', 'prompt'], out: ['exec-out', 'response'], pinDefaults: { prompt: 'go?' } });
const mainDoc = flow(
  'main',
  [start('s'), ask, n('sub', 'subflow', { in: ['exec-in'], out: ['exec-out', 'tag'], subflowId: 'child' }), end('e', ['tag', 'answer'])],
  ['s.exec-out>ask.exec-in', 'ask.exec-out>sub.exec-in', 'sub.exec-out>e.exec-in', 'sub.tag>e.tag', 'ask.response>e.answer'],
);
const childDoc = (tag: string) => flow('child', [start('s'), lit('t', tag), end('e', ['tag'])], ['s.exec-out>e.exec-in', 't.value>e.tag']);
const brokenDoc = flow('broken', [start('s'), n('sub', 'subflow', { in: ['exec-in'], out: ['exec-out'], subflowId: 'ghost' }), end('e')], ['s.exec-out>sub.exec-in', 'sub.exec-out>e.exec-in']);

let root: string;
let flowsDir: string;
let gw: Gateway;
let app: GatewayApp;
let base: string;

const write = (file: string, doc: unknown) => writeFileSync(join(flowsDir, file), JSON.stringify(doc));

async function open() {
  const config = { ...loadConfig({ ABSTRACTGATEWAY_WORKFLOW_SOURCE: 'visualflow' }, { dataDir: join(root, 'data'), flowsDir }), pollMs: 20 };
  gw = await createGateway(config, { env: { ABSTRACTGATEWAY_AUTH_TOKEN: 'visualflow-mode-token-0123456789' }, log: () => {} });
  await gw.runner.start();
  app = createHttpApp(gw, { security: false }).app;
  app.listen({ port: 0, hostname: '127.0.0.1' });
  base = `http://127.0.0.1:${app.server!.port}/api/gateway`;
}
async function close() {
  await app.stop(true);
  await gw.close();
}

async function api(path: string, body?: unknown, method = 'POST'): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, body === undefined ? {} : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, ms = 10_000): Promise<T> {
  const stop = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > stop) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

const waitingAsk = (runId: string) => until(`run ${runId} waiting`, async () => {
  const r = (await api(`/runs/${runId}`)).body;
  return r.status === 'waiting' && r.waiting?.reason === 'user' ? r : null;
});

async function answer(runId: string, text: string): Promise<any> {
  const r = await waitingAsk(runId);
  await api('/commands', { command_id: crypto.randomUUID(), run_id: runId, type: 'resume', payload: { wait_key: r.waiting.wait_key, payload: { response: text } } });
  return until(`run ${runId} completed`, async () => {
    const s = (await api(`/runs/${runId}`)).body;
    return s.status === 'completed' || s.status === 'failed' ? (await gw.store.runs.get(runId))! : null;
  });
}

const currentVersion = async () => (await api('/bundles')).body.items[0]?.bundle_version as string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ag-vfdir-'));
  flowsDir = join(root, 'myflows');
  mkdirSync(flowsDir);
  write('main.json', mainDoc);
  write('child-file-name.json', childDoc('v1'));
  write('broken.json', brokenDoc);
  writeFileSync(join(flowsDir, 'notes.json'), '{not json');
  await open();
});
afterAll(async () => {
  await close();
  rmSync(root, { recursive: true, force: true });
});

describe('a VisualFlow directory as the workflow source', () => {
  test('an invalid ABSTRACTGATEWAY_WORKFLOW_SOURCE stops with the variable named', () => {
    expect(() => loadConfig({ ABSTRACTGATEWAY_WORKFLOW_SOURCE: 'zip' })).toThrow(/ABSTRACTGATEWAY_WORKFLOW_SOURCE="zip" is invalid: expected one of bundle, visualflow/);
  });

  test('start-up notices name the unreadable file and the flow with missing references', () => {
    expect(gw.notices.join('\n')).toContain('notes.json not loaded: not valid JSON');
    expect(gw.notices.join('\n')).toContain("flow broken.json is not runnable: flow 'broken' references missing flows: ghost");
  });

  test('/bundles presents the directory as one implicit bundle; flows are documents addressed by id', async () => {
    const list = (await api('/bundles')).body;
    expect(list.default_bundle_id).toBe('myflows');
    expect(list.items).toHaveLength(1);
    expect(list.items[0].bundle_version).toMatch(/^dev\.[0-9a-f]{12}$/);
    expect(list.items[0].created_at).toMatch(/^20\d\d-\d\d-\d\dT/); // newest file modification
    expect(list.items[0].entrypoints.map((e: any) => e.flow_id)).toEqual(['broken', 'child', 'main']);
    const detail = (await api('/bundles/myflows')).body;
    expect(detail.metadata.missing_refs).toEqual({ broken: ['ghost'] });
    const byId = (await api('/workflows/child/flow')).body;
    expect(byId.flow).toEqual(childDoc('v1'));
    expect(byId.workflow_id).toBe(`myflows@${list.items[0].bundle_version}:child`);
    expect((await api(`/workflows/${encodeURIComponent(byId.workflow_id)}/flow`)).body.flow).toEqual(childDoc('v1'));
    expect((await api('/workflows/nope/flow')).status).toBe(404);
  });

  test('a flow whose references are missing is refused at start with the missing ids', async () => {
    const r = await api('/runs/start', { flow_id: 'broken' });
    expect(r.status).toBe(400);
    expect(r.body.detail).toBe("Failed to start run: Flow 'broken' references missing flows: ghost");
  });

  test('upload is refused with what to do instead', async () => {
    const form = new FormData();
    form.append('file', new File([new Uint8Array([1, 2, 3])], 'x.flow'));
    const res = await fetch(`${base}/bundles/upload`, { method: 'POST', body: form });
    expect(res.status).toBe(400);
    const { detail } = (await res.json()) as any;
    expect(detail).toMatch(/visualflow: edit the \*\.json files in the flows directory \(ABSTRACTGATEWAY_FLOWS_DIR\)/);
    expect(detail).not.toContain('myflows'); // no server path in an error body
  });

  test('edits take effect for new runs; a running run keeps its version, across a restart too', async () => {
    const v1 = await currentVersion();
    const a = (await api('/runs/start', { flow_id: 'main' })).body.run_id;
    await waitingAsk(a);

    write('child-file-name.json', childDoc('v2')); // picked up by the directory watch, no reload call
    const v2 = await until('the edit to be picked up', async () => ((await currentVersion()) !== v1 ? currentVersion() : null));
    const b = (await api('/runs/start', { flow_id: 'main' })).body.run_id;
    await waitingAsk(b);
    expect((await api(`/runs/${b}`)).body.workflow_id).toBe(`myflows@${v2}:main`);

    expect((await answer(a, 'yes')).output).toMatchObject({ tag: 'v1', answer: 'yes' });

    // Restart on the same data dir after another edit and the removal of a file run b uses.
    await close();
    write('child-file-name.json', childDoc('v3'));
    unlinkSync(join(flowsDir, 'main.json'));
    await open();
    expect((await answer(b, 'ok')).output).toMatchObject({ tag: 'v2', answer: 'ok' });
    expect((await api('/runs/start', { flow_id: 'main' })).status).toBe(404);
    expect((await api(`/workflows/${encodeURIComponent(`myflows@${v1}:child`)}/flow`)).body.flow).toEqual(childDoc('v1'));

    // Added file: runnable at once; content-addressed snapshots: main once, child v1 + v2 (one row each).
    write('main-again.json', mainDoc);
    await until('the added file', async () => (await api('/bundles')).body.items[0].entrypoints.some((e: any) => e.flow_id === 'main'));
    const c = (await api('/runs/start', { flow_id: 'main' })).body.run_id;
    expect((await answer(c, 'z')).output).toMatchObject({ tag: 'v3' });
    expect(await gw.store.flowSnapshots.documentCount()).toBe(4); // main, child v1, v2, v3 (never a copy per run)
  }, 30_000);
});
