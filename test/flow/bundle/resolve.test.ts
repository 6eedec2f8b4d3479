// runs/start entrypoint resolution (gateway-contract.md §4.4.1): every rule and error message.

import { afterAll, describe, expect, test } from 'bun:test';
import fs from 'node:fs';
import { BundleRegistry, type StartRequest } from '../../../src/flow/bundle/registry.ts';
import { GatewayError } from '../../../src/util/errors.ts';
import { flowDoc, tmpDir, writeBundle } from './helpers.ts';

const flowsDir = tmpDir();
const dataDir = tmpDir();
const soloDir = tmpDir();
const emptyDir = tmpDir();
afterAll(() => { for (const d of [flowsDir, dataDir, soloDir, emptyDir]) fs.rmSync(d, { recursive: true, force: true }); });

const demoFlows = { root: flowDoc('root'), other: flowDoc('other'), child: flowDoc('child') };
for (const version of ['0.0.1', '0.0.2']) {
  writeBundle(flowsDir, `demo@${version}.flow`, { id: 'demo', version, flows: demoFlows, entrypoints: ['root', 'other'], defaultEntrypoint: 'root' });
}
writeBundle(flowsDir, 'solo@1.0.0.flow', { id: 'solo', version: '1.0.0' });
writeBundle(flowsDir, 'multi@0.0.1.flow', { id: 'multi', flows: { a: flowDoc('a'), b: flowDoc('b') }, defaultEntrypoint: null });
const registry = new BundleRegistry({ flowsDir, dataDir });
const setup = registry.reload();
if (!setup.ok) throw new Error(`fixture bundles failed to load: ${JSON.stringify(setup.errors)}`);

