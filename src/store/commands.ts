// Durable command inbox: global seq, idempotent on command_id forever, with a durable outcome per command
// (pending → applied | rejected + reason) so clients can learn what became of their command.
import type { Database } from 'bun:sqlite';
import type { CommandOutcomeStatus, CommandRecord, Vars } from '../model/index.ts';
import { nowIso } from '../util/time.ts';
import type { Notifier } from './notifier.ts';

export interface NewCommand {
  command_id?: string | null;
  run_id: string;
  type: string;
  payload?: Vars;
  ts?: string | null;
  client_id?: string | null;
}

export interface AppendResult { accepted: boolean; duplicate: boolean; seq: number }

export interface CommandWithOutcome extends CommandRecord {
  status: CommandOutcomeStatus;
  reason: string | null;
  applied_at: string | null;
}

interface Row {
  seq: number; command_id: string; run_id: string; type: string; payload_json: string; ts: string;
  client_id: string | null; outcome: CommandOutcomeStatus; reason: string | null; applied_at: string | null;
}

const toRecord = (r: Row): CommandWithOutcome => ({
  seq: r.seq,
  command_id: r.command_id,
  run_id: r.run_id,
  type: r.type,
  payload: JSON.parse(r.payload_json),
  ts: r.ts,
  client_id: r.client_id,
  status: r.outcome,
  reason: r.reason,
  applied_at: r.applied_at,
});

export class CommandRepo {
  constructor(
    private readonly db: Database,
    private readonly notifier: Notifier,
    private readonly inTx: <T>(fn: () => T) => T,
  ) {}

  append(cmd: NewCommand): AppendResult {
    if (!cmd.run_id || !cmd.run_id.trim()) throw new Error('run_id must be a non-empty string');
    if (!cmd.type || !cmd.type.trim()) throw new Error('type must be a non-empty string');
    const commandId = cmd.command_id?.trim() || crypto.randomUUID().replaceAll('-', '');
    const payloadJson = JSON.stringify(cmd.payload ?? {});
    return this.inTx(() => {
      const res = this.db
        .query(
          `INSERT OR IGNORE INTO commands (command_id, run_id, type, payload_json, ts, client_id)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(commandId, cmd.run_id, cmd.type, payloadJson, cmd.ts?.trim() || nowIso(), cmd.client_id ?? null);
      if (res.changes === 1) {
        this.notifier.queueCommand();
        return { accepted: true, duplicate: false, seq: Number(res.lastInsertRowid) };
      }
      const row = this.db.query('SELECT seq FROM commands WHERE command_id = ?').get(commandId) as { seq: number };
      return { accepted: false, duplicate: true, seq: row.seq };
    });
  }

  get(commandId: string): CommandWithOutcome | null {
    const row = this.db.query('SELECT * FROM commands WHERE command_id = ?').get(commandId) as Row | null;
    return row ? toRecord(row) : null;
  }

  listAfter(after: number, limit: number): CommandWithOutcome[] {
    return (this.db.query('SELECT * FROM commands WHERE seq > ? ORDER BY seq LIMIT ?').all(after, limit) as Row[]).map(toRecord);
  }

  lastSeq(): number {
    return (this.db.query('SELECT COALESCE(MAX(seq), 0) AS s FROM commands').get() as { s: number }).s;
  }

  /** Records the outcome (call inside the transaction that applied the command). */
  setOutcome(seq: number, status: Exclude<CommandOutcomeStatus, 'pending'>, reason: string | null): void {
    this.db.query('UPDATE commands SET outcome = ?, reason = ?, applied_at = ? WHERE seq = ?').run(status, reason, nowIso(), seq);
  }

  cursor(consumerId = 'gateway_runner'): number {
    const row = this.db.query('SELECT cursor FROM command_cursors WHERE consumer_id = ?').get(consumerId) as { cursor: number } | null;
    return row?.cursor ?? 0;
  }

  saveCursor(cursor: number, consumerId = 'gateway_runner'): void {
    this.db
      .query(
        `INSERT INTO command_cursors (consumer_id, cursor, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(consumer_id) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`,
      )
      .run(consumerId, cursor, nowIso());
  }
}
