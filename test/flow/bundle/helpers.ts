// Builders for real `.flow` zips used by the bundle tests.

import { strToU8, zipSync } from 'fflate';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export type Json = Record<string, any>;

/** A minimal VisualFlow: on_flow_start (with `params` as output pins) → optional extra nodes → on_flow_end. */
export function flowDoc(id: string, opts: { params?: Record<string, unknown>; extraNodes?: Json[] } = {}): Json {
  const params = opts.params ?? {};
  return {
    id,
    name: id,
    nodes: [
      {
        id: 'start',
        type: 'on_flow_start',
        data: {
          label: 'On Flow Start',
          outputs: [{ id: 'exec-out', label: '', type: 'execution' }, ...Object.keys(params).map((p) => ({ id: p, label: p, type: 'string' }))],
          pinDefaults: Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)),
        },
      },
      ...(opts.extraNodes ?? []),
      { id: 'end', type: 'on_flow_end', data: { label: 'On Flow End', headerColor: '#333', inputs: [{ id: 'exec-in', type: 'execution' }] } },
    ],
    edges: [{ id: 'e1', source: 'start', sourceHandle: 'exec-out', target: 'end', targetHandle: 'exec-in' }],
    entryNode: 'start',
  };
}

export interface BundleSpec {
  id?: string;
  version?: string;
  createdAt?: string;
  /** flow_id -> doc; default one flow `root`. */
  flows?: Record<string, Json>;
  /** default: every flow id is an entrypoint */
  entrypoints?: string[];
  defaultEntrypoint?: string | null;
  metadata?: Json;
  /** merged over the generated manifest (a value of `undefined` deletes the key) */
  manifest?: Json;
  /** extra/override raw archive entries */
  files?: Record<string, Uint8Array | string>;
}

export function manifestFor(spec: BundleSpec): Json {
  const flows = spec.flows ?? { root: flowDoc('root') };
  const eps = spec.entrypoints ?? Object.keys(flows);
  const m: Json = {
    bundle_format_version: '1',
    bundle_id: spec.id ?? 'demo',
    bundle_version: spec.version ?? '0.0.1',
    created_at: spec.createdAt ?? '2026-01-24T00:00:00Z',
    entrypoints: eps.map((f) => ({ flow_id: f, name: f, description: '', interfaces: [] })),
    flows: Object.fromEntries(Object.keys(flows).map((f) => [f, `flows/${f}.json`])),
    artifacts: {},
    assets: {},
    metadata: spec.metadata ?? {},
  };
  if (spec.defaultEntrypoint !== null) m.default_entrypoint = spec.defaultEntrypoint ?? eps[0];
  for (const [k, v] of Object.entries(spec.manifest ?? {})) {
    if (v === undefined) delete m[k];
    else m[k] = v;
  }
  return m;
}

export function bundleBytes(spec: BundleSpec = {}): Uint8Array {
  const flows = spec.flows ?? { root: flowDoc('root') };
  const files: Record<string, Uint8Array> = { 'manifest.json': strToU8(JSON.stringify(manifestFor(spec), null, 2)) };
  for (const [f, doc] of Object.entries(flows)) files[`flows/${f}.json`] = strToU8(JSON.stringify(doc));
  for (const [name, v] of Object.entries(spec.files ?? {})) files[name] = typeof v === 'string' ? strToU8(v) : v;
  return zipSync(files);
}

/** Replace every occurrence of `from` by `to` (same byte length) in a zip: renames entries in place. */
export function patchName(zip: Uint8Array, from: string, to: string): Uint8Array {
  if (from.length !== to.length) throw new Error('patchName needs equal lengths');
  const out = zip.slice();
  const a = strToU8(from), b = strToU8(to);
  let hits = 0;
  for (let i = 0; i + a.length <= out.length; i++) {
    if (a.every((c, j) => out[i + j] === c)) { out.set(b, i); hits++; }
  }
  if (!hits) throw new Error(`patchName: ${from} not found`);
  return out;
}

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ag-'));
}

export function writeBundle(dir: string, fileName: string, spec: BundleSpec = {}): string {
  const p = path.join(dir, fileName);
  fs.writeFileSync(p, bundleBytes(spec));
  return p;
}
