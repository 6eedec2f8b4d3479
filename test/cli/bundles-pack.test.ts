// `bundles pack DIR --entry ID --out FILE.flow` through the real CLI: the packed bundle validates, installs and runs
// in a bundle-mode gateway; missing references and bad arguments fail with what to do.
import { afterAll, describe, expect, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createGateway } from '../../src/gateway.ts';
import { tempDir } from '../support/harness.ts';
import { end, flow, lit, n, start } from '../support/visualflow.ts';
import { cli, cliJson } from './helpers.ts';

const tmp = tempDir('ag-cli-pack-');
afterAll(() => tmp.cleanup());
const dir = join(tmp.path, 'authoring');
mkdirSync(dir);
const put = (f: string, doc: unknown) => writeFileSync(join(dir, f), JSON.stringify(doc));
put('main.json', flow('main', [start('s'), n('sub', 'subflow', { in: ['exec-in'], out: ['exec-out', 'tag'], subflowId: 'child' }), end('e', ['tag'])],
  ['s.exec-out>sub.exec-in', 'sub.exec-out>e.exec-in', 'sub.tag>e.tag']));
put('child.json', flow('child', [start('s'), lit('t', 'from-child'), end('e', ['tag'])], ['s.exec-out>e.exec-in', 't.value>e.tag']));
put('orphan.json', flow('orphan', [start('s'), n('sub', 'subflow', { in: ['exec-in'], out: ['exec-out'], subflowId: 'gone' }), end('e')], ['s.exec-out>sub.exec-in']));

describe('bundles pack', () => {
  test('packs the entry and its subflows into a bundle that validates and runs', async () => {
    const out = join(tmp.path, 'demo.flow');
    const packed = await cliJson(['bundles', 'pack', dir, '--entry', 'main', '--out', out, '--bundle-id', 'demo', '--bundle-version', '1.0.0']);
    expect(packed).toMatchObject({ ok: true, file: out, bundle_ref: 'demo@1.0.0', flows: ['child', 'main'] });
    expect((await cli(['bundles', 'validate', out])).code).toBe(0);

    const dataDir = join(tmp.path, 'data');
    expect((await cli(['bundles', 'install', out, '--data-dir', dataDir])).code).toBe(0);
    const gw = await createGateway({ ...loadConfig({}, { dataDir }), pollMs: 20 }, { env: {}, log: () => {} });
    try {
      const target = gw.registry.resolveStart({ flow_id: 'main' });
      expect(target.workflow_id).toBe('demo@1.0.0:main');
      const run = await gw.runtime.start(target.workflow_id);
      await gw.runner.start();
      await gw.runner.idle();
      expect(await gw.store.runs.get(run.run_id)).toMatchObject({ status: 'completed', output: { tag: 'from-child' } });
    } finally {
      await gw.close();
    }
  });

  test('a missing reference fails with the ids and what to do; bad arguments are usage errors', async () => {
    const r = await cli(['bundles', 'pack', dir, '--entry', 'orphan', '--out', join(tmp.path, 'o.flow')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Flow 'orphan' references missing flows: gone");
    expect(r.stderr).toContain('Add the missing flow documents');
    expect((await cli(['bundles', 'pack', join(tmp.path, 'nope'), '--entry', 'main'])).code).toBe(2);
    expect((await cli(['bundles', 'pack', dir, '--entry', 'main', '--bundle-id', 'a b'])).code).toBe(2);
  });
});
