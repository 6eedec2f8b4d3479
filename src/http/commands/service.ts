// The durable command inbox as the API sees it: validate the type, append idempotently, report outcomes.
// Whether a command makes sense for its run is decided later by the runner (and recorded as the outcome).
import { COMMAND_TYPES, InvalidInput, NotFound } from '../../model/index.ts';
import type { Store } from '../../store/index.ts';
import type { SubmitCommandBody } from './schemas.ts';

export class CommandService {
  constructor(private readonly store: Store) {}

  async submit(cmd: SubmitCommandBody): Promise<{ accepted: boolean; duplicate: boolean; seq: number }> {
    if (!(COMMAND_TYPES as readonly string[]).includes(cmd.type)) {
      throw new InvalidInput(`type must be one of ${COMMAND_TYPES.join('|')}`, 'invalid_command_type');
    }
    if (!cmd.run_id.trim()) throw new InvalidInput('Failed to append command: run_id must be a non-empty string', 'append_failed');
    try {
      return await this.store.commands.append({
        command_id: cmd.command_id,
        run_id: cmd.run_id,
        type: cmd.type,
        payload: cmd.payload,
        ts: cmd.ts ?? null,
        client_id: cmd.client_id ?? null,
      });
    } catch (err) {
      throw new InvalidInput(`Failed to append command: ${err instanceof Error ? err.message : String(err)}`, 'append_failed');
    }
  }

  async outcome(commandId: string) {
    const c = await this.store.commands.get(commandId);
    if (!c) throw new NotFound(`Command '${commandId}' not found`, 'command_not_found');
    return { command_id: c.command_id, seq: c.seq, status: c.status, reason: c.reason };
  }
}
