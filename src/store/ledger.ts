// Append-only per-run ledger with a tamper-evident hash chain (docs/runtime.md "Ledger"): each record carries the
// previous record's hash and its own SHA-256 over canonical JSON of the record without `record_hash` and
// `signature`. The per-run head (last seq + last hash) is the run's last row, found through the (run_id, seq)
// index inside the same immediate transaction, so seq allocation and chaining are serialised across processes
// (and the UNIQUE (run_id, seq) constraint makes a duplicate impossible).
import type { Database } from 'bun:sqlite';
import type { StepRecord } from '../model/index.ts';
import { canonicalJson, sha256Hex } from '../util/json.ts';
import { hasBoxedFloat, plainJson } from '../util/pyfloat.ts';
import type { ChainReport, ChainWalk, LedgerRepo, NewStepRecord, RunMetrics } from './api.ts';
import type { Notifier } from './notifier.ts';

/**
 * Effect de-duplication lookup. Without INDEXED BY the planner walks the (run_id, seq) index for ORDER BY seq:
 * a scan of the whole run per effect (O(n²) per run).
 */
export const FIND_COMPLETED_SQL = `SELECT record_json FROM ledger INDEXED BY idx_ledger_idem
  WHERE run_id = ? AND idempotency_key = ? AND status = 'completed' AND idempotency_key IS NOT NULL
  ORDER BY seq LIMIT 1`;

export function hashRecord(record: StepRecord): string {
  const { record_hash: _h, signature: _s, ...rest } = record;
  return sha256Hex(canonicalJson(rest));
}

export class SqliteLedgerRepo implements LedgerRepo {
  constructor(
    private readonly db: Database,
    private readonly notifier: Notifier,
    private readonly inTx: <T>(fn: () => T) => Promise<T>,
  ) {}

