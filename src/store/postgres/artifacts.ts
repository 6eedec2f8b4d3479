// Artifacts on PostgreSQL: metadata rows plus the bytes IN the database (`artifact_blobs`, content-addressed by
// sha256, stored once), so API processes and runners on several machines share no directory. Mirrors
// src/store/artifacts.ts: same ids (safe charset), same dedupe, the `artifact.blob_written` fault boundary between
// the blob and the row; everything joins the caller's transaction when there is one (then blob and row commit
// together), and otherwise the blob is committed before the row, so a committed row always names a stored blob.
import { sha256Hex } from '../../util/json.ts';
import { nowIso } from '../../util/time.ts';
import type { ArtifactMeta, ArtifactPutOptions, ArtifactRepo } from '../api.ts';
import { isSafeArtifactId } from '../artifacts.ts';
import { num, type Db } from './conn.ts';

type Row = Omit<ArtifactMeta, 'tags' | 'size_bytes'> & { size_bytes: string; tags_json: string };

const fromRow = ({ tags_json, size_bytes, ...rest }: Row): ArtifactMeta => ({ ...rest, size_bytes: num(size_bytes), tags: JSON.parse(tags_json) });

export class PgArtifactRepo implements ArtifactRepo {
  constructor(private readonly db: Db, private readonly fault: (point: string) => void = () => {}) {}

  async put(bytes: Uint8Array, opts: ArtifactPutOptions = {}): Promise<ArtifactMeta> {
    const blobId = sha256Hex(bytes);
    const runId = opts.runId ?? null;
    const artifactId =
      opts.artifactId ?? (runId ? sha256Hex(Buffer.concat([Buffer.from(runId), Buffer.from([0]), bytes])) : blobId).slice(0, 32);
    if (!isSafeArtifactId(artifactId)) throw new Error(`Invalid artifact id: ${artifactId}`);
    const have = await this.db.q`SELECT 1 FROM artifact_blobs WHERE blob_id = ${blobId}`;
    if (!have.length) {
      await this.db.q`INSERT INTO artifact_blobs (blob_id, bytes) VALUES (${blobId}, ${bytes}) ON CONFLICT (blob_id) DO NOTHING`;
    }
    this.fault('artifact.blob_written');
    const contentType = opts.contentType ?? 'application/octet-stream';
    const [row] = await this.db.q`INSERT INTO artifacts (artifact_id, run_id, content_type, size_bytes, created_at, blob_id, tags_json)
      VALUES (${artifactId}, ${runId}, ${contentType}, ${bytes.byteLength}, ${opts.createdAt ?? nowIso()}, ${blobId}, ${JSON.stringify(opts.tags ?? {})})
      ON CONFLICT (artifact_id) DO UPDATE SET content_type = excluded.content_type, tags_json = excluded.tags_json
      RETURNING artifact_id, run_id, content_type, size_bytes, created_at, blob_id, tags_json`;
    return fromRow(row as Row);
  }

  putJson(value: unknown, opts: Omit<ArtifactPutOptions, 'contentType'> = {}): Promise<ArtifactMeta> {
    return this.put(Buffer.from(JSON.stringify(value)), { ...opts, contentType: 'application/json' });
  }

  async meta(artifactId: string): Promise<ArtifactMeta | null> {
    const [row] = await this.db.q`SELECT artifact_id, run_id, content_type, size_bytes, created_at, blob_id, tags_json
      FROM artifacts WHERE artifact_id = ${artifactId}`;
    return row ? fromRow(row as Row) : null;
  }

  async content(artifactId: string): Promise<Blob | null> {
    const [row] = await this.db.q`SELECT a.content_type, b.bytes FROM artifacts a JOIN artifact_blobs b ON b.blob_id = a.blob_id
      WHERE a.artifact_id = ${artifactId}`;
    if (!row) return null;
    const r = row as { content_type: string; bytes: Uint8Array };
    return new Blob([r.bytes as Uint8Array<ArrayBuffer>], { type: r.content_type });
  }

  async listByRun(runId: string, limit: number): Promise<ArtifactMeta[]> {
    const rows = await this.db.q`SELECT artifact_id, run_id, content_type, size_bytes, created_at, blob_id, tags_json
      FROM artifacts WHERE run_id = ${runId} ORDER BY created_at DESC LIMIT ${limit}`;
    return rows.map(fromRow);
  }

  async listIds(after: string, limit: number): Promise<string[]> {
    const rows = await this.db.q`SELECT artifact_id FROM artifacts WHERE artifact_id > ${after} ORDER BY artifact_id LIMIT ${limit}`;
    return rows.map((r: { artifact_id: string }) => r.artifact_id);
  }
}
