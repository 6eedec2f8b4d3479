// Conformance over HTTP: ../shared/flows as the ABSTRACTGATEWAY_FLOWS_DIR of a visualflow-mode gateway. Discovery
// lists every document of the directory; `POST /runs/start {"flow_id": "07935658", "input_data": {...}}` runs the
// flow by its id; the workflow endpoints return the documents.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import type { GatewayApp } from '../../src/http/app.ts';
import { createHttpApp } from '../../src/serve.ts';
import { tempDir } from '../support/harness.ts';
import { describeShared, SHARED_FLOWS } from '../support/shared.ts';

const FLOWS = SHARED_FLOWS;

describeShared('../shared/flows served in visualflow mode', () => {
  let tmp: ReturnType<typeof tempDir>;
  let gw: Gateway;
  let app: GatewayApp;
  let base: string;
  const api = async (path: string, body?: unknown) => {
    const res = await fetch(base + path, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    tmp = tempDir('ag-vf-shared-');
    const config = { ...loadConfig({ ABSTRACTGATEWAY_WORKFLOW_SOURCE: 'visualflow' }, { dataDir: tmp.path, flowsDir: FLOWS }), pollMs: 20 };
    gw = await createGateway(config, { env: {}, log: () => {} });
    await gw.runner.start();
    app = createHttpApp(gw, { security: false }).app;
    app.listen({ port: 0, hostname: '127.0.0.1' });
    base = `http://127.0.0.1:${app.server!.port}/api/gateway`;
  });
  afterAll(async () => {
    await app.stop(true);
    await gw.close();
    tmp.cleanup();
  });

  test('discovery shows the directory as one bundle holding every document', async () => {
    const list = (await api('/bundles')).body;
    expect(list.items).toHaveLength(1);
    expect(list.default_bundle_id).toBe('flows');
    expect(list.items[0].entrypoints).toHaveLength(readdirSync(FLOWS).filter((f) => f.endsWith('.json')).length);
    const detail = (await api('/bundles/flows')).body;
    const ep = detail.entrypoints.find((e: any) => e.flow_id === 'tg-agent-main');
    expect(ep.node_index['node-event']).toMatchObject({ type: 'on_event' });
    const raw = JSON.parse(readFileSync(join(FLOWS, 'ac-advanced-agent-v2.json'), 'utf8'));
    expect((await api('/bundles/flows/flows/33853f39')).body.flow).toEqual(raw);
    expect((await api('/workflows/33853f39/flow')).body.flow).toEqual(raw);
  });

  test('POST /runs/start by flow id runs the flow', async () => {
    const started = await api('/runs/start', { flow_id: '07935658', input_data: { prompt: 'hi' } });
    expect(started.status).toBe(200);
    const runId = started.body.run_id;
    const stop = Date.now() + 10_000;
    let run: any;
    do {
      await Bun.sleep(20);
      run = (await api(`/runs/${runId}`)).body;
    } while (run.status === 'running' && Date.now() < stop);
    expect(run).toMatchObject({ status: 'completed', workflow_id: expect.stringMatching(/^flows@dev\.[0-9a-f]{12}:07935658$/) });
    expect((await api(`/runs/${runId}/input_data`)).body.input_data).toMatchObject({ prompt: 'hi' });
  });
});
