// Bundles of the Python gateway (its ABSTRACTGATEWAY_FLOWS_DIR, usually outside the data dir): every `*.flow`
// is validated and installed as `<bundle_id>@<version>.flow`, so migrated runs find their workflows.
// Idempotent: a bundle already installed with identical bytes is "unchanged"; a different one with the same
// id@version is skipped (never overwritten) with the reason.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bundleFromBytes } from '../flow/bundle/bundle.ts';
import type { BundleRegistry } from '../flow/bundle/registry.ts';
import { sha256Hex } from '../util/json.ts';
import type { Bad } from './sources.ts';

export interface BundleImport { installed: string[]; unchanged: string[]; skipped: Bad[] }

export function importBundles(fromFlowsDir: string, registry: BundleRegistry): BundleImport {
  const out: BundleImport = { installed: [], unchanged: [], skipped: [] };
  if (!existsSync(fromFlowsDir) || !statSync(fromFlowsDir).isDirectory()) {
    out.skipped.push({ where: fromFlowsDir, reason: 'not a directory' });
    return out;
  }
  const installedBytes = (ref: string): string | null => {
    const p = join(registry.flowsDir, `${ref}.flow`);
    return existsSync(p) && statSync(p).isFile() ? sha256Hex(readFileSync(p)) : null;
  };
  for (const name of readdirSync(fromFlowsDir).filter((n) => n.endsWith('.flow')).sort()) {
    const path = join(fromFlowsDir, name);
    if (!statSync(path).isFile()) { out.skipped.push({ where: name, reason: 'unpacked bundle directories are not imported; pack it as a .flow' }); continue; }
    const bytes = new Uint8Array(readFileSync(path));
    let ref: string;
    try {
      const m = bundleFromBytes(bytes).manifest;
      ref = `${m.bundle_id}@${m.bundle_version}`;
    } catch (e) {
      out.skipped.push({ where: name, reason: e instanceof Error ? e.message : String(e) });
      continue;
    }
    const have = installedBytes(ref);
    if (have === sha256Hex(bytes)) { out.unchanged.push(ref); continue; }
    try {
      registry.install(bytes);
      out.installed.push(ref);
    } catch (e) {
      out.skipped.push({ where: name, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  if (out.installed.length) registry.reload();
  return out;
}
