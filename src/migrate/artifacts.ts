// Artifacts of a Python data dir: `artifacts/refs/<id>.meta` pointing at `artifacts/blobs/<sha256>.bin`, plus
// the legacy v0 layout `artifacts/<id>.bin` + `artifacts/<id>.meta`. Each becomes an artifact of the target
// store (`store.artifacts.put` with its original id, run, type, tags and created_at), whatever the backend: the
// store keeps the bytes content-addressed (a blob already present is never rewritten). An id the target already
// holds is left alone.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSafeArtifactId, type Store } from '../store/index.ts';
import { sha256Hex } from '../util/json.ts';
import { nowIso } from '../util/time.ts';
import type { Bad } from './sources.ts';

export interface ArtifactCandidate { where: string; metaPath: string; legacyBin: string | null }

export function listArtifacts(fromDir: string): ArtifactCandidate[] {
  const base = join(fromDir, 'artifacts');
  const out: ArtifactCandidate[] = [];
  const refs = join(base, 'refs');
  if (existsSync(refs)) {
    for (const n of readdirSync(refs).sort()) if (n.endsWith('.meta')) out.push({ where: `artifacts/refs/${n}`, metaPath: join(refs, n), legacyBin: null });
  }
  if (existsSync(base)) {
    for (const n of readdirSync(base).sort()) {
      if (n.endsWith('.meta')) out.push({ where: `artifacts/${n}`, metaPath: join(base, n), legacyBin: join(base, n.slice(0, -5) + '.bin') });
    }
  }
  return out;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Imports one artifact; returns true when it was stored, false when the target already had that id, or a Bad. */
export async function importArtifact(store: Store, fromDir: string, cand: ArtifactCandidate): Promise<boolean | Bad> {
  const bad = (reason: string): Bad => ({ where: cand.where, reason });
  let meta: Record<string, any>;
  try {
    meta = JSON.parse(readFileSync(cand.metaPath, 'utf8'));
  } catch (e) {
    return bad(`invalid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof meta !== 'object' || meta === null) return bad('not a JSON object');
  const fallbackId = cand.metaPath.split('/').pop()!.slice(0, -5);
  const artifactId = typeof meta.artifact_id === 'string' && meta.artifact_id ? meta.artifact_id : fallbackId;
  if (!isSafeArtifactId(artifactId)) return bad(`unsafe artifact id ${JSON.stringify(artifactId)}`);
  if (await store.artifacts.meta(artifactId)) return false;

  let bytes: Uint8Array;
  if (cand.legacyBin) {
    if (!existsSync(cand.legacyBin)) return bad(`content file ${cand.legacyBin.split('/').pop()} is missing`);
    bytes = new Uint8Array(readFileSync(cand.legacyBin));
  } else {
    const blobId = String(meta.blob_id ?? '');
    if (!HEX64.test(blobId)) return bad(`blob_id ${JSON.stringify(meta.blob_id)} is not a sha256 hex digest`);
    const src = join(fromDir, 'artifacts', 'blobs', `${blobId}.bin`);
    if (!existsSync(src)) return bad(`blob artifacts/blobs/${blobId}.bin is missing`);
    bytes = new Uint8Array(readFileSync(src));
    if (sha256Hex(bytes) !== blobId) return bad(`blob artifacts/blobs/${blobId}.bin does not match its sha256 (corrupt)`);
  }
  const tags: Record<string, string> = {};
  if (meta.tags && typeof meta.tags === 'object') for (const [k, v] of Object.entries(meta.tags)) tags[k] = String(v);
  await store.artifacts.put(bytes, {
    artifactId,
    runId: typeof meta.run_id === 'string' && meta.run_id ? meta.run_id : null,
    contentType: typeof meta.content_type === 'string' && meta.content_type ? meta.content_type : 'application/octet-stream',
    tags,
    createdAt: typeof meta.created_at === 'string' && meta.created_at ? meta.created_at : nowIso(),
  });
  return true;
}
