// A validated, in-memory WorkflowBundle: manifest + every flow it lists, parsed. Built from `.flow` bytes or
// an unpacked directory; all checks happen here so the registry only ever holds good bundles.

import fs from 'node:fs';
import { InvalidBundle, isPlainObject } from '../../model/index.ts';
import { sha256Hex } from '../../util/json.ts';
import { jsonTooDeep } from '../../util/json-depth.ts';
import type { FlowDoc } from './flowdoc.ts';
import { parseManifest, type Manifest } from './manifest.ts';
import { DEFAULT_LIMITS, readBundleDir, readZip, type ArchiveFiles, type ArchiveLimits } from './zip.ts';

export interface Bundle {
  manifest: Manifest;
  /** flow_id -> raw VisualFlow JSON, exactly as stored in the bundle. */
  flows: Map<string, FlowDoc>;
  /** sha256 of the `.flow` bytes (of manifest.json for an unpacked directory). */
  sha256: string;
}

const invalid = (m: string) => new InvalidBundle(`Invalid bundle: ${m}`);

/**
 * Deepest array/object nesting accepted in manifest.json and flow files. Real VisualFlows stay far below it; a
 * deeper document would pass JSON.parse but overflow the recursive walks that serve and run it.
 */
export const MAX_BUNDLE_JSON_DEPTH = 128;

function parseJson(files: ArchiveFiles, name: string): unknown {
  const bytes = files.get(name);
  if (!bytes) throw invalid(`${name} not found in bundle`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalid(`${name} is not UTF-8 text`);
  }
  if (jsonTooDeep(text, MAX_BUNDLE_JSON_DEPTH)) {
    throw invalid(`${name} nests arrays/objects deeper than ${MAX_BUNDLE_JSON_DEPTH} levels`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw invalid(`${name} is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** Validate archive contents as a bundle. */
export function bundleFromFiles(files: ArchiveFiles, sha256: string): Bundle {
  const manifest = parseManifest(parseJson(files, 'manifest.json'));
  const flows = new Map<string, FlowDoc>();
  for (const [flowId, rel] of Object.entries(manifest.flows)) {
    const name = rel.replace(/\\/g, '/');
    if (!files.has(name)) throw invalid(`flows.${flowId}: file '${name}' not found in bundle`);
    const doc = parseJson(files, name);
    if (!isPlainObject(doc)) throw invalid(`${name} must be a VisualFlow JSON object`);
    if (doc.nodes !== undefined && !Array.isArray(doc.nodes)) throw invalid(`${name}: "nodes" must be a list`);
    flows.set(flowId, doc);
  }
  return { manifest, flows, sha256 };
}

export function bundleFromBytes(bytes: Uint8Array, limits: ArchiveLimits = DEFAULT_LIMITS): Bundle {
  return bundleFromFiles(readZip(bytes, limits), sha256Hex(bytes));
}

/** Load a `.flow` zip file or an unpacked bundle directory. */
export function bundleFromPath(p: string, limits: ArchiveLimits = DEFAULT_LIMITS): Bundle {
  const st = fs.statSync(p);
  if (st.isDirectory()) {
    const files = readBundleDir(p, limits);
    return bundleFromFiles(files, sha256Hex(files.get('manifest.json') ?? new Uint8Array()));
  }
  if (!st.isFile()) throw invalid('not a regular file or directory');
  if (st.size > limits.maxTotalBytes) throw invalid(`file is too large (${st.size} bytes > ${limits.maxTotalBytes})`);
  return bundleFromBytes(new Uint8Array(fs.readFileSync(p)), limits);
}