function fails(req: StartRequest, status: number, message: string, reg = registry): void {
  let err: unknown;
  try { reg.resolveStart(req); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(GatewayError);
  expect({ status: (err as GatewayError).status, message: (err as GatewayError).message }).toEqual({ status, message });
}

const target = (bundle_id: string, bundle_version: string, flow_id: string) =>
  ({ workflow_id: `${bundle_id}@${bundle_version}:${flow_id}`, bundle_id, bundle_version, flow_id });

describe('resolveStart', () => {
  test('requires flow_id or bundle_id (plain 400, no prefix)', () => {
    fails({}, 400, 'flow_id is required (or provide bundle_id to start a bundle entrypoint)');
    fails({ flow_id: '  ', bundle_id: '' }, 400, 'flow_id is required (or provide bundle_id to start a bundle entrypoint)');
  });

  test('no flow_id: the only entrypoint, else default_entrypoint, else 400', () => {
    expect(registry.resolveStart({ bundle_id: 'solo' })).toEqual(target('solo', '1.0.0', 'root'));
    expect(registry.resolveStart({ bundle_id: 'demo' })).toEqual(target('demo', '0.0.2', 'root'));
    expect(registry.resolveStart({ bundle_id: 'demo@0.0.1' })).toEqual(target('demo', '0.0.1', 'root'));
    expect(registry.resolveStart({ bundle_id: 'demo', bundle_version: '0.0.1' })).toEqual(target('demo', '0.0.1', 'root'));
    fails({ bundle_id: 'multi' }, 400, "Failed to start run: Bundle 'multi@0.0.1' has 2 entrypoints; specify flow_id");
  });

  test('bare flow_id: namespaced under bundle_id; any flow of the bundle can start', () => {
    expect(registry.resolveStart({ bundle_id: 'demo', flow_id: 'other' })).toEqual(target('demo', '0.0.2', 'other'));
    expect(registry.resolveStart({ bundle_id: 'demo', flow_id: 'child' })).toEqual(target('demo', '0.0.2', 'child'));
    expect(registry.resolveStart({ bundle_id: 'demo', bundle_version: '0.0.1', flow_id: 'child' })).toEqual(target('demo', '0.0.1', 'child'));
  });

  test('bare flow_id without bundle_id: the single loaded bundle, else 400 / 404', () => {
    fails({ flow_id: 'root' }, 400, "Failed to start run: bundle_id is required when multiple bundles are loaded (flow_id 'root')");
    writeBundle(soloDir, 'only.flow', { id: 'only', version: 'dev' });
    const one = new BundleRegistry({ flowsDir: soloDir, dataDir });
    one.reload();
    expect(one.resolveStart({ flow_id: 'root' })).toEqual(target('only', 'dev', 'root'));
    const none = new BundleRegistry({ flowsDir: emptyDir, dataDir });
    none.reload();
    fails({ flow_id: 'root' }, 404, "Flow 'root' not found", none);
  });

  test('namespaced flow_id: version from prefix, bundle_version or latest', () => {
    expect(registry.resolveStart({ flow_id: 'demo:other' })).toEqual(target('demo', '0.0.2', 'other'));
    expect(registry.resolveStart({ flow_id: 'demo@0.0.1:other' })).toEqual(target('demo', '0.0.1', 'other'));
    expect(registry.resolveStart({ flow_id: 'demo:root', bundle_version: '0.0.1' })).toEqual(target('demo', '0.0.1', 'root'));
    expect(registry.resolveStart({ flow_id: 'demo@0.0.1:root', bundle_id: 'demo', bundle_version: '0.0.1' })).toEqual(target('demo', '0.0.1', 'root'));
  });

  test('conflicts are 400 "Failed to start run: ..."', () => {
    fails({ flow_id: 'demo:root', bundle_id: 'solo' }, 400, 'Failed to start run: flow_id bundle prefix does not match bundle_id');
    fails({ flow_id: 'demo@0.0.1:root', bundle_version: '0.0.2' }, 400, "Failed to start run: flow_id version '0.0.1' conflicts with bundle_version '0.0.2'");
    fails({ flow_id: 'demo@0.0.1:root', bundle_id: 'demo@0.0.2' }, 400, "Failed to start run: flow_id version '0.0.1' conflicts with bundle_version '0.0.2'");
    fails({ bundle_id: 'demo@0.0.1', bundle_version: '0.0.2' }, 400,
      "Failed to start run: bundle_version conflicts with bundle_id (bundle_id already includes '@version')");
  });

  test('unknown bundle, version or flow is 404', () => {
    fails({ bundle_id: 'nope' }, 404, "Bundle 'nope' not found");
    fails({ bundle_id: 'demo', bundle_version: '9.9.9' }, 404, "Bundle 'demo@9.9.9' not found");
    fails({ flow_id: 'demo@9.9.9:root' }, 404, "Bundle 'demo@9.9.9' not found");
    fails({ bundle_id: 'demo', flow_id: 'ghost' }, 404, "Flow 'ghost' not found in bundle 'demo@0.0.2'");
    fails({ flow_id: 'demo:ghost' }, 404, "Flow 'ghost' not found in bundle 'demo@0.0.2'");
  });

  test('a non-bundle namespaced id passes through for dynamic workflows', () => {
    expect(registry.resolveStart({ flow_id: 'scheduled:1234' })).toEqual({
      workflow_id: 'scheduled:1234', bundle_id: null, bundle_version: null, flow_id: 'scheduled:1234',
    });
  });

  test('deprecated workflows are 409 (per flow, and whole bundle via "*")', () => {
    registry.deprecate('demo', 'root', 'retired');
    try {
      fails({ bundle_id: 'demo' }, 409, "Workflow 'demo:root' is deprecated: retired");
      fails({ flow_id: 'demo@0.0.1:root' }, 409, "Workflow 'demo:root' is deprecated: retired");
      expect(registry.resolveStart({ bundle_id: 'demo', flow_id: 'other' }).flow_id).toBe('other');
      registry.deprecate('demo', null, null);
      fails({ bundle_id: 'demo', flow_id: 'other' }, 409, "Workflow 'demo:other' is deprecated");
    } finally {
      registry.undeprecate('demo', 'root');
      registry.undeprecate('demo', null);
    }
    expect(registry.resolveStart({ bundle_id: 'demo' }).flow_id).toBe('root');
  });
});
