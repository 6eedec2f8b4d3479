// The hash-chained ledger on PostgreSQL (mirrors src/store/ledger.ts: same record JSON, same hashRecord, same
// notifications). `append` serialises per run with a transaction-level advisory lock on the run id (safe behind
// PgBouncer transaction mode), reads the head (last seq + record_hash) and inserts the next record;
// UNIQUE (run_id, seq) makes a duplicate seq impossible even if the lock were bypassed. `record_json` is the
// exact JSON.stringify text, streamed out unchanged by `listRawAfter`; the figures `metricsMany` sums are columns
// filled at append (SQL never parses record_json: PostgreSQL's json operators reject a \u0000 escape).
import type { StepRecord } from '../../model/index.ts';
import { hasBoxedFloat, plainJson } from '../../util/pyfloat.ts';
import type { ChainReport, ChainWalk, LedgerRepo, NewStepRecord, RunMetrics } from '../api.ts';
import { checkChainPage, hashRecord, newChainWalk } from '../ledger.ts';
import type { Notifier } from '../notifier.ts';
import { num, type Db } from './conn.ts';

type Row = { seq: number; record_json: string };

export class PgLedgerRepo implements LedgerRepo {
  constructor(private readonly db: Db, private readonly notifier: Notifier) {}

  importRecord(runId: string, seq: number, recordJson: string): Promise<boolean> {
    const r = JSON.parse(recordJson) as StepRecord;
    return this.db.inTx(async () => {
      const q = this.db.q;
      await q`SELECT pg_advisory_xact_lock(hashtextextended(${runId}, 0))`;
      const [head] = (await q`SELECT COALESCE(MAX(seq), 0)::int AS s FROM ledger WHERE run_id = ${runId}`) as { s: number }[];
      if (Number(head!.s) + 1 !== seq) return false;
      const m = metricsOf(r);
      await q`INSERT INTO ledger (run_id, seq, status, effect_type, idempotency_key, record_hash, record_json, tool_calls, tokens_total)
        VALUES (${runId}, ${seq}, ${r.status}, ${r.effect?.type ?? null}, ${r.idempotency_key ?? null},
          ${r.record_hash ?? null}, ${recordJson}, ${m.toolCalls}, ${m.tokens})`;
      this.notifier.queueLedger(runId);
      return true;
    });
  }

