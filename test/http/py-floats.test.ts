// Python floats are a storage detail: over HTTP a run's output and its ledger are plain JSON numbers (no tag),
// while the flow itself still renders the float the Python way.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import type { GatewayApp } from '../../src/http/app.ts';
import { createHttpApp } from '../../src/serve.ts';
import { end, flow, n, start } from '../support/visualflow.ts';
import { bundleZip } from './support.ts';

const TOKEN = 'py-floats-token-0123456789abcdefgh';
const H = { authorization: `Bearer ${TOKEN}` };
let dir: string;
let gw: Gateway;
let app: GatewayApp;
let base: string;

const doc = flow('root', [
  start('s'),
  n('sub', 'subtract', { in: ['a', 'b'], out: ['result'], pinDefaults: { a: 3, b: 1 } }),
  n('cc', 'concat', { in: ['a', 'b'], out: ['result'], pinDefaults: { a: 'n =' } }),
  end('e', ['n', 'text']),
], ['s.exec-out>e.exec-in', 'sub.result>e.n', 'sub.result>cc.b', 'cc.result>e.text']);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ag-pyfloat-'));
  mkdirSync(join(dir, 'flows'));
  writeFileSync(join(dir, 'flows', 'pf@0.0.1.flow'), bundleZip('pf', '0.0.1', { root: doc }));
  const config = { ...loadConfig({}, { dataDir: dir, flowsDir: join(dir, 'flows') }), pollMs: 20 };
  gw = await createGateway(config, { env: { ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN }, log: () => {} });
  gw.runner.start();
  app = createHttpApp(gw).app;
  app.listen({ port: 0, hostname: '127.0.0.1' });
  base = `http://127.0.0.1:${app.server!.port}/api/gateway`;
});
afterAll(async () => {
  await app.stop(true);
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
});

test('GET /runs/{id} and the ledger carry plain numbers; the text shows 2.0', async () => {
  const started = (await (await fetch(`${base}/runs/start`, { method: 'POST', headers: { ...H, 'content-type': 'application/json' }, body: '{"bundle_id":"pf"}' })).json()) as { run_id: string };
  let text = '';
  for (let i = 0; i < 200; i++) {
    text = await (await fetch(`${base}/runs/${started.run_id}`, { headers: H })).text();
    if (JSON.parse(text).status === 'completed') break;
    await Bun.sleep(20);
  }
  const run = JSON.parse(text);
  expect(run.output).toEqual({ n: 2, text: 'n = 2.0', success: true });
  expect(text).not.toContain('$py_float');
  const ledger = await (await fetch(`${base}/runs/${started.run_id}/ledger`, { headers: H })).text();
  expect(ledger).not.toContain('$py_float');
  expect(ledger).toContain('"n":2');
});
