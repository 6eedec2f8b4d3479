// Ledger shapes (docs/api.md "Ledger: replay first"). Records are returned verbatim; the schema documents the known
// fields and keeps any others.
import { z } from 'zod';
import type { StepRecord } from '../../model/index.ts';
import { typedAs, zJsonObject } from '../common.ts';

const RUN_ID = '0b7c3c0e-4a55-4b1a-9c55-3f0d5d1a6a10';

export const StepRecordSchema = typedAs<StepRecord>(z
  .looseObject({
    run_id: z.string(),
    step_id: z.string(),
    node_id: z.string(),
    status: z.enum(['started', 'completed', 'waiting', 'failed']),
    effect: z.looseObject({ type: z.string(), payload: z.unknown(), result_key: z.string().nullable() }).nullable(),
    result: zJsonObject.nullable(),
    error: z.string().nullable(),
    started_at: z.string(),
    ended_at: z.string().nullable(),
    actor_id: z.string().nullable(),
    session_id: z.string().nullable(),
    attempt: z.number().int(),
    idempotency_key: z.string().nullable(),
    prev_hash: z.string().nullable(),
    record_hash: z.string().nullable(),
    signature: z.string().nullable(),
  })
  .meta({
    example: {
      run_id: RUN_ID, step_id: 'f1d1f0a2-5f7e-4a7e-8d1b-7a2a3b9e0c11', node_id: 'node-2', status: 'waiting',
      effect: { type: 'ask_user', payload: { prompt: 'who are you ?' }, result_key: '_temp.node-2' },
      result: { wait: { reason: 'user', wait_key: `user:${RUN_ID}:node-2`, until: null, resume_to_node: 'node-2',
        result_key: '_temp.node-2', prompt: 'who are you ?', choices: [], allow_free_text: true, details: null } },
      error: null, started_at: '2026-02-05T09:43:49.100000+00:00', ended_at: '2026-02-05T09:43:49.101000+00:00',
      actor_id: 'gateway', session_id: RUN_ID, attempt: 1, idempotency_key: '5d41402abc4b2a76b9719d911017c592',
      prev_hash: null, record_hash: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08', signature: null,
    },
  }));

export { RunIdParams } from '../runs/schemas.ts';

export const LedgerQuery = z.object({
  after: z.coerce.number().int().min(0).default(0).describe('records already consumed (cursor)'),
  limit: z.coerce.number().int().min(1).max(2000).default(200),
});

export const LedgerPage = z
  .object({ items: z.array(StepRecordSchema), next_after: z.number().int().describe('after + len(items)') })
  .meta({ example: { items: [], next_after: 2 } });

export const MAX_BATCH_RUNS = 200;

export const BatchBody = z
  .object({
    // Bounded so one request cannot hold the event loop: at most MAX_BATCH_RUNS pages of `limit` records.
    runs: z.array(z.object({ run_id: z.string(), after: z.number().int().min(0).default(0) })).max(MAX_BATCH_RUNS),
    limit: z.number().int().min(1).max(2000).default(200),
  })
  .meta({ example: { runs: [{ run_id: 'a', after: 0 }, { run_id: 'b', after: 5 }], limit: 200 } });

export const BatchResponse = z
  .object({ runs: z.record(z.string(), LedgerPage) })
  .meta({ example: { runs: { a: { items: [], next_after: 3 }, b: { items: [], next_after: 5 } } } });

export const StreamQuery = z.object({
  after: z.coerce.number().int().min(0).optional().describe('cursor; default: the Last-Event-ID header, else 0'),
  heartbeat_s: z.coerce.number().gt(0.1).max(60).default(5).describe('keep-alive comment interval when idle'),
});

export const STREAM_EXAMPLE =
  'id: 1\nevent: step\ndata: {"cursor":1,"record":{"run_id":"r1","node_id":"node-2","status":"started"}}\n\n' +
  ': keep-alive\n\n' +
  'event: done\ndata: {"run_id":"r1","cursor":1,"status":"terminal"}\n\n';

/** GET /runs/{id}/ledger/verify: the hash chain walked from the first record (a gateway extension). */
export const ChainReportSchema = z
  .object({
    ok: z.boolean(),
    count: z.number().int(),
    first_bad_seq: z.number().int().nullable(),
    errors: z.array(z.object({ seq: z.number().int(), type: z.enum(['prev_hash_mismatch', 'record_hash_mismatch', 'missing_record_hash']), detail: z.string() })),
    head_hash: z.string().nullable(),
  })
  .meta({ example: { ok: true, count: 4, first_bad_seq: null, errors: [], head_hash: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' } });
