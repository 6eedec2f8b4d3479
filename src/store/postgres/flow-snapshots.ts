// VisualFlow directory snapshots on PostgreSQL (mirrors src/store/flow-snapshots.ts): each distinct document once,
// keyed by the sha256 of its canonical JSON; a version lists the document each of its flow ids had.
import { canonicalJson, sha256Hex } from '../../util/json.ts';
import { nowIso } from '../../util/time.ts';
import type { FlowSnapshotRepo } from '../api.ts';
import type { Db } from './conn.ts';

export class PgFlowSnapshotRepo implements FlowSnapshotRepo {
  constructor(private readonly db: Db) {}

  save(version: string, docs: ReadonlyMap<string, unknown>): Promise<void> {
    return this.db.inTx(async () => {
      const q = this.db.q;
      const now = nowIso();
      for (const [flowId, doc] of docs) {
        const json = canonicalJson(doc);
        const sha = sha256Hex(json);
        await q`INSERT INTO flow_snapshots (sha256, doc_json, created_at) VALUES (${sha}, ${json}, ${now}) ON CONFLICT DO NOTHING`;
        await q`INSERT INTO flow_snapshot_members (version, flow_id, sha256) VALUES (${version}, ${flowId}, ${sha}) ON CONFLICT DO NOTHING`;
      }
    });
  }

  async load(version: string): Promise<Map<string, unknown> | null> {
    const rows = await this.db.q`SELECT m.flow_id, s.doc_json FROM flow_snapshot_members m
      JOIN flow_snapshots s ON s.sha256 = m.sha256 WHERE m.version = ${version}`;
    if (!rows.length) return null;
    return new Map(rows.map((r: { flow_id: string; doc_json: string }) => [r.flow_id, JSON.parse(r.doc_json) as unknown]));
  }

  async documentCount(): Promise<number> {
    const [row] = await this.db.q`SELECT COUNT(*)::int AS n FROM flow_snapshots`;
    return (row as { n: number }).n;
  }
}