  append(rec: NewStepRecord): Promise<{ seq: number; record: StepRecord }> {
    return this.db.inTx(async () => {
      const q = this.db.q;
      await q`SELECT pg_advisory_xact_lock(hashtextextended(${rec.run_id}, 0))`;
      const [head] = (await q`SELECT seq, record_hash FROM ledger WHERE run_id = ${rec.run_id}
        ORDER BY seq DESC LIMIT 1`) as { seq: number; record_hash: string | null }[];
      const seq = (head?.seq ?? 0) + 1;
      // The ledger is wire JSON: boxed Python floats become plain numbers before hashing and storing.
      const plain = hasBoxedFloat(rec) ? (plainJson(rec) as NewStepRecord) : rec;
      const record: StepRecord = { ...plain, prev_hash: head?.record_hash ?? null, record_hash: null, signature: null };
      record.record_hash = hashRecord(record);
      const m = metricsOf(record);
      await q`INSERT INTO ledger (run_id, seq, status, effect_type, idempotency_key, record_hash, record_json, tool_calls, tokens_total)
        VALUES (${rec.run_id}, ${seq}, ${rec.status}, ${rec.effect?.type ?? null}, ${rec.idempotency_key ?? null},
          ${record.record_hash}, ${JSON.stringify(record)}, ${m.toolCalls}, ${m.tokens})`;
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

  private async rows(runId: string, after: number, limit: number): Promise<Row[]> {
    return [...(await this.db.q`SELECT seq, record_json FROM ledger WHERE run_id = ${runId} AND seq > ${after}
      ORDER BY seq LIMIT ${limit}`)];
  }

  async listAfter(runId: string, after: number, limit: number): Promise<StepRecord[]> {
    return (await this.rows(runId, after, limit)).map((r) => JSON.parse(r.record_json) as StepRecord);
  }

  async listRawAfter(runId: string, after: number, limit: number): Promise<{ seq: number; json: string }[]> {
    return (await this.rows(runId, after, limit)).map((r) => ({ seq: r.seq, json: r.record_json }));
  }

  async count(runId: string): Promise<number> {
    const [row] = await this.db.q`SELECT MAX(seq) AS n FROM ledger WHERE run_id = ${runId}`;
    return (row as { n: number | null }).n ?? 0;
  }

  async countMany(runIds: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (runIds.length) {
      const rows = await this.db.q.unsafe(
        'SELECT run_id, MAX(seq) AS n FROM ledger WHERE run_id = ANY($1::text[]) GROUP BY run_id', [runIds]);
      for (const r of rows as { run_id: string; n: number }[]) out.set(r.run_id, r.n);
    }
    for (const id of runIds) if (!out.has(id)) out.set(id, 0);
    return out;
  }

  /** Metrics over completed records: the figures SQLite reads with json_array_length / json_extract. */
  async metricsMany(runIds: string[]): Promise<Map<string, RunMetrics>> {
    const out = new Map<string, RunMetrics>();
    if (runIds.length) {
      const rows = await this.db.q.unsafe(
        `SELECT run_id,
           COUNT(*)::int AS steps,
           SUM(CASE WHEN effect_type = 'llm_call' THEN 1 ELSE 0 END)::int AS llm_calls,
           SUM(CASE WHEN effect_type = 'tool_calls' THEN tool_calls ELSE 0 END)::float8 AS tool_calls,
           SUM(CASE WHEN effect_type = 'llm_call' THEN tokens_total ELSE 0 END)::float8 AS tokens_total
         FROM ledger WHERE status = 'completed' AND run_id = ANY($1::text[])
         GROUP BY run_id`,
        [runIds],
      );
      for (const r of rows as ({ run_id: string } & RunMetrics)[]) {
        out.set(r.run_id, { steps: r.steps, llm_calls: r.llm_calls, tool_calls: num(r.tool_calls), tokens_total: num(r.tokens_total) });
      }
    }
    for (const id of runIds) if (!out.has(id)) out.set(id, { steps: 0, llm_calls: 0, tool_calls: 0, tokens_total: 0 });
    return out;
  }

  async findCompleted(runId: string, idempotencyKey: string): Promise<StepRecord | null> {
    const [row] = await this.db.q`SELECT record_json FROM ledger
      WHERE run_id = ${runId} AND idempotency_key = ${idempotencyKey} AND status = 'completed' AND idempotency_key IS NOT NULL
      ORDER BY seq LIMIT 1`;
    return row ? (JSON.parse((row as Row).record_json) as StepRecord) : null;
  }

  async countEnded(runId: string, idempotencyKey: string): Promise<number> {
    const [row] = await this.db.q`SELECT COUNT(*)::int AS n FROM ledger
      WHERE run_id = ${runId} AND idempotency_key = ${idempotencyKey} AND status IN ('completed', 'waiting')`;
    return (row as { n: number }).n;
  }

  async verify(runId: string): Promise<ChainReport> {
    const walk = newChainWalk();
    while (await this.verifyPage(runId, walk, 10_000)) { /* next page */ }
    return walk.report;
  }

  async verifyPage(runId: string, walk: ChainWalk, limit: number): Promise<boolean> {
    const rows = await this.rows(runId, walk.lastSeq, limit);
    return checkChainPage(walk, rows, limit);
  }

  async scan(afterId: number, limit: number): Promise<{ id: number; record_json: string }[]> {
    const rows = await this.db.q`SELECT id, record_json FROM ledger WHERE id > ${afterId} ORDER BY id LIMIT ${limit}`;
    return rows.map((r: { id: string; record_json: string }) => ({ id: Number(r.id), record_json: r.record_json }));
  }
}

/**
 * What metricsMany sums for one record, as SQLite's SQL reads it from the JSON: the length of
 * `effect.payload.tool_calls` when it is an array, and `result.usage.total_tokens` when it is a number.
 */
function metricsOf(r: StepRecord): { toolCalls: number; tokens: number } {
  const calls = (r.effect?.payload as { tool_calls?: unknown } | undefined)?.tool_calls;
  const tokens = (r.result as { usage?: { total_tokens?: unknown } } | null)?.usage?.total_tokens;
  return {
    toolCalls: Array.isArray(calls) ? calls.length : 0,
    tokens: typeof tokens === 'number' && Number.isFinite(tokens) ? tokens : 0,
  };
}

