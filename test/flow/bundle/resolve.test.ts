// runs/start entrypoint resolution (docs/runtime.md "Starting a run"): every rule and the domain error of each
// failure (the HTTP statuses and the `Failed to start run: ` prefix are asserted in test/http/runs.test.ts).

import { afterAll, describe, expect, test } from 'bun:test';
import fs from 'node:fs';
import { BundleRegistry, type StartRequest } from '../../../src/flow/bundle/registry.ts';
import {
  AmbiguousStart, BundleNotFound, Deprecated, FlowNotFound, InvalidInput, InvalidReference,
} from '../../../src/model/index.ts';
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

function fails(req: StartRequest, cls: abstract new (...a: never[]) => Error, message: string, reg = registry): void {
  let err: unknown;
  try { reg.resolveStart(req); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(cls);
  expect((err as Error).message).toBe(message);
}

const target = (bundle_id: string, bundle_version: string, flow_id: string) =>
  ({ workflow_id: `${bundle_id}@${bundle_version}:${flow_id}`, bundle_id, bundle_version, flow_id });

describe('resolveStart', () => {
  test('requires flow_id or bundle_id', () => {
    fails({}, InvalidInput, 'flow_id is required (or provide bundle_id to start a bundle entrypoint)');
    fails({ flow_id: '  ', bundle_id: '' }, InvalidInput, 'flow_id is required (or provide bundle_id to start a bundle entrypoint)');
  });

  test('no flow_id: the only entrypoint, else default_entrypoint, else AmbiguousStart', () => {
    expect(registry.resolveStart({ bundle_id: 'solo' })).toEqual(target('solo', '1.0.0', 'root'));
    expect(registry.resolveStart({ bundle_id: 'demo' })).toEqual(target('demo', '0.0.2', 'root'));
    expect(registry.resolveStart({ bundle_id: 'demo@0.0.1' })).toEqual(target('demo', '0.0.1', 'root'));
    expect(registry.resolveStart({ bundle_id: 'demo', bundle_version: '0.0.1' })).toEqual(target('demo', '0.0.1', 'root'));
    fails({ bundle_id: 'multi' }, AmbiguousStart, "Bundle 'multi@0.0.1' has 2 entrypoints; specify flow_id");
  });

  test('bare flow_id: namespaced under bundle_id; any flow of the bundle can start', () => {
    expect(registry.resolveStart({ bundle_id: 'demo', flow_id: 'other' })).toEqual(target('demo', '0.0.2', 'other'));
    expect(registry.resolveStart({ bundle_id: 'demo', flow_id: 'child' })).toEqual(target('demo', '0.0.2', 'child'));
    expect(registry.resolveStart({ bundle_id: 'demo', bundle_version: '0.0.1', flow_id: 'child' })).toEqual(target('demo', '0.0.1', 'child'));
  });

  test('bare flow_id without bundle_id: the single loaded bundle, else AmbiguousStart / FlowNotFound', () => {
    fails({ flow_id: 'root' }, AmbiguousStart, "bundle_id is required when multiple bundles are loaded (flow_id 'root')");
    writeBundle(soloDir, 'only.flow', { id: 'only', version: 'dev' });
    const one = new BundleRegistry({ flowsDir: soloDir, dataDir });
    one.reload();
    expect(one.resolveStart({ flow_id: 'root' })).toEqual(target('only', 'dev', 'root'));
    const none = new BundleRegistry({ flowsDir: emptyDir, dataDir });
    none.reload();
    fails({ flow_id: 'root' }, FlowNotFound, "Flow 'root' not found", none);
  });

  test('namespaced flow_id: version from prefix, bundle_version or latest', () => {
    expect(registry.resolveStart({ flow_id: 'demo:other' })).toEqual(target('demo', '0.0.2', 'other'));
    expect(registry.resolveStart({ flow_id: 'demo@0.0.1:other' })).toEqual(target('demo', '0.0.1', 'other'));
    expect(registry.resolveStart({ flow_id: 'demo:root', bundle_version: '0.0.1' })).toEqual(target('demo', '0.0.1', 'root'));
    expect(registry.resolveStart({ flow_id: 'demo@0.0.1:root', bundle_id: 'demo', bundle_version: '0.0.1' })).toEqual(target('demo', '0.0.1', 'root'));
  });

  test('contradictory references are InvalidReference', () => {
    fails({ flow_id: 'demo:root', bundle_id: 'solo' }, InvalidReference, 'flow_id bundle prefix does not match bundle_id');
    fails({ flow_id: 'demo@0.0.1:root', bundle_version: '0.0.2' }, InvalidReference, "flow_id version '0.0.1' conflicts with bundle_version '0.0.2'");
    fails({ flow_id: 'demo@0.0.1:root', bundle_id: 'demo@0.0.2' }, InvalidReference, "flow_id version '0.0.1' conflicts with bundle_version '0.0.2'");
    fails({ bundle_id: 'demo@0.0.1', bundle_version: '0.0.2' }, InvalidReference, "bundle_version conflicts with bundle_id (bundle_id already includes '@version')");
  });

  test('unknown bundle, version or flow is BundleNotFound / FlowNotFound', () => {
    fails({ bundle_id: 'nope' }, BundleNotFound, "Bundle 'nope' not found");
    fails({ bundle_id: 'demo', bundle_version: '9.9.9' }, BundleNotFound, "Bundle 'demo@9.9.9' not found");
    fails({ flow_id: 'demo@9.9.9:root' }, BundleNotFound, "Bundle 'demo@9.9.9' not found");
    fails({ bundle_id: 'demo', flow_id: 'ghost' }, FlowNotFound, "Flow 'ghost' not found in bundle 'demo@0.0.2'");
    fails({ flow_id: 'demo:ghost' }, FlowNotFound, "Flow 'ghost' not found in bundle 'demo@0.0.2'");
  });

  test('a non-bundle namespaced id passes through for dynamic workflows', () => {
    expect(registry.resolveStart({ flow_id: 'scheduled:1234' })).toEqual({
      workflow_id: 'scheduled:1234', bundle_id: null, bundle_version: null, flow_id: 'scheduled:1234',
    });
  });

  test('deprecated workflows are Deprecated (per flow, and whole bundle via "*")', () => {
    registry.deprecate('demo', 'root', 'retired');
    try {
      fails({ bundle_id: 'demo' }, Deprecated, "Workflow 'demo:root' is deprecated: retired");
      fails({ flow_id: 'demo@0.0.1:root' }, Deprecated, "Workflow 'demo:root' is deprecated: retired");
      expect(registry.resolveStart({ bundle_id: 'demo', flow_id: 'other' }).flow_id).toBe('other');
      registry.deprecate('demo', null, null);
      fails({ bundle_id: 'demo', flow_id: 'other' }, Deprecated, "Workflow 'demo:other' is deprecated");
    } finally {
      registry.undeprecate('demo', 'root');
      registry.undeprecate('demo', null);
    }
    expect(registry.resolveStart({ bundle_id: 'demo' }).flow_id).toBe('root');
  });
});
