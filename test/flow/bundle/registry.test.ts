import { afterEach, beforeEach, describe, expect, test } from 'bun:test';
import fs from 'node:fs';
import path from 'node:path';
import { BundleRegistry } from '../../../src/flow/bundle/registry.ts';
import {
  BundleExists, BundleNotFound, DomainError, FlowNotFound, InvalidBundle, InvalidInput, InvalidReference,
} from '../../../src/model/index.ts';
import { bundleBytes, flowDoc, manifestFor, tmpDir, writeBundle } from './helpers.ts';

let flowsDir: string;
let dataDir: string;
let registry: BundleRegistry;

beforeEach(() => {
  flowsDir = tmpDir();
  dataDir = tmpDir();
  registry = new BundleRegistry({ flowsDir, dataDir });
});
afterEach(() => {
  fs.rmSync(flowsDir, { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function error(fn: () => unknown): DomainError {
  try { fn(); } catch (e) { if (e instanceof DomainError) return e; throw e; }
  throw new Error('expected a DomainError');
}

const sha = (b: Uint8Array) => new Bun.CryptoHasher('sha256').update(b).digest('hex');

describe('reload', () => {
  test('a broken file is reported and skipped; good bundles stay loaded', () => {
    writeBundle(flowsDir, 'good.flow', { id: 'good' });
    expect(registry.reload()).toEqual({ ok: true, bundle_ids: ['good'], count: 1, errors: [] });

    fs.writeFileSync(path.join(flowsDir, 'garbage.flow'), 'not a zip');
    writeBundle(flowsDir, 'badmanifest.flow', { id: 'bad', manifest: { bundle_format_version: '2' } });
    writeBundle(flowsDir, 'z-dup.flow', { id: 'good' }); // same id@version as good.flow (files load in name order)
    fs.writeFileSync(path.join(flowsDir, 'ignored.txt'), 'not a bundle');
    const res = registry.reload();
    expect(res.ok).toBe(false);
    expect(res.bundle_ids).toEqual(['good']);
    expect(res.errors.map((e) => e.file)).toEqual(['badmanifest.flow', 'garbage.flow', 'z-dup.flow']);
    expect(res.errors[0]!.reason).toContain('bundle_format_version: Unsupported WorkflowBundle bundle_format_version');
    expect(res.errors[1]!.reason).toContain('Invalid bundle archive: not a zip file');
    expect(res.errors[2]!.reason).toBe('duplicate bundle good@0.0.1 (already loaded from good.flow)');
    expect(registry.get('good').bundle_ref).toBe('good@0.0.1');
  });

  test('an unpacked `<name>.flow/` directory inside flowsDir loads and can be removed', () => {
    const dir = path.join(flowsDir, 'unpacked.flow');
    fs.mkdirSync(path.join(dir, 'flows'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifestFor({ id: 'plain', version: 'dev' })));
    fs.writeFileSync(path.join(dir, 'flows', 'root.json'), JSON.stringify(flowDoc('root')));
    expect(registry.reload()).toMatchObject({ ok: true, bundle_ids: ['plain'] });
    expect(registry.getWorkflow('plain@dev:root')?.id).toBe('plain@dev:root');
    expect(registry.remove('plain')).toBe(1);
    expect(fs.existsSync(dir)).toBe(false);
  });

  test('a missing flows directory is simply empty; removed files disappear on reload', () => {
    const reg = new BundleRegistry({ flowsDir: path.join(flowsDir, 'nope'), dataDir });
    expect(reg.reload()).toEqual({ ok: true, bundle_ids: [], count: 0, errors: [] });
    writeBundle(flowsDir, 'a.flow', { id: 'a' });
    registry.reload();
    expect(registry.getWorkflow('a@0.0.1:root')).toBeDefined();
    fs.rmSync(path.join(flowsDir, 'a.flow'));
    registry.reload();
    expect(registry.getWorkflow('a@0.0.1:root')).toBeUndefined();
    expect(registry.bundleIds()).toEqual([]);
  });

  test('mtimeSignature / reloadIfChanged notice files written by another process', () => {
    registry.reload();
    expect(registry.reloadIfChanged()).toBe(false);
    const before = registry.mtimeSignature();
    // A separate process (as the API would be) installs a bundle.
    const upload = path.join(dataDir, 'late.flow');
    fs.writeFileSync(upload, bundleBytes({ id: 'late' }));
    const script = `import { BundleRegistry } from ${JSON.stringify(path.resolve(import.meta.dir, '../../../src/flow/bundle/registry.ts'))};
      const [flowsDir, dataDir, upload] = process.argv.slice(-3);
      new BundleRegistry({ flowsDir, dataDir }).install(new Uint8Array(await Bun.file(upload).arrayBuffer()));`;
    const child = Bun.spawnSync([process.execPath, '-e', script, flowsDir, dataDir, upload], { stderr: 'pipe' });
    expect(child.stderr.toString()).toBe('');
    expect(child.exitCode).toBe(0);
    expect(registry.mtimeSignature()).not.toBe(before);
    expect(registry.getWorkflow('late@0.0.1:root')).toBeUndefined();
    expect(registry.reloadIfChanged()).toBe(true);
    expect(registry.getWorkflow('late@0.0.1:root')?.id).toBe('late@0.0.1:root');
    expect(registry.reloadIfChanged()).toBe(false);
  });
});

describe('versions', () => {
  beforeEach(() => {
    writeBundle(flowsDir, 'demo-1.flow', { id: 'demo', version: '0.0.1', createdAt: '2026-01-03T00:00:00Z', metadata: { n: 1 } });
    writeBundle(flowsDir, 'demo-10.flow', { id: 'demo', version: '0.0.10', createdAt: '2026-01-01T00:00:00Z', metadata: { n: 10 } });
    writeBundle(flowsDir, 'demo-draft.flow', { id: 'demo', version: 'draft.abc', createdAt: '2027-01-01T00:00:00Z' });
    writeBundle(flowsDir, 'scratch.flow', { id: 'scratch', version: 'draft.x', createdAt: '2026-01-01T00:00:00Z' });
    registry.reload();
  });

  test('latest is max semver, never a draft while a release exists; drafts-only bundles still list', () => {
    expect(registry.list().items.map((i) => i.bundle_ref)).toEqual(['demo@0.0.10', 'scratch@draft.x']);
    expect(registry.get('demo').metadata).toEqual({ n: 10 });
    expect(registry.get('demo@').bundle_version).toBe('0.0.10');
    expect(registry.get('demo', 'draft.abc').bundle_version).toBe('draft.abc');
    expect(registry.getWorkflow('demo:root')?.id).toBe('demo@0.0.10:root'); // legacy id → latest
    expect(registry.list({ allVersions: true }).items.map((i) => i.bundle_ref))
      .toEqual(['demo@0.0.10', 'demo@0.0.1', 'demo@draft.abc', 'scratch@draft.x']);
    expect(registry.list().default_bundle_id).toBeNull();
  });

  test('get: ref forms and errors', () => {
    expect(registry.get('demo@0.0.1.flow').bundle_version).toBe('0.0.1');
    expect(registry.get('demo', '0.0.1').bundle_ref).toBe('demo@0.0.1');
    expect(registry.get('demo@0.0.1', '0.0.1').bundle_ref).toBe('demo@0.0.1');
    const conflict = error(() => registry.get('demo@0.0.1', '0.0.10'));
    expect([conflict.constructor, conflict.message]).toEqual([InvalidReference, "bundle_version conflicts with bundle_id (bundle_id already includes '@version')"]);
    const unknown = error(() => registry.get('nope'));
    expect([unknown.constructor, unknown.message]).toEqual([BundleNotFound, "Bundle 'nope' not found"]);
    expect(error(() => registry.get('demo@1.0')).message).toBe("Bundle 'demo@1.0' not found");
  });

  test('getFlow returns the raw flow; namespaced flow ids must match', () => {
    const f = registry.getFlow('demo', 'root');
    expect(f).toMatchObject({ bundle_id: 'demo', bundle_version: '0.0.10', bundle_ref: 'demo@0.0.10', flow_id: 'root', workflow_id: 'demo@0.0.10:root' });
    expect(f.flow.id).toBe('root');
    f.flow.id = 'mutated';
    expect(registry.getFlow('demo', 'root').flow.id).toBe('root');
    expect(registry.getFlow('demo', 'demo@0.0.1:root').bundle_version).toBe('0.0.1');
    expect(registry.getFlow('demo', 'demo:root', '0.0.1').bundle_version).toBe('0.0.1');
    const prefix = error(() => registry.getFlow('demo', 'other:root'));
    expect([prefix.constructor, prefix.message]).toEqual([InvalidReference, 'flow_id bundle prefix does not match bundle_id']);
    expect(error(() => registry.getFlow('demo', 'demo@0.0.1:root', '0.0.10'))).toBeInstanceOf(InvalidReference);
    const missing = error(() => registry.getFlow('demo', 'ghost'));
    expect([missing.constructor, missing.message]).toEqual([FlowNotFound, "Flow 'ghost' not found in bundle 'demo@0.0.10'"]);
  });
});

describe('install / remove', () => {
  test('install writes <id>@<version>.flow atomically and returns the upload fields', () => {
    const bytes = bundleBytes({ id: 'demo', version: '0.0.1' });
    const info = registry.install(bytes);
    expect(info).toEqual({
      bundle_id: 'demo', bundle_version: '0.0.1', bundle_ref: 'demo@0.0.1', sha256: sha(bytes), default_entrypoint: 'root',
      entrypoints: [{ flow_id: 'root', name: 'root', description: '', interfaces: [] }],
    });
    expect(fs.readdirSync(flowsDir)).toEqual(['demo@0.0.1.flow']);
    expect(sha(new Uint8Array(fs.readFileSync(path.join(flowsDir, 'demo@0.0.1.flow'))))).toBe(sha(bytes));
    expect(registry.bundleIds()).toEqual([]); // install does not reload by itself
    registry.reload();
    expect(registry.list({ allVersions: true }).items.map((i) => i.bundle_ref)).toEqual(['demo@0.0.1']);
  });

  test('existing bundles need overwrite, including a hand-named file with the same id@version', () => {
    registry.install(bundleBytes({ id: 'demo', metadata: { v: 1 } }));
    const again = error(() => registry.install(bundleBytes({ id: 'demo', metadata: { v: 2 } })));
    expect([again.constructor, again.message]).toEqual([BundleExists, 'Bundle already installed: demo@0.0.1.flow']);
    registry.install(bundleBytes({ id: 'demo', metadata: { v: 2 } }), { overwrite: true });
    registry.reload();
    expect(registry.get('demo').metadata).toEqual({ v: 2 });

    writeBundle(flowsDir, 'legacy.flow', { id: 'old', version: '1.0.0' });
    expect(error(() => registry.install(bundleBytes({ id: 'old', version: '1.0.0' }))).message).toBe('Bundle already installed: legacy.flow');
    registry.install(bundleBytes({ id: 'old', version: '1.0.0' }), { overwrite: true });
    expect(fs.readdirSync(flowsDir).sort()).toEqual(['demo@0.0.1.flow', 'old@1.0.0.flow']);
  });

  test('install rejects unsafe ids (suggesting a safe one), invalid bytes and a single-file flows path', () => {
    const id = error(() => registry.install(bundleBytes({ id: 'my demo' })));
    expect([id.constructor, id.message]).toEqual([InvalidBundle, "bundle_id 'my demo' is not a safe file name; use 'my-demo'"]);
    expect(error(() => registry.install(bundleBytes({ id: '..' }))).message)
      .toBe('bundle_id \'..\' is not a safe file name; use only letters, digits, "_", "-"');
    expect(error(() => registry.install(bundleBytes({ version: '1.0/../../x' }))).message)
      .toBe("bundle_version '1.0/../../x' is not a safe file name; use '1.0-..-..-x'");
    expect(error(() => registry.install(new Uint8Array())).message).toBe('Invalid bundle archive: empty file');
    expect(error(() => registry.install(new TextEncoder().encode('PK nope')))).toBeInstanceOf(InvalidBundle);
    expect(fs.readdirSync(flowsDir)).toEqual([]); // nothing written, no temp files left

    const file = writeBundle(flowsDir, 'one.flow', { id: 'one' });
    const single = new BundleRegistry({ flowsDir: file, dataDir });
    expect(error(() => single.install(bundleBytes({ id: 'two' }))).message).toContain('is a single bundle, not a directory');
    expect(error(() => single.remove('one')).constructor).toBe(InvalidInput);
  });

  test('install creates a missing flows directory', () => {
    const reg = new BundleRegistry({ flowsDir: path.join(flowsDir, 'sub', 'dir'), dataDir });
    reg.install(bundleBytes({ id: 'x' }));
    expect(fs.readdirSync(path.join(flowsDir, 'sub', 'dir'))).toEqual(['x@0.0.1.flow']);
  });

  test('remove one version, all versions, then 404', () => {
    registry.install(bundleBytes({ id: 'demo', version: '0.0.1' }));
    registry.install(bundleBytes({ id: 'demo', version: '0.0.2' }));
    registry.install(bundleBytes({ id: 'demo', version: '0.0.3' }));
    registry.install(bundleBytes({ id: 'keep' }));
    expect(registry.remove('demo', '0.0.1')).toBe(1);
    const nothing = error(() => registry.remove('demo@0.0.1'));
    expect([nothing.constructor, nothing.message]).toEqual([BundleNotFound, "Bundle 'demo@0.0.1' not found"]);
    expect(error(() => registry.remove('demo@0.0.2', '0.0.3'))).toBeInstanceOf(InvalidReference);
    expect(registry.remove('demo')).toBe(2);
    expect(error(() => registry.remove('demo')).message).toBe("Bundle 'demo' not found");
    expect(fs.readdirSync(flowsDir)).toEqual(['keep@0.0.1.flow']);
  });
});

describe('namespacing', () => {
  test('intra-bundle subflow refs (all alias keys) are rewritten; foreign refs are kept; listeners are derived', () => {
    const node = (id: string, type: string, data: Record<string, unknown>) => ({ id, type, data });
    const root = flowDoc('root', {
      extraNodes: [
        node('s1', 'subflow', { subflowId: 'child' }),
        node('s2', 'subflow', { flowId: ' child ', workflowId: 'child', workflow_id: 'child' }),
        node('s3', 'subflow', { subflowId: 'scheduled:other' }),
        node('s4', 'NodeType.SUBFLOW', { subflowId: 'root' }),
        node('notsub', 'literal_string', { subflowId: 'child' }),
        node('ag', 'agent', { agentConfig: { tools: ['read_file'] } }),
        node('ev 1', 'on_event', { eventConfig: { name: 'ping' } }),
      ],
    });
    writeBundle(flowsDir, 'pack.flow', { id: 'pack', version: '1.2.3', flows: { root, child: flowDoc('child') }, entrypoints: ['root'] });
    registry.reload();
    const wf = registry.getWorkflow('pack@1.2.3:root')!;
    const data = (id: string) => wf.nodes.find((n: any) => n.id === id).data;
    expect(wf.id).toBe('pack@1.2.3:root');
    expect(data('s1').subflowId).toBe('pack@1.2.3:child');
    expect(data('s2')).toEqual({ flowId: 'pack@1.2.3:child', workflowId: 'pack@1.2.3:child', workflow_id: 'pack@1.2.3:child' });
    expect(data('s3').subflowId).toBe('scheduled:other');
    expect(data('s4').subflowId).toBe('pack@1.2.3:root');
    expect(data('notsub').subflowId).toBe('child');
    expect(data('ag').agentConfig).toEqual({ tools: ['read_file'], _react_workflow_id: 'visual_react_agent_pack_1_2_3_root_ag' });
    expect(registry.getWorkflow('pack@1.2.3:root')).toBe(wf); // cached

    const listenerId = 'visual_event_listener_pack_1_2_3_root_ev_1';
    expect(registry.listenerWorkflowIds('pack@1.2.3:root')).toEqual([listenerId]);
    expect(registry.listenerWorkflowIds('pack:child')).toEqual([]);
    const listener = registry.getWorkflow(listenerId)!;
    expect(listener.id).toBe(listenerId);
    expect(listener.entryNode).toBe('ev 1');
    expect(listener.nodes.find((n: any) => n.id === 's1').data.subflowId).toBe('pack@1.2.3:child');

    expect(registry.getFlow('pack', 'root').flow.nodes.find((n: any) => n.id === 's1').data.subflowId).toBe('child');
    expect(registry.getWorkflow('pack@1.2.3:ghost')).toBeUndefined();
    expect(registry.getWorkflow('ghost@1:root')).toBeUndefined();
    expect(registry.getWorkflow('root')).toBeUndefined();
  });
});
