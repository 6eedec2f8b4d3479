// Artifacts of a Python data dir: `artifacts/refs/<id>.meta` pointing at `artifacts/blobs/<sha256>.bin`, plus
// the legacy v0 layout `artifacts/<id>.bin` + `artifacts/<id>.meta`. Blobs are copied (content-addressed, so a
// blob already present is never rewritten) and each metadata file becomes a row, keeping its created_at.
import type { Database } from 'bun:sqlite';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isSafeArtifactId } from '../store/artifacts.ts';
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

function writeBlob(dir: string, blobId: string, bytes: Uint8Array): void {
  const path = join(dir, 'blobs', `${blobId}.bin`);
  if (existsSync(path)) return;
  mkdirSync(join(dir, 'blobs'), { recursive: true });
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

/** Imports one artifact; returns true when a new row was written, false when it was already there, or a Bad. */
export function importArtifact(db: Database, fromDir: string, toDir: string, cand: ArtifactCandidate): boolean | Bad {
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
  if (db.query('SELECT 1 FROM artifacts WHERE artifact_id = ?').get(artifactId)) return false;

  let bytes: Uint8Array;
  let blobId: string;
  if (cand.legacyBin) {
    if (!existsSync(cand.legacyBin)) return bad(`content file ${cand.legacyBin.split('/').pop()} is missing`);
    bytes = new Uint8Array(readFileSync(cand.legacyBin));
    blobId = sha256Hex(bytes);
  } else {
    blobId = String(meta.blob_id ?? '');
    if (!HEX64.test(blobId)) return bad(`blob_id ${JSON.stringify(meta.blob_id)} is not a sha256 hex digest`);
    const src = join(fromDir, 'artifacts', 'blobs', `${blobId}.bin`);
    if (!existsSync(src)) return bad(`blob artifacts/blobs/${blobId}.bin is missing`);
    bytes = new Uint8Array(readFileSync(src));
    if (sha256Hex(bytes) !== blobId) return bad(`blob artifacts/blobs/${blobId}.bin does not match its sha256 (corrupt)`);
  }
  if (resolve(fromDir, 'artifacts') !== resolve(toDir) || cand.legacyBin) writeBlob(toDir, blobId, bytes);
  const tags: Record<string, string> = {};
  if (meta.tags && typeof meta.tags === 'object') for (const [k, v] of Object.entries(meta.tags)) tags[k] = String(v);
  db.query(
    `INSERT OR IGNORE INTO artifacts (artifact_id, run_id, content_type, size_bytes, created_at, blob_id, tags_json)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    artifactId,
    typeof meta.run_id === 'string' && meta.run_id ? meta.run_id : null,
    typeof meta.content_type === 'string' && meta.content_type ? meta.content_type : 'application/octet-stream',
    bytes.byteLength,
    typeof meta.created_at === 'string' && meta.created_at ? meta.created_at : nowIso(),
    blobId,
    JSON.stringify(tags),
  );
  return true;
}
