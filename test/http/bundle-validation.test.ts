// One bundle validation (src/flow/bundle/validate.ts) behind all four doors: a bundle with an unknown node type
// is refused by `bundles validate`, `bundles install`, HTTP upload and HTTP reload, with the same reason.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../cli/helpers.ts';
import { e, end, flow, n, start } from '../support/visualflow.ts';
import { bundleZip, startGateway, type TestGateway } from './support.ts';

const REASON = "node 'x' has unknown type 'bogus_node'";
const bad = bundleZip('typo', '1.0.0', { root: flow('root', [start(), n('x', 'bogus_node', { in: ['exec-in'], out: ['exec-out'] }), end()], ['start.exec-out>x.exec-in', 'x.exec-out>end.exec-in']) });
const good = bundleZip('fine', '1.0.0', { root: flow('root', [start(), end()], ['start.exec-out>end.exec-in']) });

let gw: TestGateway;
beforeAll(async () => { gw = await startGateway({ bundles: {} }); });
afterAll(() => gw.close());

const upload = (bytes: Uint8Array) => {
  const fd = new FormData();
  fd.append('file', new Blob([bytes]), 'bundle.flow');
  fd.append('reload', 'true');
  return gw.json('/api/gateway/bundles/upload', { method: 'POST', body: fd });
};

describe('an unknown node type is refused everywhere', () => {
  test('HTTP upload: 400 invalid_bundle naming the node, nothing written', async () => {
    const r = await upload(bad);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('invalid_bundle');
    expect(r.body.detail).toContain(REASON);
    expect(existsSync(join(gw.config.flowsDir, 'typo@1.0.0.flow'))).toBe(false);
    expect((await upload(good)).status).toBe(200); // a good one still goes in
  });

  test('HTTP reload: the file is reported and not loaded', async () => {
    writeFileSync(join(gw.config.flowsDir, 'typo@1.0.0.flow'), bad);
    const r = await gw.json('/api/gateway/bundles/reload', { method: 'POST' });
    expect(r.status).toBe(200);
    expect(r.body.bundle_ids).toEqual(['fine']);
    expect(r.body.errors).toEqual([{ file: 'typo@1.0.0.flow', reason: expect.stringContaining(REASON) }]);
    expect((await gw.json('/api/gateway/bundles/typo')).status).toBe(404);
  });

  test('CLI validate and install: exit 1 with the same reason', async () => {
    const file = join(gw.dataDir, 'typo.flow');
    writeFileSync(file, bad);
    const v = await cli(['bundles', 'validate', file]);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain(REASON);
    const i = await cli(['bundles', 'install', file, '--data-dir', join(gw.dataDir, 'cli')]);
    expect(i.code).toBe(1);
    expect(i.stderr).toContain(REASON);
  });
});
