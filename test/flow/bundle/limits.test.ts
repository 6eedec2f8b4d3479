// Hostile bundles (issue 12 §5): ids that cannot name a file, and flow JSON nested deeper than the engine can
// walk, are refused at install/validate and skipped (with a reason) when dropped into the flows directory.
import { describe, expect, test } from 'bun:test';
import fs from 'node:fs';
import path from 'node:path';
import { validateBundle } from '../../../src/cli/bundles.ts';
import { bundleFromBytes, MAX_BUNDLE_JSON_DEPTH } from '../../../src/flow/bundle/bundle.ts';
import { MAX_BUNDLE_ID_LENGTH, unsafeBundleName } from '../../../src/flow/bundle/refs.ts';
import { BundleRegistry } from '../../../src/flow/bundle/registry.ts';
import { DomainError } from '../../../src/model/index.ts';
import { bundleBytes, flowDoc, tmpDir, writeBundle } from './helpers.ts';

const nested = (depth: number) => ({ ...flowDoc('root'), metadata: JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown });
const deepFlowText = (depth: number) => JSON.stringify(flowDoc('root')).replace(/}$/, `,"metadata":${'['.repeat(depth)}${']'.repeat(depth)}}`);

function thrown(fn: () => unknown): DomainError {
  try { fn(); } catch (e) { if (e instanceof DomainError) return e; throw e; }
  throw new Error('expected a DomainError');
}

describe('bundle id rule', () => {
  test('long, traversal and NUL ids are unsafe; ordinary ones are fine', () => {
    expect(unsafeBundleName('bundle_id', 'demo-1_x')).toBeNull();
    expect(unsafeBundleName('bundle_version', '1.2.3')).toBeNull();
    expect(unsafeBundleName('bundle_id', 'a'.repeat(MAX_BUNDLE_ID_LENGTH))).toBeNull();
    expect(unsafeBundleName('bundle_id', 'a'.repeat(5000))).toBe(`bundle_id '${'a'.repeat(40)}…' (5000 characters) is not a safe file name: at most ${MAX_BUNDLE_ID_LENGTH} characters`);
    expect(unsafeBundleName('bundle_id', '../..')).toContain('is not a safe file name');
    expect(unsafeBundleName('bundle_id', 'a\0b')).toContain("use 'a-b'");
  });

  test('install of a 5,000-character bundle_id → 400 unsafe_bundle_id naming no path, nothing written', () => {
    const dir = tmpDir();
    const reg = new BundleRegistry({ flowsDir: dir, dataDir: dir });
    const e = thrown(() => reg.install(bundleBytes({ id: 'x'.repeat(5000) })));
    expect([e.kind, e.errCode]).toEqual(['invalid', 'unsafe_bundle_id']);
    expect(e.message).not.toContain(dir);
    expect(fs.readdirSync(dir).filter((n) => n.endsWith('.flow') || n.endsWith('.tmp'))).toEqual([]);
  });

  test('files dropped into the flows dir with unsafe ids are skipped with a reason; good ones load', () => {
    const dir = tmpDir();
    writeBundle(dir, 'good.flow', { id: 'good' });
    writeBundle(dir, 'dots.flow', { id: '../..' });
    writeBundle(dir, 'nul.flow', { id: 'a\0b' });
    writeBundle(dir, 'long.flow', { id: 'l'.repeat(300) });
    writeBundle(dir, 'ver.flow', { id: 'okid', version: '1/../../x' });
    const res = new BundleRegistry({ flowsDir: dir, dataDir: dir }).reload();
    expect(res.bundle_ids).toEqual(['good']);
    expect(res.errors.map((e) => e.file).sort()).toEqual(['dots.flow', 'long.flow', 'nul.flow', 'ver.flow']);
    for (const e of res.errors) expect(e.reason).toMatch(/^skipped: bundle_(id|version) .* is not a safe file name/);
  });
});

describe('flow JSON depth', () => {
  test(`a flow nested deeper than ${MAX_BUNDLE_JSON_DEPTH} levels is refused at upload (fast), at the limit it loads`, () => {
    const t = performance.now();
    const e = thrown(() => bundleFromBytes(bundleBytes({ files: { 'flows/root.json': deepFlowText(100_000) } })));
    expect(performance.now() - t).toBeLessThan(1000); // generous: the scan is linear
    expect([e.kind, e.errCode]).toEqual(['invalid', 'invalid_bundle']);
    expect(e.message).toBe(`Invalid bundle: flows/root.json nests arrays/objects deeper than ${MAX_BUNDLE_JSON_DEPTH} levels`);
    // the flow object is level 1 and metadata's arrays come below it
    expect(bundleFromBytes(bundleBytes({ flows: { root: nested(MAX_BUNDLE_JSON_DEPTH - 1) } })).flows.size).toBe(1);
    expect(thrown(() => bundleFromBytes(bundleBytes({ flows: { root: nested(MAX_BUNDLE_JSON_DEPTH) } }))).errCode).toBe('invalid_bundle');
  });

  test('`bundles validate` reports it; a deep manifest is refused the same way', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'deep.flow');
    fs.writeFileSync(file, bundleBytes({ files: { 'flows/root.json': deepFlowText(100_000) } }));
    const v = await validateBundle(file);
    expect(v.ok).toBe(false);
    expect(v.errors[0]).toContain('nests arrays/objects deeper than');
    const m = thrown(() => bundleFromBytes(bundleBytes({ metadata: { x: nested(200).metadata } })));
    expect(m.message).toContain('manifest.json nests arrays/objects deeper than');
  });
});
