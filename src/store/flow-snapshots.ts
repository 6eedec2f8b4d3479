// Snapshots of VisualFlow documents used by runs started from a flows directory (ABSTRACTGATEWAY_WORKFLOW_SOURCE=
// visualflow): each distinct document is stored once, keyed by the sha256 of its canonical JSON; a directory
// version lists which document each of its flow ids had. Implements the flow layer's FlowSnapshotStore.
import type { Database } from 'bun:sqlite';
import type { FlowDoc } from '../flow/bundle/flowdoc.ts';
import type { FlowSnapshotStore } from '../flow/visualflow/snapshots.ts';
import { canonicalJson, sha256Hex } from '../util/json.ts';
import { nowIso } from '../util/time.ts';

export class FlowSnapshotRepo implements FlowSnapshotStore {
  constructor(private readonly db: Database, private readonly inTx: <T>(fn: () => T) => T) {}

  save(version: string, docs: ReadonlyMap<string, FlowDoc>): void {
    const putDoc = this.db.query('INSERT OR IGNORE INTO flow_snapshots (sha256, doc_json, created_at) VALUES (?, ?, ?)');
    const putMember = this.db.query('INSERT OR IGNORE INTO flow_snapshot_members (version, flow_id, sha256) VALUES (?, ?, ?)');
    this.inTx(() => {
      const now = nowIso();
      for (const [flowId, doc] of docs) {
        const json = canonicalJson(doc);
        const sha = sha256Hex(json);
        putDoc.run(sha, json, now);
        putMember.run(version, flowId, sha);
      }
    });
  }

  load(version: string): Map<string, FlowDoc> | null {
    const rows = this.db
      .query(
        `SELECT m.flow_id AS flow_id, s.doc_json AS doc_json FROM flow_snapshot_members m
         JOIN flow_snapshots s ON s.sha256 = m.sha256 WHERE m.version = ?`,
      )
      .all(version) as { flow_id: string; doc_json: string }[];
    if (!rows.length) return null;
    return new Map(rows.map((r) => [r.flow_id, JSON.parse(r.doc_json) as FlowDoc]));
  }

  /** Distinct documents stored (tests: content addressing means no copy per run or per version). */
  documentCount(): number {
    return (this.db.query('SELECT COUNT(*) AS n FROM flow_snapshots').get() as { n: number }).n;
  }
}
