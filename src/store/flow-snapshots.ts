// Snapshots of VisualFlow documents used by runs started from a flows directory (ABSTRACTGATEWAY_WORKFLOW_SOURCE=
// visualflow): each distinct document is stored once, keyed by the sha256 of its canonical JSON; a directory
// version lists which document each of its flow ids had. The flow layer's FlowSnapshotStore adapts it.
import type { Database } from 'bun:sqlite';
import { canonicalJson, sha256Hex } from '../util/json.ts';
import { nowIso } from '../util/time.ts';
import type { FlowSnapshotRepo } from './api.ts';

export class SqliteFlowSnapshotRepo implements FlowSnapshotRepo {
  constructor(private readonly db: Database, private readonly inTx: <T>(fn: () => T) => Promise<T>) {}

  async save(version: string, docs: ReadonlyMap<string, unknown>): Promise<void> {
    await this.inTx(() => this.saveSync(version, docs));
  }

  async load(version: string): Promise<Map<string, unknown> | null> {
    return this.loadSync(version);
  }

  /**
   * Synchronous forms for the flow layer's FlowSnapshotStore (its registry resolves workflows synchronously):
   * a save outside a transaction commits at once; inside one it joins it.
   */
  saveSync(version: string, docs: ReadonlyMap<string, unknown>): void {
    const putDoc = this.db.query('INSERT OR IGNORE INTO flow_snapshots (sha256, doc_json, created_at) VALUES (?, ?, ?)');
    const putMember = this.db.query('INSERT OR IGNORE INTO flow_snapshot_members (version, flow_id, sha256) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      const now = nowIso();
      for (const [flowId, doc] of docs) {
        const json = canonicalJson(doc);
        const sha = sha256Hex(json);
        putDoc.run(sha, json, now);
        putMember.run(version, flowId, sha);
      }
    })();
  }

  loadSync(version: string): Map<string, unknown> | null {
    const rows = this.db
      .query(
        `SELECT m.flow_id AS flow_id, s.doc_json AS doc_json FROM flow_snapshot_members m
         JOIN flow_snapshots s ON s.sha256 = m.sha256 WHERE m.version = ?`,
      )
      .all(version) as { flow_id: string; doc_json: string }[];
    if (!rows.length) return null;
    return new Map(rows.map((r) => [r.flow_id, JSON.parse(r.doc_json) as unknown]));
  }

  /** Distinct documents stored (tests: content addressing means no copy per run or per version). */
  async documentCount(): Promise<number> {
    return (this.db.query('SELECT COUNT(*) AS n FROM flow_snapshots').get() as { n: number }).n;
  }
}
