// /api/gateway/commands: the only way to act on a run (pause, resume, cancel, emit_event, ...).
import { Elysia } from 'elysia';
import { errors } from '../common.ts';
import { CommandIdParams, CommandOutcomeResponse, SubmitCommandBody, SubmitCommandResponse } from './schemas.ts';
import type { CommandService } from './service.ts';

export const commandRoutes = (commands: CommandService) =>
  new Elysia({ name: 'commands', prefix: '/api/gateway/commands', tags: ['commands'] })
    .post('', ({ body }) => commands.submit(body), {
      body: SubmitCommandBody,
      response: { 200: SubmitCommandResponse, ...errors(400, 422) },
      detail: {
        summary: 'Queue a command durably',
        description:
          'Acceptance means "durably queued"; the runner applies it asynchronously. A repeated `command_id` appends ' +
          'nothing and answers `{accepted:false, duplicate:true, seq:<original>}`.',
      },
    })
    .get('/:command_id', ({ params }) => commands.outcome(params.command_id), {
      params: CommandIdParams,
      response: { 200: CommandOutcomeResponse, ...errors(404) },
      detail: {
        summary: 'What became of a command (extension)',
        description: '`pending` until the runner applies it, then `applied` or `rejected` with a `reason`.',
      },
    });
