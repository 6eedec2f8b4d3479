// /api/gateway/runs: start, summary, list (+ cursor pagination), input_data.
import { Elysia } from 'elysia';
import { errors } from '../common.ts';
import type { RunService } from './service.ts';
import {
  HistoryBundle, HistoryQuery, InputDataResponse, RunIdParams, RunListQuery, RunListResponse, RunSummary, ScheduleRunBody, StartRunBody, StartRunResponse,
} from './schemas.ts';

export const runRoutes = (runs: RunService) =>
  new Elysia({ name: 'runs', prefix: '/api/gateway/runs', tags: ['runs'] })
    .post('/start', ({ body }) => runs.start(body), {
      body: StartRunBody,
      response: { 200: StartRunResponse, ...errors(400, 404, 409, 422) },
      detail: {
        summary: 'Start a run of a bundle entrypoint',
        description:
          'Resolves the entrypoint, applies the workspace policy, creates the run (status `running`) and returns its ' +
          'id; the runner progresses it. Unknown bundle/flow → 404, deprecated → 409, other failures → 400 ' +
          '`Failed to start run: …`.',
      },
    })
    .post('/schedule', ({ body }) => runs.schedule(body), {
      body: ScheduleRunBody,
      response: { 200: StartRunResponse, ...errors(400, 404, 409, 422) },
      detail: {
        summary: 'Schedule runs of a bundle entrypoint (one-shot, every interval, or cron)',
        description:
          'Creates a scheduled parent run (`workflow_id` `scheduled:<uuid>`, metadata in the summary\'s `schedule`); ' +
          'each execution is a child run. Validation errors → 400, unknown target → 404, deprecated → 409.',
      },
    })
    .get('', ({ query }) => runs.list(query), {
      query: RunListQuery,
      response: { 200: RunListResponse, ...errors(400, 422) },
      detail: {
        summary: 'List runs, most recently updated first',
        description: 'Internal runs (`__*` workflows) are hidden unless `workflow_id` names one. Page with `cursor`.',
      },
    })
    .get('/:run_id', ({ params }) => runs.summary(params.run_id), {
      params: RunIdParams,
      response: { 200: RunSummary, ...errors(404) },
      detail: { summary: 'Run summary (never the full vars)' },
    })
    .get('/:run_id/history_bundle', ({ params, query }) => runs.history(params.run_id, query), {
      params: RunIdParams,
      query: HistoryQuery,
      response: { 200: HistoryBundle, ...errors(400, 404, 422) },
      detail: {
        summary: 'Export a run tree: run, ledgers (tail or full), timeline, optional session turns',
        description: '`ledgers` maps every run of the tree (root + descendants) to `{total, cursor_start, cursor_end, items}`.',
      },
    })
    .get('/:run_id/input_data', ({ params }) => runs.inputData(params.run_id), {
      params: RunIdParams,
      response: { 200: InputDataResponse, ...errors(404) },
      detail: { summary: 'The start inputs of a run (best effort)' },
    });
