// /api/gateway/runs/{id}/ledger: replay by cursor, batch replay, the SSE tail, and hash-chain verification.
import { Elysia } from 'elysia';
import { newChainWalk, type Store } from '../../store/index.ts';
import { RunNotFound, Unprocessable } from '../../model/index.ts';
import { errors } from '../common.ts';
import { sseResponse, type LedgerHub } from '../sse.ts';
import { BatchBody, BatchResponse, ChainReportSchema, LedgerPage, LedgerQuery, RunIdParams, STREAM_EXAMPLE, StreamQuery } from './schemas.ts';

export interface LedgerRouteDeps {
  store: Store;
  hub: LedgerHub;
}

/** `Last-Event-ID` as a cursor (used only when `after` is absent). */
function lastEventId(header: string | undefined): number {
  if (header === undefined || header.trim() === '') return 0;
  const n = Number(header.trim());
  if (!Number.isInteger(n) || n < 0) {
    throw new Unprocessable("Invalid header 'Last-Event-ID': expected a non-negative integer cursor", 'validation_error');
  }
  return n;
}

/** Records verified per event-loop turn (~2 ms of hashing on this machine's class of CPU). */
const VERIFY_PAGE = 500;

export const ledgerRoutes = ({ store, hub }: LedgerRouteDeps) => {
  const page = async (runId: string, after: number, limit: number) => {
    const items = await store.ledger.listAfter(runId, after, limit);
    return { items, next_after: after + items.length };
  };

  return new Elysia({ name: 'ledger', prefix: '/api/gateway/runs', tags: ['ledger'] })
    .get(
      '/:run_id/ledger',
      async ({ params, query }) => {
        if (!(await store.runs.exists(params.run_id))) throw new RunNotFound(params.run_id);
        // Records are immutable JSON text in the store: send them as stored, without parse/validate/serialize
        // (a 2,000-record page is the hot path of replay-first clients).
        const rows = await store.ledger.listRawAfter(params.run_id, query.after, query.limit);
        const body = `{"items":[${rows.map((r) => r.json).join(',')}],"next_after":${query.after + rows.length}}`;
        return new Response(body, { headers: { 'content-type': 'application/json' } });
      },
      {
        params: RunIdParams,
        query: LedgerQuery,
        response: { 200: LedgerPage, ...errors(404, 422) },
        detail: {
          summary: 'Replay ledger records [after, after+limit)',
          description: 'Cursor = records already consumed. `next_after = after + len(items)`; past the end → empty page.',
        },
      },
    )
    .post(
      '/ledger/batch',
      async ({ body }) => {
        const runs: Record<string, Awaited<ReturnType<typeof page>>> = {};
        const wanted = new Map(body.runs.map((r) => [r.run_id, r.after])); // a repeated run: the last entry wins, read once
        for (const [runId, after] of wanted) {
          if (!runId || !(await store.runs.exists(runId))) continue; // unknown runs are omitted
          runs[runId] = await page(runId, after, body.limit);
        }
        return { runs };
      },
      {
        body: BatchBody,
        response: { 200: BatchResponse, ...errors(422) },
        detail: { summary: 'Replay several ledgers at once (unknown runs omitted; at most 200 runs per request)' },
      },
    )
    .get(
      '/:run_id/ledger/verify',
      async ({ params }) => {
        if (!(await store.runs.exists(params.run_id))) throw new RunNotFound(params.run_id);
        // A page at a time, yielding between pages: a long ledger never holds the event loop.
        const walk = newChainWalk();
        while (await store.ledger.verifyPage(params.run_id, walk, VERIFY_PAGE)) await new Promise((r) => setImmediate(r));
        return walk.report;
      },
      {
        params: RunIdParams,
        response: { 200: ChainReportSchema, ...errors(404) },
        detail: {
          summary: "Verify the run's ledger hash chain",
          description:
            'Walks every record: `prev_hash` must be the previous `record_hash`, and `record_hash` the sha256 of the ' +
            'record. `ok: false` names the first bad seq and each broken link. A gateway extension (`runs verify` on the CLI).',
        },
      },
    )
    .get(
      '/:run_id/ledger/stream',
      async ({ params, query, headers, request, server }) => {
        if (!(await store.runs.exists(params.run_id))) throw new RunNotFound(params.run_id);
        const after = query.after ?? lastEventId(headers['last-event-id']);
        // Bun cuts connections idle for `idleTimeout` (10 s by default); heartbeat_s may be up to 60 s.
        server?.timeout(request, 0);
        return sseResponse(hub, params.run_id, after, query.heartbeat_s * 1000, request);
      },
      {
        params: RunIdParams,
        query: StreamQuery,
        detail: {
          summary: 'Tail the ledger over SSE',
          description:
            'Each record is `id: <cursor>` / `event: step` / `data: {"cursor": n, "record": {...}}`. Idle streams get ' +
            '`: keep-alive` comments every `heartbeat_s`. Once the run is terminal and every record has been sent, ' +
            '`event: done` (no id) ends the stream. Resume with `?after=<cursor>` or the `Last-Event-ID` header.',
          responses: {
            200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' }, example: STREAM_EXAMPLE } } },
            404: { description: "Unknown run: `{\"detail\": \"Run 'x' not found\", \"code\": \"run_not_found\"}`" },
          },
        },
      },
    );
};
