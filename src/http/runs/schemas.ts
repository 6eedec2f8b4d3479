// Run resource shapes (docs/api.md "Runs"). Summaries never carry `vars`.
import { z } from 'zod';
import { RUN_STATUSES } from '../../model/index.ts';
import { typedAs, zBool, zJsonObject } from '../common.ts';
import type { historyBundle } from './history.ts';

const RUN_ID = '0b7c3c0e-4a55-4b1a-9c55-3f0d5d1a6a10';
const TS = '2026-02-05T09:43:49.101000+00:00';

export const StartRunBody = z
  .object({
    bundle_id: z.string().nullish().describe('`id` or `id@version`'),
    bundle_version: z.string().nullish().describe('pin a version (default: latest loaded)'),
    flow_id: z.string().nullish().describe('entrypoint id, or namespaced `bundle:flow` / `bundle@ver:flow`'),
    input_data: zJsonObject.default({}).describe("becomes the run's initial vars"),
    session_id: z.string().nullish().describe('groups runs; default = the new run id'),
  })
  .meta({ example: { bundle_id: 'basic', flow_id: 'root', input_data: { prompt: 'Hello' }, session_id: 'chat-1' } });
export type StartRunBody = z.infer<typeof StartRunBody>;

export const ScheduleRunBody = z
  .object({
    bundle_id: z.string().describe('`id` or `id@version`'),
    bundle_version: z.string().nullish(),
    flow_id: z.string().describe('entrypoint id (may be namespaced; the prefix must match bundle_id)'),
    input_data: zJsonObject.default({}).describe('passed to every execution'),
    start_at: z.string().nullish().describe('ISO timestamp; null, "" or "now" = immediately'),
    interval: z.string().nullish().describe('e.g. "15m", "1h", "0.1s"; none = one-shot'),
    cron: z.string().nullish().describe('cron expression (extension; exclusive with interval)'),
    timezone: z.string().nullish().describe('IANA zone for cron (default UTC)'),
    overlap: z.enum(['skip', 'queue']).optional().describe('when an execution is still running at the next fire'),
    repeat_count: z.number().int().nullish(),
    repeat_until: z.string().nullish(),
    share_context: z.boolean().default(true),
    session_id: z.string().nullish(),
  })
  .meta({ example: { bundle_id: 'basic', flow_id: 'root', input_data: { prompt: 'Daily digest' }, start_at: 'now', interval: '1d', repeat_count: 7 } });
export type ScheduleRunBody = z.infer<typeof ScheduleRunBody>;

export const StartRunResponse = z.object({ run_id: z.string() }).meta({ example: { run_id: RUN_ID } });

/** WaitState as clients see it: without `resume_to_node` / `result_key`. */
export const WaitingView = z.object({
  reason: z.enum(['event', 'until', 'user', 'job', 'subworkflow']),
  wait_key: z.string().nullable(),
  until: z.string().nullable(),
  prompt: z.string().nullable(),
  choices: z.array(z.unknown()).nullable(),
  allow_free_text: z.boolean(),
  details: zJsonObject.nullable(),
});

/** The lightweight wait shown in list items (from the run index). */
export const WaitingIndexView = z.object({ reason: z.string(), until: z.string().optional() });

const RunCore = {
  run_id: z.string(),
  workflow_id: z.string(),
  status: z.enum(RUN_STATUSES),
  current_node: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  actor_id: z.string().nullable(),
  session_id: z.string().nullable(),
  parent_run_id: z.string().nullable(),
  error: z.string().nullable(),
  paused: z.boolean(),
  pause_reason: z.string().nullable(),
  paused_at: z.string().nullable(),
  resumed_at: z.string().nullable(),
  is_scheduled: z.boolean(),
  schedule: zJsonObject.nullable(),
  limits: zJsonObject.nullable(),
};

