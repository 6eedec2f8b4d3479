import { describe, expect, test } from 'bun:test';
import { strToU8, zipSync } from 'fflate';
import { DomainError, InvalidBundle } from '../../../src/model/index.ts';
import { bundleFromBytes } from '../../../src/flow/bundle/bundle.ts';
import { isSafeRelPath, parseManifest } from '../../../src/flow/bundle/manifest.ts';
import { bundleBytes, flowDoc, manifestFor } from './helpers.ts';

function error(fn: () => unknown): DomainError {
  try { fn(); } catch (e) { if (e instanceof DomainError) return e; throw e; }
  throw new Error('expected a DomainError');
}

const base = (over: Record<string, unknown> = {}) => ({ ...manifestFor({}), ...over });

describe('parseManifest', () => {
  test('fills defaults and accepts camelCase aliases', () => {
    const m = parseManifest({
      bundleFormatVersion: '1',
      bundleId: 'demo',
      entrypoints: [{ flowId: 'root' }, 'not-an-object'],
      defaultEntrypointFlowId: 'root',
      flows: { root: 'flows/root.json' },
    });
    expect(m.bundle_id).toBe('demo');
    expect(m.bundle_version).toBe('0.0.0');
    expect(m.created_at).toBe('');
    expect(m.entrypoints).toEqual([{ flow_id: 'root', name: 'root', description: '', interfaces: [] }]);
    expect(m.default_entrypoint).toBe('root');
    expect(m.metadata).toEqual({});
    const nulls = parseManifest({ ...manifestFor({}), bundle_version: null, metadata: null, entrypoints: [{ flow_id: 'root', name: null, description: null, interfaces: null }] });
    expect(nulls.bundle_version).toBe('0.0.0');
    expect(nulls.metadata).toEqual({});
    expect(nulls.entrypoints).toEqual([{ flow_id: 'root', name: 'root', description: '', interfaces: [] }]);
  });

  test.each([
    [{ bundle_format_version: '2' }, 'bundle_format_version: Unsupported WorkflowBundle bundle_format_version'],
    [{ bundle_format_version: undefined }, 'bundle_format_version: is required'],
    [{ bundle_id: '' }, 'bundle_id: must not be empty'],
    [{ bundle_id: 'a@b' }, 'bundle_id: must not contain "@" or ":"'],
    [{ bundle_version: 'v:1' }, 'bundle_version: must not contain ":"'],
    [{ bundle_version: 3 }, 'bundle_version: must be a string'],
    [{ entrypoints: [] }, 'entrypoints: must not be empty'],
    [{ entrypoints: undefined }, 'entrypoints: is required'],
    [{ entrypoints: [{ flow_id: '' }] }, 'entrypoints[0].flow_id: must not be empty'],
    [{ entrypoints: [{ flow_id: 'root' }, { flow_id: 'root' }] }, "entrypoints[1].flow_id: duplicate flow_id 'root'"],
    [{ entrypoints: [{ flow_id: 'other' }], default_entrypoint: 'other' }, "entrypoints[0].flow_id: 'other' is not listed in flows"],
    [{ entrypoints: [{ flow_id: 'root', description: 5 }] }, 'entrypoints[0].description: must be a string'],
    [{ entrypoints: [{ flow_id: 'root', interfaces: 'x' }] }, 'entrypoints[0].interfaces: must be a list of strings'],
    [{ default_entrypoint: 'nope' }, "default_entrypoint: 'nope' is not one of the entrypoint flow ids"],
    [{ flows: {} }, 'flows: must not be empty'],
    [{ flows: undefined }, 'flows: must not be empty'],
    [{ bundle_id: null }, 'bundle_id: is required'],
    [{ flows: { root: '../root.json' } }, 'flows.root: must be a safe relative path'],
    [{ flows: { root: '/root.json' } }, 'flows.root: must be a safe relative path'],
    [{ flows: { root: 'C:/root.json' } }, 'flows.root: must be a safe relative path'],
    [{ assets: { logo: 'a/../../x.png' } }, 'assets.logo: must be a safe relative path'],
    [{ metadata: [] }, 'metadata: must be an object'],
    [{ entrypoints: 'root' }, 'entrypoints: must be a list'],
    [{ flows: 'flows/root.json' }, 'flows: must be an object'],
    [{ flows: { '': 'a.json', root: 'flows/root.json' } }, 'flows: keys must be non-empty strings'],
    [{ flows: { root: 5 } }, 'flows.root: values must be strings'],
    [{ bundle_format_version: 1 }, 'bundle_format_version: Unsupported WorkflowBundle bundle_format_version'],
  ])('rejects %j', (over, message) => {
    const err = error(() => parseManifest(base(over)));
    expect(err).toBeInstanceOf(InvalidBundle);
    expect(err.message).toStartWith('Invalid bundle manifest: ');
    expect(err.message).toContain(message);
  });

  test('rejects a non-object manifest', () => {
    expect(error(() => parseManifest([])).message).toBe('Invalid bundle manifest: manifest.json must be a JSON object');
  });

  test('isSafeRelPath follows spec rule 5', () => {
    expect(isSafeRelPath('flows/a.json')).toBe(true);
    expect(isSafeRelPath('flows\\a.json')).toBe(true);
    for (const bad of ['', '/a', '\\a', 'c:/a', 'a/./b', 'a/../b', '..']) expect(isSafeRelPath(bad)).toBe(false);
  });
});

describe('bundleFromBytes', () => {
  test('loads manifest and flows and hashes the file', () => {
    const bytes = bundleBytes({ flows: { root: flowDoc('root'), child: flowDoc('child') }, entrypoints: ['root'] });
    const b = bundleFromBytes(bytes);
    expect(b.manifest.bundle_id).toBe('demo');
    expect([...b.flows.keys()].sort()).toEqual(['child', 'root']);
    expect(b.flows.get('child')!.id).toBe('child');
    expect(b.sha256).toBe(new Bun.CryptoHasher('sha256').update(bytes).digest('hex'));
  });

  test.each([
    ['missing manifest', zipSync({ 'flows/root.json': strToU8('{}') }), 'Invalid bundle: manifest.json not found in bundle'],
    ['manifest not JSON', zipSync({ 'manifest.json': strToU8('{nope') }), 'Invalid bundle: manifest.json is not valid JSON'],
    ['missing flow file', bundleBytes({ files: {} , manifest: { flows: { root: 'flows/missing.json' } } }), "Invalid bundle: flows.root: file 'flows/missing.json' not found in bundle"],
    ['non-JSON flow', bundleBytes({ files: { 'flows/root.json': 'not json' } }), 'Invalid bundle: flows/root.json is not valid JSON'],
    ['non-UTF-8 flow', bundleBytes({ files: { 'flows/root.json': new Uint8Array([0xff, 0xfe, 0x7b]) } }), 'Invalid bundle: flows/root.json is not UTF-8 text'],
    ['flow not an object', bundleBytes({ files: { 'flows/root.json': '[1,2]' } }), 'Invalid bundle: flows/root.json must be a VisualFlow JSON object'],
    ['nodes not a list', bundleBytes({ files: { 'flows/root.json': '{"nodes":{}}' } }), 'Invalid bundle: flows/root.json: "nodes" must be a list'],
  ])('rejects %s', (_name, bytes, message) => {
    const err = error(() => bundleFromBytes(bytes));
    expect(err).toBeInstanceOf(InvalidBundle);
    expect(err.message).toStartWith(message);
  });
});
