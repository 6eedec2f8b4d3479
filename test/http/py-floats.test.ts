// Python floats are a storage detail: over HTTP a run's output and its ledger are plain JSON numbers (no tag),
// while the flow itself still renders the float the Python way.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { end, flow, n, start } from '../support/visualflow.ts';
import { startLive, LIVE_AUTH, type Live } from './live.ts';
import { bundleZip } from './support.ts';

const H = LIVE_AUTH;
let live: Live;
let base: string;

const doc = flow('root', [
  start('s'),
  n('sub', 'subtract', { in: ['a', 'b'], out: ['result'], pinDefaults: { a: 3, b: 1 } }),
  n('cc', 'concat', { in: ['a', 'b'], out: ['result'], pinDefaults: { a: 'n =' } }),
  end('e', ['n', 'text']),
], ['s.exec-out>e.exec-in', 'sub.result>e.n', 'sub.result>cc.b', 'cc.result>e.text']);

beforeAll(async () => {
  live = await startLive({}, { flows: { 'pf@0.0.1.flow': bundleZip('pf', '0.0.1', { root: doc }) } });
  await live.gw.runner.start();
  base = `${live.base}/api/gateway`;
});
afterAll(() => live.stop());

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
