// The versioned thin-client contract clients may read first (HEAD shape, docs/api.md): which core
// endpoints exist and how to use them. Only what this gateway actually serves is marked available.
import { COMMAND_TYPES } from '../../model/index.ts';

const G = '/api/gateway';
const ep = (method: string, endpoint: string, extra: Record<string, unknown> = {}) => ({ available: true, method, endpoint, ...extra });

export function capabilities(version: string) {
  return {
    capabilities: {
      abstractgateway: { installed: true, version },
      visualflow: { installed: true },
      contracts: {
        version: 1,
        common: {
          runs: {
            start: ep('POST', `${G}/runs/start`),
            schedule: ep('POST', `${G}/runs/schedule`, { recurrence: ['interval', 'cron'] }),
            summary: ep('GET', `${G}/runs/{run_id}`),
            list: ep('GET', `${G}/runs`, { pagination: { param: 'cursor', field: 'next_cursor' } }),
            input_data: ep('GET', `${G}/runs/{run_id}/input_data`),
            artifacts: ep('GET', `${G}/runs/{run_id}/artifacts`),
            history_bundle: ep('GET', `${G}/runs/{run_id}/history_bundle`),
            commands: ep('POST', `${G}/commands`, { types: [...COMMAND_TYPES], status_endpoint: `${G}/commands/{command_id}` }),
          },
          ledger: {
            replay: ep('GET', `${G}/runs/{run_id}/ledger`, { cursor: 'after', next: 'next_after' }),
            batch: ep('POST', `${G}/runs/ledger/batch`),
            stream: ep('GET', `${G}/runs/{run_id}/ledger/stream`, {
              transport: 'sse', events: ['step', 'done'], resume: ['after', 'Last-Event-ID'],
            }),
          },
        },
      },
    },
  };
}