export const RunSummary = z.object({
  ...RunCore,
  waiting: WaitingView.nullable(),
  flow_warnings: z.array(z.string()).nullable().describe('warnings the flow engine recorded (e.g. tool calls without call_id)'),
  output: zJsonObject.nullable().describe('extension: the output of a completed run (null until it completes)'),
  listening: z.object({
    kind: z.enum(['schedule', 'event']),
    node_id: z.string(),
    recurrent: z.boolean(),
    event: z.string().nullable(),
    scope: z.string().nullable(),
    schedule: z.string().nullable(),
    next_at: z.string().nullable(),
  }).nullable().optional().describe('extension: the run waits by design on a recurrent schedule or an event listener (it re-arms; it is not stuck)'),
}).meta({
  example: {
    run_id: RUN_ID, workflow_id: 'bundle-test@0.0.0:a803f4bd', status: 'waiting', current_node: 'node-2',
    created_at: TS, updated_at: TS, actor_id: 'gateway', session_id: RUN_ID, parent_run_id: null, error: null,
    paused: false, pause_reason: null, paused_at: null, resumed_at: null,
    waiting: { reason: 'user', wait_key: `user:${RUN_ID}:node-2`, until: null, prompt: 'who are you ?', choices: [],
      allow_free_text: true, details: null },
    is_scheduled: false, schedule: null,
    limits: { tokens: { estimated_used: null, max_tokens: 32768, max_input_tokens: 28000, pct: null, warn_tokens_pct: 80 } },
    flow_warnings: null, output: null,
  },
});
export type RunSummary = z.infer<typeof RunSummary>;

export const RunListItem = z.object({
  ...RunCore,
  waiting: WaitingIndexView.nullable(),
  ledger_len: z.number().int().optional(),
  steps: z.number().int().optional(),
  llm_calls: z.number().int().optional(),
  tool_calls: z.number().int().optional(),
  tokens_total: z.number().optional(),
});
export type RunListItem = z.infer<typeof RunListItem>;

export const RunListResponse = z
  .object({
    items: z.array(RunListItem),
    next_cursor: z.string().nullable().describe('pass as `cursor` to get the next page (extension; null = last page)'),
  })
  .meta({
    example: {
      items: [{ run_id: RUN_ID, workflow_id: 'bundle-runs@0.0.0:root', status: 'completed', current_node: null,
        created_at: TS, updated_at: TS, actor_id: 'gateway', session_id: RUN_ID, parent_run_id: null, error: null,
        paused: false, pause_reason: null, paused_at: null, resumed_at: null, waiting: null, is_scheduled: false,
        schedule: null, limits: null, ledger_len: 3 }],
      next_cursor: null,
    },
  });

export const RunListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  status: z.string().optional().describe('running|waiting|completed|failed|cancelled (case-insensitive)'),
  workflow_id: z.string().optional(),
  session_id: z.string().optional(),
  root_only: zBool(false),
  include_ledger_len: zBool(true),
  include_metrics: zBool(false),
  cursor: z.string().optional().describe("opaque; a previous page's `next_cursor`"),
});
export type RunListQuery = z.infer<typeof RunListQuery>;

export const RunIdParams = z.object({ run_id: z.string().min(1) });

export const HistoryQuery = z.object({
  include_subruns: zBool(true),
  include_session: zBool(false),
  session_turn_limit: z.coerce.number().int().min(1).max(500).default(200),
  ledger_mode: z.string().default('tail').describe('tail | full'),
  ledger_max_items: z.coerce.number().int().min(0).max(20000).default(2000).describe('0 = full'),
});
export type HistoryQuery = z.infer<typeof HistoryQuery>;

export const HistoryBundle = typedAs<Awaited<ReturnType<typeof historyBundle>>>(z
  .object({
    version: z.literal(1),
    generated_at: z.string(),
    root_run_id: z.string(),
    run: zJsonObject,
    workflow_snapshot: zJsonObject.nullable(),
    input_data: zJsonObject,
    ledgers: z.record(z.string(), z.object({
      run_id: z.string(), total: z.number().int(), cursor_start: z.number().int(), cursor_end: z.number().int(),
      items: z.array(z.object({ cursor: z.number().int(), record: zJsonObject })),
    })),
    timeline: z.array(zJsonObject),
    session: z.object({ session_id: z.string(), turns: z.array(zJsonObject) }).nullable(),
  })
  .meta({
    example: {
      version: 1, generated_at: TS, root_run_id: RUN_ID, run: { run_id: RUN_ID, status: 'completed' }, workflow_snapshot: null,
      input_data: { prompt: 'Hello' }, ledgers: { [RUN_ID]: { run_id: RUN_ID, total: 5, cursor_start: 0, cursor_end: 5, items: [] } },
      timeline: [], session: null,
    },
  }));

export const InputDataResponse = z
  .object({
    run_id: z.string(),
    workflow_id: z.string(),
    bundle_id: z.string().nullable(),
    bundle_version: z.string().nullable().optional(),
    flow_id: z.string().nullable(),
    pin_ids: z.array(z.string()),
    input_data: zJsonObject,
  })
  .meta({
    example: { run_id: RUN_ID, workflow_id: 'basic@0.0.1:root', bundle_id: 'basic', bundle_version: '0.0.1',
      flow_id: 'root', pin_ids: ['prompt'], input_data: { prompt: 'Hello' } },
  });
