import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import fs from 'node:fs';
import path from 'node:path';
import { DeprecationStore } from '../../../src/flow/bundle/deprecations.ts';
import { BundleRegistry } from '../../../src/flow/bundle/registry.ts';
import { BundleNotFound, EntrypointNotFound } from '../../../src/model/index.ts';
import { flowDoc, tmpDir, writeBundle } from './helpers.ts';

let dataDir: string;
let flowsDir: string;
beforeEach(() => { dataDir = tmpDir(); flowsDir = tmpDir(); });
afterEach(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(flowsDir, { recursive: true, force: true });
});

const fileOf = () => path.join(dataDir, 'workflow_deprecations.json');

describe('DeprecationStore', () => {
  test('round-trips the documented file format', () => {
    const store = new DeprecationStore(fileOf());
    expect(store.read()).toEqual({});
    const info = store.set('demo', 'root', 'retired');
    expect(info.deprecated_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(JSON.parse(fs.readFileSync(fileOf(), 'utf8'))).toEqual({ version: 1, bundles: { demo: { root: info } } });
    expect(new DeprecationStore(fileOf()).get('demo', 'root')).toEqual({ deprecated_at: info.deprecated_at, reason: 'retired' });
    expect(store.get('demo', 'other')).toBeNull();
    expect(store.remove('demo', 'root')).toBe(true);
    expect(store.remove('demo', 'root')).toBe(false);
    expect(JSON.parse(fs.readFileSync(fileOf(), 'utf8'))).toEqual({ version: 1, bundles: {} });
  });

  test('"*" covers every flow of the bundle', () => {
    const store = new DeprecationStore(fileOf());
    store.set('demo', '*', null);
    expect(store.get('demo', 'anything')).toMatchObject({ reason: null });
    expect(store.get('other', 'anything')).toBeNull();
  });

  test.each([['not json {'], ['{"version":2,"bundles":{}}'], ['{"version":1,"bundles":{"demo":{"root":{"reason":1}}}}']])(
    'a corrupt file (%s) is renamed aside and treated as empty',
    (content) => {
      fs.writeFileSync(fileOf(), content);
      const store = new DeprecationStore(fileOf());
      expect(store.read()).toEqual({});
      const aside = fs.readdirSync(dataDir).filter((n) => n.startsWith('workflow_deprecations.json.corrupt.'));
      expect(aside).toHaveLength(1);
      expect(fs.readFileSync(path.join(dataDir, aside[0]!), 'utf8')).toBe(content);
      expect(fs.existsSync(fileOf())).toBe(false);
      store.set('demo', 'root', null);
      expect(store.get('demo', 'root')).not.toBeNull();
    },
  );
});

describe('registry deprecations', () => {
  function setup(): BundleRegistry {
    const flows = { root: flowDoc('root'), other: flowDoc('other'), child: flowDoc('child') };
    writeBundle(flowsDir, 'demo-1.flow', { id: 'demo', version: '0.0.1', flows, entrypoints: ['root', 'other'] });
    writeBundle(flowsDir, 'demo-2.flow', { id: 'demo', version: '0.0.2', flows, entrypoints: ['root', 'other'] });
    const reg = new BundleRegistry({ flowsDir, dataDir });
    reg.reload();
    return reg;
  }

  test('deprecate/undeprecate responses and 404s', () => {
    const reg = setup();
    const res = reg.deprecate('demo', 'root', 'retired');
    expect(res).toEqual({ ok: true, bundle_id: 'demo', flow_id: 'root', deprecated_at: expect.stringMatching(/Z$/), reason: 'retired' });
    expect(reg.deprecate('demo@0.0.1', 'demo:other', ' ')).toMatchObject({ bundle_id: 'demo', flow_id: 'other', reason: null });
    for (const [bundle, flow, cls, message] of [
      ['nope', 'root', BundleNotFound, "Bundle 'nope' not found"],
      ['demo', 'child', EntrypointNotFound, "Entrypoint 'child' not found in bundle 'demo'"],
    ] as const) {
      let err: unknown;
      try { reg.deprecate(bundle, flow, null); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(cls);
      expect((err as Error).message).toBe(message);
    }
    expect(reg.undeprecate('demo', 'root')).toEqual({ ok: true, bundle_id: 'demo', flow_id: 'root', removed: true });
    expect(reg.undeprecate('demo', 'root')).toEqual({ ok: true, bundle_id: 'demo', flow_id: 'root', removed: false });
  });

  test('discovery hides deprecated entrypoints unless asked; every version is affected', () => {
    const reg = setup();
    reg.deprecate('demo', 'root', 'retired');
    expect(reg.isDeprecated('demo@0.0.1:root')).toBe(true);
    expect(reg.isDeprecated('demo:other')).toBe(false);
    expect(reg.list().items[0]!.entrypoints.map((e) => e.flow_id)).toEqual(['other']);
    expect(reg.list().default_bundle_id).toBe('demo');
    const full = reg.list({ includeDeprecated: true, allVersions: true }).items;
    expect(full).toHaveLength(2);
    for (const item of full) {
      expect(item.entrypoints[0]).toMatchObject({ flow_id: 'root', deprecated: true, deprecated_reason: 'retired', deprecated_at: expect.any(String) });
      expect(item.entrypoints[1]).toMatchObject({ flow_id: 'other', deprecated: false, deprecated_at: null, deprecated_reason: null });
    }
    expect(reg.get('demo').entrypoints[0]).toMatchObject({ flow_id: 'root', deprecated: true });

    reg.deprecate('demo', null, 'gone');
    expect(reg.list()).toEqual({ items: [], default_bundle_id: null });
    expect(reg.list({ includeDeprecated: true }).default_bundle_id).toBe('demo');
    expect(reg.deprecationOf('demo@0.0.2:other')).toMatchObject({ reason: 'gone' });
  });
});