  /** Appends one record (in the caller's transaction, or its own). Returns the record as stored and its seq. */
  async append(rec: NewStepRecord): Promise<{ seq: number; record: StepRecord }> {
    return this.inTx(() => {
      const head = this.db
        .query('SELECT seq, record_hash FROM ledger WHERE run_id = ? ORDER BY seq DESC LIMIT 1')
        .get(rec.run_id) as { seq: number; record_hash: string | null } | null;
      const seq = (head?.seq ?? 0) + 1;
      // The ledger is wire JSON: boxed Python floats become plain numbers before hashing and storing.
      const plain = hasBoxedFloat(rec) ? (plainJson(rec) as NewStepRecord) : rec;
      const record: StepRecord = { ...plain, prev_hash: head?.record_hash ?? null, record_hash: null, signature: null };
      record.record_hash = hashRecord(record);
      this.db
        .query(
          `INSERT INTO ledger (run_id, seq, status, effect_type, idempotency_key, record_hash, record_json)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(rec.run_id, seq, rec.status, rec.effect?.type ?? null, rec.idempotency_key, record.record_hash, JSON.stringify(record));
      this.notifier.queueLedger(rec.run_id);
      if (this.notifier.observed) {
        const wait = rec.status === 'waiting' ? (rec.result as { wait?: { reason?: unknown } } | null)?.wait?.reason : null;
        this.notifier.queueAppend({
          run_id: rec.run_id, seq, status: rec.status, node_id: rec.node_id, effect_type: rec.effect?.type ?? null,
          idempotency_key: rec.idempotency_key ?? null, error: rec.error ?? null, wait_reason: typeof wait === 'string' ? wait : null,
        });
      }
      return { seq, record };
    });
  }

  /** Records at positions [after, after+limit): position N = seq N+1 (cursor = records consumed). */
  async listAfter(runId: string, after: number, limit: number): Promise<StepRecord[]> {
    const rows = this.db
      .query('SELECT record_json FROM ledger WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?')
      .all(runId, after, limit) as { record_json: string }[];
    return rows.map((r) => JSON.parse(r.record_json) as StepRecord);
  }

  /** Raw JSON text of records (no parse), for streaming them out unchanged. */
  async listRawAfter(runId: string, after: number, limit: number): Promise<{ seq: number; json: string }[]> {
    return (this.db
      .query('SELECT seq, record_json FROM ledger WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?')
      .all(runId, after, limit) as { seq: number; record_json: string }[]).map((r) => ({ seq: r.seq, json: r.record_json }));
  }

  async count(runId: string): Promise<number> {
    const row = this.db.query('SELECT MAX(seq) AS n FROM ledger WHERE run_id = ?').get(runId) as { n: number | null };
    return row.n ?? 0;
  }

  async countMany(runIds: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let i = 0; i < runIds.length; i += 900) {
      const chunk = runIds.slice(i, i + 900);
      const rows = this.db
        .query(`SELECT run_id, MAX(seq) AS n FROM ledger WHERE run_id IN (${chunk.map(() => '?').join(',')}) GROUP BY run_id`)
        .all(...chunk) as { run_id: string; n: number }[];
      for (const r of rows) out.set(r.run_id, r.n);
    }
    for (const id of runIds) if (!out.has(id)) out.set(id, 0);
    return out;
  }

  /** Metrics over completed records (docs/operations.md "Configuration" metrics_many). */
  async metricsMany(runIds: string[]): Promise<Map<string, RunMetrics>> {
    const out = new Map<string, RunMetrics>();
    for (let i = 0; i < runIds.length; i += 300) {
      const chunk = runIds.slice(i, i + 300);
      const rows = this.db
        .query(
          `SELECT run_id,
             COUNT(*) AS steps,
             SUM(CASE WHEN effect_type = 'llm_call' THEN 1 ELSE 0 END) AS llm_calls,
             SUM(CASE WHEN effect_type = 'tool_calls'
                 THEN COALESCE(json_array_length(record_json, '$.effect.payload.tool_calls'), 0) ELSE 0 END) AS tool_calls,
             SUM(CASE WHEN effect_type = 'llm_call'
                 THEN COALESCE(json_extract(record_json, '$.result.usage.total_tokens'), 0) ELSE 0 END) AS tokens_total
           FROM ledger WHERE status = 'completed' AND run_id IN (${chunk.map(() => '?').join(',')})
           GROUP BY run_id`,
        )
        .all(...chunk) as ({ run_id: string } & RunMetrics)[];
      for (const r of rows) {
        out.set(r.run_id, { steps: r.steps, llm_calls: r.llm_calls, tool_calls: r.tool_calls, tokens_total: r.tokens_total });
      }
    }
    for (const id of runIds) if (!out.has(id)) out.set(id, { steps: 0, llm_calls: 0, tool_calls: 0, tokens_total: 0 });
    return out;
  }

  /** The result of the first completed record with this idempotency key (effect de-duplication), if any. */
  async findCompleted(runId: string, idempotencyKey: string): Promise<StepRecord | null> {
    const row = this.db.query(FIND_COMPLETED_SQL).get(runId, idempotencyKey) as { record_json: string } | null;
    return row ? (JSON.parse(row.record_json) as StepRecord) : null;
  }

  /** How many times the effect with this key ended completed or waiting in the run's ledger (both indexed). */
  async countEnded(runId: string, idempotencyKey: string): Promise<number> {
    const row = this.db
      .query(
        `SELECT (SELECT COUNT(*) FROM ledger INDEXED BY idx_ledger_idem
                 WHERE run_id = ?1 AND idempotency_key = ?2 AND status = 'completed' AND idempotency_key IS NOT NULL)
              + (SELECT COUNT(*) FROM ledger INDEXED BY idx_ledger_waits
                 WHERE run_id = ?1 AND idempotency_key = ?2 AND status = 'waiting' AND idempotency_key IS NOT NULL) AS n`,
      )
      .get(runId, idempotencyKey) as { n: number };
    return row.n;
  }

  async importRecord(runId: string, seq: number, recordJson: string): Promise<boolean> {
    const r = JSON.parse(recordJson) as StepRecord;
    return this.inTx(() => {
      const head = this.db.query('SELECT MAX(seq) AS s FROM ledger WHERE run_id = ?').get(runId) as { s: number | null };
      if ((head.s ?? 0) + 1 !== seq) return false;
      this.db
        .query('INSERT INTO ledger (run_id, seq, status, effect_type, idempotency_key, record_hash, record_json) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(runId, seq, r.status, r.effect?.type ?? null, r.idempotency_key ?? null, r.record_hash ?? null, recordJson);
      this.notifier.queueLedger(runId);
      return true;
    });
  }

  async scan(afterId: number, limit: number): Promise<{ id: number; record_json: string }[]> {
    return this.db.query('SELECT id, record_json FROM ledger WHERE id > ? ORDER BY id LIMIT ?').all(afterId, limit) as { id: number; record_json: string }[];
  }

  /** Walks the run's chain and reports the first broken link (the whole ledger in one call: CLI, doctor). */
  async verify(runId: string): Promise<ChainReport> {
    const walk = newChainWalk();
    while (await this.verifyPage(runId, walk, 10_000)) { /* next page */ }
    return walk.report;
  }

  /**
   * Verifies the next `limit` records of the walk, continuing its report; false when the chain is done (end of
   * the ledger, or a record without a hash). Lets a server verify a large ledger a page at a time.
   */
  async verifyPage(runId: string, walk: ChainWalk, limit: number): Promise<boolean> {
    const rows = this.db
      .query('SELECT seq, record_json FROM ledger WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?')
      .all(runId, walk.lastSeq, limit) as { seq: number; record_json: string }[];
    return checkChainPage(walk, rows, limit);
  }
}

/**
 * Checks the next page of a chain walk (rows in seq order, after `walk.lastSeq`) and continues its report; false
 * when the chain is done (fewer rows than `limit`, or a record without a hash). Both backends verify with it.
 */
export function checkChainPage(walk: ChainWalk, rows: { seq: number; record_json: string }[], limit: number): boolean {
  const { report } = walk;
  let prev = report.head_hash;
  for (const row of rows) {
    walk.lastSeq = row.seq;
    report.count++;
    const rec = JSON.parse(row.record_json) as StepRecord;
    const fail = (type: ChainReport['errors'][number]['type'], detail: string) => {
      report.ok = false;
      report.errors.push({ seq: row.seq, type, detail });
      if (report.first_bad_seq === null) report.first_bad_seq = row.seq;
    };
    if (!rec.record_hash) {
      fail('missing_record_hash', 'record has no record_hash');
      report.head_hash = prev;
      return false;
    }
    if ((rec.prev_hash ?? null) !== prev) fail('prev_hash_mismatch', `expected prev_hash ${prev}, found ${rec.prev_hash}`);
    const computed = hashRecord(rec);
    if (computed !== rec.record_hash) fail('record_hash_mismatch', `stored ${rec.record_hash}, computed ${computed}`);
    prev = rec.record_hash;
  }
  report.head_hash = prev;
  return rows.length === limit;
}

export const newChainWalk = (): ChainWalk => ({ report: { ok: true, count: 0, first_bad_seq: null, errors: [], head_hash: null }, lastSeq: 0 });
