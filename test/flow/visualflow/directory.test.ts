// The VisualFlow-directory source on fixtures written here: scanning (ids from documents, bad files, duplicates,
// missing references), content-addressed versions, reference closure, packing into a valid bundle, and the
// registry in visualflow mode resolving past versions from the real store's snapshots.
import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleFromBytes } from '../../../src/flow/bundle/bundle.ts';
import { BundleRegistry } from '../../../src/flow/bundle/registry.ts';
import { flowClosure, scanDirectory } from '../../../src/flow/visualflow/directory.ts';
import { packDirectory } from '../../../src/flow/visualflow/pack.ts';
import { SqliteStore } from '../../../src/store/index.ts';
import { tempDir } from '../../support/harness.ts';
import { sqliteSnapshots } from '../../support/snapshots.ts';
import { end, flow, lit, n, start } from '../../support/visualflow.ts';

const sub = (id: string, target: string) => n(id, 'subflow', { in: ['exec-in'], out: ['exec-out'], subflowId: target });
const leaf = (id: string, tag = 'x') => flow(id, [start('s'), lit('t', tag), end('e', ['tag'])], ['s.exec-out>e.exec-in', 't.value>e.tag']);
const calls = (id: string, ...targets: string[]) =>
  flow(id, [start('s'), ...targets.map((t, i) => sub(`c${i}`, t)), end('e')], ['s.exec-out>e.exec-in']);

let tmp: ReturnType<typeof tempDir>;
const put = (file: string, doc: unknown) => writeFileSync(join(tmp.path, file), typeof doc === 'string' ? doc : JSON.stringify(doc));
beforeEach(() => {
  tmp = tempDir('ag-vfdir-unit-');
});
afterEach(() => tmp.cleanup());

describe('scanDirectory', () => {
  test('flows are keyed by document id; bad files and duplicate ids are reported, not loaded', () => {
    put('a-file.json', leaf('a'));
    put('b.json', calls('b', 'a', 'ghost', 'phantom'));
    put('dup.json', leaf('a', 'other'));
    put('bad.json', '{');
    put('noid.json', { nodes: [] });
    put('list.json', [1]);
    put('ignored.txt', 'x');
    const s = scanDirectory(tmp.path);
    expect([...s.flows.keys()].sort()).toEqual(['a', 'b']);
    expect(s.files.get('a')).toBe('a-file.json');
    expect(s.missing.get('b')).toEqual(['ghost', 'phantom']);
    const reasons = Object.fromEntries(s.errors.map((e) => [e.file, e.reason]));
    expect(reasons['dup.json']).toBe("duplicate flow id 'a' (already loaded from a-file.json)");
    expect(reasons['bad.json']).toMatch(/^not valid JSON/);
    expect(reasons['noid.json']).toMatch(/needs a string "id"/);
    expect(reasons['list.json']).toMatch(/not a VisualFlow document/);
    expect(reasons['b.json']).toBe("flow 'b' references missing flows: ghost, phantom");
  });

  test('the version is content-addressed: an edit changes it, renaming a file does not', () => {
    put('a.json', leaf('a', 'one'));
    const v1 = scanDirectory(tmp.path).version;
    renameSync(join(tmp.path, 'a.json'), join(tmp.path, 'renamed.json'));
    expect(scanDirectory(tmp.path).version).toBe(v1);
    put('renamed.json', leaf('a', 'two'));
    expect(scanDirectory(tmp.path).version).not.toBe(v1);
    expect(v1).toMatch(/^dev\.[0-9a-f]{12}$/);
  });
});

test('flowClosure follows references transitively, survives cycles and names what is missing', () => {
  const flows = new Map<string, any>([['a', calls('a', 'b')], ['b', calls('b', 'c', 'a')], ['c', calls('c', 'c', 'x')], ['lone', leaf('lone')]]);
  expect(flowClosure(flows, 'a')).toEqual({ ids: ['a', 'b', 'c'], missing: ['x'] });
  expect(flowClosure(flows, 'lone')).toEqual({ ids: ['lone'], missing: [] });
});

describe('packDirectory', () => {
  test('the entry plus what it references, as a bundle the loader accepts', () => {
    put('main.json', calls('main', 'mid'));
    put('mid.json', calls('mid', 'leaf'));
    put('leaf.json', leaf('leaf'));
    put('unrelated.json', leaf('unrelated'));
    const p = packDirectory(tmp.path, { entry: 'main', bundleId: 'demo', bundleVersion: '1.2.3', createdAt: '2026-01-01T00:00:00Z' });
    const b = bundleFromBytes(p.bytes);
    expect(b.manifest).toMatchObject({ bundle_id: 'demo', bundle_version: '1.2.3', default_entrypoint: 'main', entrypoints: [{ flow_id: 'main', name: 'main' }] });
    expect([...b.flows.keys()].sort()).toEqual(['leaf', 'main', 'mid']);
    expect(b.flows.get('leaf')).toEqual(leaf('leaf'));
  });

  test('missing references and unknown entries fail with the ids', () => {
    put('main.json', calls('main', 'gone'));
    expect(() => packDirectory(tmp.path, { entry: 'main', bundleId: 'd' })).toThrow("Flow 'main' references missing flows: gone");
    expect(() => packDirectory(tmp.path, { entry: 'nope', bundleId: 'd' })).toThrow(/Flow 'nope' not found in .*known: main/);
  });
});

describe('BundleRegistry in visualflow mode', () => {
  test('a version used by a run comes back from the snapshots after the files changed, in a fresh registry', async () => {
    const store = SqliteStore.open(':memory:');
    put('main.json', calls('main', 'leaf'));
    put('leaf.json', leaf('leaf', 'old'));
    put('other.json', leaf('other'));
    const reg = new BundleRegistry({ flowsDir: tmp.path, dataDir: tmp.path, source: 'visualflow', snapshots: sqliteSnapshots(store) });
    reg.reload();
    const start1 = reg.resolveStart({ flow_id: 'main' });
    expect(start1.bundle_id).toBe(reg.directoryBundleId!);
    expect(reg.getWorkflow(start1.workflow_id)?.id).toBe(start1.workflow_id);
    expect(await store.flowSnapshots.documentCount()).toBe(2); // main + leaf, not the unrelated flow

    put('leaf.json', leaf('leaf', 'new'));
    const fresh = new BundleRegistry({ flowsDir: tmp.path, dataDir: tmp.path, source: 'visualflow', snapshots: sqliteSnapshots(store) });
    fresh.reload();
    expect(fresh.resolveStart({ flow_id: 'main' }).workflow_id).not.toBe(start1.workflow_id);
    const leafId = start1.workflow_id.replace(/:main$/, ':leaf');
    expect(fresh.getWorkflow(leafId)?.nodes.find((x: any) => x.id === 't').data.literalValue).toBe('old');
    // The subflow reference inside the old main points at the old leaf (namespaced within its version).
    expect(fresh.getWorkflow(start1.workflow_id)?.nodes.find((x: any) => x.id === 'c0').data.subflowId).toBe(leafId);
    expect(fresh.getWorkflow(start1.workflow_id.replace(/:main$/, ':other'))).toBeUndefined(); // never used, never stored
    expect(() => fresh.install(new Uint8Array([1]))).toThrow(/ABSTRACTGATEWAY_WORKFLOW_SOURCE=visualflow/);
    await store.close();
  });
});
