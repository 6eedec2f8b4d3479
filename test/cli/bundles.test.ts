import { afterAll, describe, expect, test } from 'bun:test';
import { zipSync } from 'fflate';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/harness.ts';
import { EXAMPLES, cli, cliJson, dataDirWithExamples } from './helpers.ts';

const tmp = tempDir('ag-cli-bundles-');
afterAll(() => tmp.cleanup());
const { dataDir, flowsDir } = dataDirWithExamples(join(tmp.path, 'data'));
const dd = ['--data-dir', dataDir];

const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
function flowFile(name: string, manifest: unknown, flows: Record<string, unknown>): string {
  const files: Record<string, Uint8Array> = { 'manifest.json': enc(manifest) };
  for (const [p, v] of Object.entries(flows)) files[p] = enc(v);
  const path = join(tmp.path, name);
  writeFileSync(path, zipSync(files));
  return path;
}
const manifest = (id: string, extra: Record<string, unknown> = {}) => ({
  bundle_format_version: '1', bundle_id: id, bundle_version: '0.1.0', entrypoints: [{ flow_id: 'f' }], flows: { f: 'flows/f.json' }, ...extra,
});
const endOnly = { id: 'f', nodes: [{ id: 'a', type: 'on_flow_start', data: { outputs: [{ id: 'exec-out', type: 'execution' }] } },
  { id: 'b', type: 'on_flow_end', data: { inputs: [{ id: 'exec-in', type: 'execution' }] } }],
  edges: [{ source: 'a', sourceHandle: 'exec-out', target: 'b', targetHandle: 'exec-in' }], entryNode: 'a' };

describe('bundles', () => {
  test('list and show the installed examples', async () => {
    const list = await cliJson(['bundles', 'list', ...dd]);
    expect(list.items.map((b: any) => b.bundle_ref)).toEqual(['ask@1.0.0', 'countdown@1.0.0', 'hello@1.0.0']);
    const human = await cli(['bundles', 'list', ...dd]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/hello@1\.0\.0\s+hello\s+Hello/);
    const show = await cliJson(['bundles', 'show', 'hello', ...dd]);
    expect(show.entrypoints[0]).toMatchObject({ flow_id: 'hello', workflow_id: 'hello@1.0.0:hello' });
    expect(show.entrypoints[0].inputs.map((i: any) => i.id)).toEqual(['name']);
    const missing = await cli(['bundles', 'show', 'nope', ...dd]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("Bundle 'nope' not found");
  });

  test('validate accepts good bundles and explains bad ones', async () => {
    const good = await cli(['bundles', 'validate', join(EXAMPLES, 'countdown@1.0.0.flow')]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('valid countdown@1.0.0');
    expect(good.stdout).toMatch(/ok flow countdown: \d+ nodes, entry start/);

    const dir = await cli(['bundles', 'validate', join(EXAMPLES, '..', 'examples', 'ask')]); // unpacked bundle dir
    expect(dir.code).toBe(0);
    expect(dir.stdout).toContain('valid ask@1.0.0');

    const badManifest = flowFile('bad-manifest.flow', { ...manifest('x'), bundle_format_version: '2' }, { 'flows/f.json': endOnly });
    const r1 = await cli(['bundles', 'validate', badManifest, '--json']);
    expect(r1.code).toBe(1);
    expect(JSON.parse(r1.stdout).errors[0]).toContain('bundle_format_version');

    const fanOut = { ...endOnly, nodes: [...endOnly.nodes, { id: 'c', type: 'on_flow_end', data: { inputs: [{ id: 'exec-in', type: 'execution' }] } }],
      edges: [...endOnly.edges, { source: 'a', sourceHandle: 'exec-out', target: 'c', targetHandle: 'exec-in' }] };
    const badFlow = flowFile('bad-flow.flow', manifest('y'), { 'flows/f.json': fanOut });
    const r2 = await cli(['bundles', 'validate', badFlow]);
    expect(r2.code).toBe(1);
    expect(r2.stdout).toContain('invalid');
    expect(r2.stdout).toMatch(/x flow f: .*cannot be compiled/);

    writeFileSync(join(tmp.path, 'not-a-zip.flow'), 'hello');
    const r3 = await cli(['bundles', 'validate', join(tmp.path, 'not-a-zip.flow')]);
    expect(r3.code).toBe(1);
    expect(r3.stdout).toContain('not a zip file');
    expect((await cli(['bundles', 'validate', join(tmp.path, 'missing.flow')])).code).toBe(2);
  });

  test('install, refuse duplicates without --overwrite, remove', async () => {
    const file = flowFile('mine.flow', manifest('mine'), { 'flows/f.json': endOnly });
    const r = await cli(['bundles', 'install', file, ...dd]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Installed mine@0.1.0');
    expect(existsSync(join(flowsDir, 'mine@0.1.0.flow'))).toBe(true);

    const dup = await cli(['bundles', 'install', file, ...dd]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('already installed');
    expect(dup.stderr).toContain('--overwrite');
    expect((await cli(['bundles', 'install', file, '--overwrite', ...dd])).code).toBe(0);

    const invalid = flowFile('invalid.flow', { ...manifest('inv'), entrypoints: [] }, { 'flows/f.json': endOnly });
    const ri = await cli(['bundles', 'install', invalid, ...dd]);
    expect(ri.code).toBe(1);
    expect(ri.stderr).toContain('Not installed');
    expect(existsSync(join(flowsDir, 'inv@0.1.0.flow'))).toBe(false);

    expect(await cliJson(['bundles', 'remove', 'mine', ...dd])).toEqual({ ok: true, removed: 1 });
    expect(readdirSync(flowsDir).sort()).toEqual(['ask@1.0.0.flow', 'countdown@1.0.0.flow', 'hello@1.0.0.flow']);
    expect((await cli(['bundles', 'remove', 'mine', ...dd])).code).toBe(1);
  });
});
