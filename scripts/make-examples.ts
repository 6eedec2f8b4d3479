// Packs the readable example sources in assets/examples/<id>/{manifest.json,flows/*.json} into
// assets/bundles/<bundle_id>@<version>.flow (committed; embedded in the binary and seeded into new data dirs).
// Deterministic: fixed entry order (manifest first, then flows sorted) and a fixed mtime, so re-running it
// on unchanged sources produces identical bytes.
//   bun scripts/make-examples.ts [--check]   (--check: exit 1 when a committed .flow is out of date)
import { zipSync } from 'fflate';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleFromBytes } from '../src/flow/bundle/bundle.ts';

const root = join(import.meta.dir, '..', 'assets');
const check = process.argv.includes('--check');
const MTIME = new Date('2026-01-01T00:00:00Z');
let stale = 0;

export function packExample(dir: string): { name: string; bytes: Uint8Array } {
  const manifestBytes = readFileSync(join(dir, 'manifest.json'));
  const manifest = JSON.parse(manifestBytes.toString('utf8'));
  const files: Record<string, [Uint8Array, { mtime: Date; level: 9 }]> = {
    'manifest.json': [new Uint8Array(manifestBytes), { mtime: MTIME, level: 9 }],
  };
  for (const rel of Object.values(manifest.flows as Record<string, string>).sort()) {
    files[rel] = [new Uint8Array(readFileSync(join(dir, rel))), { mtime: MTIME, level: 9 }];
  }
  const bytes = zipSync(files);
  bundleFromBytes(bytes); // refuse to write an invalid bundle
  return { name: `${manifest.bundle_id}@${manifest.bundle_version}.flow`, bytes };
}

if (import.meta.main) {
  mkdirSync(join(root, 'bundles'), { recursive: true });
  for (const id of readdirSync(join(root, 'examples')).sort()) {
    const { name, bytes } = packExample(join(root, 'examples', id));
    const out = join(root, 'bundles', name);
    const same = existsSync(out) && Buffer.compare(readFileSync(out), Buffer.from(bytes)) === 0;
    if (check) {
      if (!same) { console.error(`out of date: assets/bundles/${name} (run bun scripts/make-examples.ts)`); stale++; }
      continue;
    }
    if (!same) writeFileSync(out, bytes);
    console.log(`${same ? 'unchanged' : 'wrote    '} assets/bundles/${name} (${bytes.length} bytes)`);
  }
  if (stale) process.exit(1);
}
