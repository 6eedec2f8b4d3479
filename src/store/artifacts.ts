// Artifacts: metadata in SQLite, bytes on disk content-addressed (`blobs/<sha256>.bin`, deduplicated).
// Ids are validated against a safe charset so they can never name a path outside the store.
// Atomicity: the blob is written to a temp file, fsynced and renamed into place BEFORE the row is inserted, so a
// committed row always names a complete blob; a crash in between leaves only an unreferenced blob (harmless: the
// next put of the same bytes reuses it). The row joins the caller's transaction when there is one.
import type { Database } from 'bun:sqlite';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../util/json.ts';
import { nowIso } from '../util/time.ts';
import type { ArtifactMeta, ArtifactPutOptions, ArtifactRepo } from './api.ts';

const SAFE_ID = /^[a-zA-Z0-9_-]{1,128}$/;
export const isSafeArtifactId = (id: string): boolean => SAFE_ID.test(id);

export class SqliteArtifactRepo implements ArtifactRepo {
  /** `dir` is a function so an in-memory store creates its temp blob dir only when a blob is first written. */
  constructor(
    private readonly db: Database,
    private readonly dirOf: () => string,
    private readonly fault: (point: string) => void = () => {},
  ) {}

  private get dir(): string {
    return this.dirOf();
  }

  private blobPath(blobId: string): string {
    return join(this.dir, 'blobs', `${blobId}.bin`);
  }

  async put(bytes: Uint8Array, opts: ArtifactPutOptions = {}): Promise<ArtifactMeta> {
    const blobId = sha256Hex(bytes);
    const runId = opts.runId ?? null;
    const artifactId =
      opts.artifactId ?? (runId ? sha256Hex(Buffer.concat([Buffer.from(runId), Buffer.from([0]), bytes])) : blobId).slice(0, 32);
    if (!isSafeArtifactId(artifactId)) throw new Error(`Invalid artifact id: ${artifactId}`);
    const path = this.blobPath(blobId);
    if (!existsSync(path)) {
      mkdirSync(join(this.dir, 'blobs'), { recursive: true });
      const tmp = `${path}.${crypto.randomUUID()}.tmp`;
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, bytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, path);
    }
    this.fault('artifact.blob_written');
    const meta: ArtifactMeta = {
      artifact_id: artifactId,
      content_type: opts.contentType ?? 'application/octet-stream',
      size_bytes: bytes.byteLength,
      created_at: opts.createdAt ?? nowIso(),
      blob_id: blobId,
      run_id: runId,
      tags: opts.tags ?? {},
    };
    this.db
      .query(
        `INSERT INTO artifacts (artifact_id, run_id, content_type, size_bytes, created_at, blob_id, tags_json)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(artifact_id) DO UPDATE SET content_type = excluded.content_type, tags_json = excluded.tags_json`,
      )
      .run(artifactId, runId, meta.content_type, meta.size_bytes, meta.created_at, blobId, JSON.stringify(meta.tags));
    return (await this.meta(artifactId))!;
  }

  async putJson(value: unknown, opts: Omit<ArtifactPutOptions, 'contentType'> = {}): Promise<ArtifactMeta> {
    return this.put(Buffer.from(JSON.stringify(value)), { ...opts, contentType: 'application/json' });
  }

  async meta(artifactId: string): Promise<ArtifactMeta | null> {
    const row = this.db.query('SELECT * FROM artifacts WHERE artifact_id = ?').get(artifactId) as
      | (Omit<ArtifactMeta, 'tags'> & { tags_json: string })
      | null;
    if (!row) return null;
    const { tags_json, ...rest } = row;
    return { ...rest, tags: JSON.parse(tags_json) };
  }

  /** A Bun.file for the artifact's bytes (streamable), or null. */
  async content(artifactId: string): Promise<Blob | null> {
    const m = await this.meta(artifactId);
    return m ? Bun.file(this.blobPath(m.blob_id), { type: m.content_type }) : null;
  }

  async listByRun(runId: string, limit: number): Promise<ArtifactMeta[]> {
    const rows = this.db
      .query('SELECT artifact_id FROM artifacts WHERE run_id = ? ORDER BY created_at DESC LIMIT ?')
      .all(runId, limit) as { artifact_id: string }[];
    return Promise.all(rows.map(async (r) => (await this.meta(r.artifact_id))!));
  }

  async listIds(after: string, limit: number): Promise<string[]> {
    return (this.db.query('SELECT artifact_id FROM artifacts WHERE artifact_id > ? ORDER BY artifact_id LIMIT ?').all(after, limit) as { artifact_id: string }[])
      .map((r) => r.artifact_id);
  }
}
