// Command inbox shapes (docs/api.md "Commands") plus the durable outcome extension.
import { z } from 'zod';
import { COMMAND_TYPES } from '../../model/index.ts';
import { zJsonObject } from '../common.ts';

export const SubmitCommandBody = z
  .object({
    command_id: z.string().describe('idempotency key (UUID recommended); empty ⇒ generated, no idempotency'),
    run_id: z.string().describe('target run id (for emit_event: the default session id)'),
    type: z.string().describe(COMMAND_TYPES.join(' | ')),
    payload: zJsonObject.default({}),
    ts: z.string().nullish().describe('ISO timestamp; default now'),
    client_id: z.string().nullish(),
  })
  .meta({
    example: {
      command_id: 'cmd-1', run_id: '0b7c3c0e-4a55-4b1a-9c55-3f0d5d1a6a10', type: 'resume',
      payload: { wait_key: 'user:0b7c3c0e-4a55-4b1a-9c55-3f0d5d1a6a10:node-2', payload: { response: 'I am Albou' } },
      client_id: 'web_pwa',
    },
  });
export type SubmitCommandBody = z.infer<typeof SubmitCommandBody>;

export const SubmitCommandResponse = z
  .object({ accepted: z.boolean(), duplicate: z.boolean(), seq: z.number().int() })
  .meta({ example: { accepted: true, duplicate: false, seq: 42 } });

export const CommandOutcomeResponse = z
  .object({
    command_id: z.string(),
    seq: z.number().int(),
    status: z.enum(['pending', 'applied', 'rejected']),
    reason: z.string().nullable(),
  })
  .meta({ example: { command_id: 'cmd-1', seq: 42, status: 'rejected', reason: 'run is not waiting' } });

export const CommandIdParams = z.object({ command_id: z.string().min(1) });
