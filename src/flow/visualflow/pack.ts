// `bundles pack`: a directory of VisualFlow JSON → a `.flow` bundle (manifest format "1", docs/flows.md "Bundles") holding
// the entry flow plus every flow it references, transitively. A missing reference fails the pack with the ids.
import { strToU8, zipSync } from 'fflate';
import { InvalidReference, NotFound } from '../../model/index.ts';
import { nowIso } from '../../util/time.ts';
import type { Manifest } from '../bundle/manifest.ts';
import { flowClosure, manifestFor, scanDirectory } from './directory.ts';

export interface PackOptions {
  entry: string;
  bundleId: string;
  bundleVersion?: string;
  createdAt?: string;
}

export interface Packed {
  bytes: Uint8Array;
  manifest: Manifest;
  /** directory entries skipped while reading (bad JSON, duplicate ids) */
  skipped: { file: string; reason: string }[];
}

export function packDirectory(dir: string, opts: PackOptions): Packed {
  const scan = scanDirectory(dir);
  if (!scan.flows.has(opts.entry)) {
    const known = [...scan.flows.keys()].sort();
    throw new NotFound(`Flow '${opts.entry}' not found in ${dir} (flows are addressed by their document "id"${known.length ? `; known: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''}` : ''})`);
  }
  const { ids, missing } = flowClosure(scan.flows, opts.entry);
  if (missing.length) throw new InvalidReference(`Flow '${opts.entry}' references missing flows: ${missing.join(', ')}`, 'missing_flow_refs');
  const flows = new Map(ids.map((id) => [id, scan.flows.get(id)!]));
  const manifest = manifestFor({
    bundleId: opts.bundleId,
    version: opts.bundleVersion ?? '0.0.0',
    flows,
    createdAt: opts.createdAt ?? nowIso(),
    entrypoints: [opts.entry],
    defaultEntrypoint: opts.entry,
    metadata: { packed_from: 'visualflow-directory' },
  });
  const files: Record<string, Uint8Array> = { 'manifest.json': strToU8(JSON.stringify(manifest, null, 2)) };
  for (const [id, doc] of flows) files[`flows/${id}.json`] = strToU8(JSON.stringify(doc, null, 2));
  return { bytes: zipSync(files), manifest, skipped: scan.errors.filter((e) => !/references missing/.test(e.reason)) };
}
