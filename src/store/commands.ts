// Durable command inbox: global seq, idempotent on command_id forever, with a durable outcome per command
// (pending → applied | rejected + reason) so clients can learn what became of their command.
import type { Database } from 'bun:sqlite';
import type { CommandOutcomeStatus } from '../model/index.ts';
import { nowIso } from '../util/time.ts';
import type { AppendResult, CommandRepo, CommandWithOutcome, NewCommand } from './api.ts';
import type { Notifier } from './notifier.ts';

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

export class SqliteCommandRepo implements CommandRepo {
  constructor(
    private readonly db: Database,
    private readonly notifier: Notifier,
    private readonly inTx: <T>(fn: () => T) => Promise<T>,
  ) {}

  async append(cmd: NewCommand): Promise<AppendResult> {
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

  async get(commandId: string): Promise<CommandWithOutcome | null> {
    const row = this.db.query('SELECT * FROM commands WHERE command_id = ?').get(commandId) as Row | null;
    return row ? toRecord(row) : null;
  }

  async listAfter(after: number, limit: number): Promise<CommandWithOutcome[]> {
    return (this.db.query('SELECT * FROM commands WHERE seq > ? ORDER BY seq LIMIT ?').all(after, limit) as Row[]).map(toRecord);
  }

  async listPending(limit: number): Promise<CommandWithOutcome[]> {
    return (this.db.query("SELECT * FROM commands WHERE outcome = 'pending' ORDER BY seq LIMIT ?").all(limit) as Row[]).map(toRecord);
  }

  async lastSeq(): Promise<number> {
    return (this.db.query('SELECT COALESCE(MAX(seq), 0) AS s FROM commands').get() as { s: number }).s;
  }

  /** Records the outcome (call inside the transaction that applied the command). */
  async setOutcome(seq: number, status: Exclude<CommandOutcomeStatus, 'pending'>, reason: string | null): Promise<void> {
    this.db.query('UPDATE commands SET outcome = ?, reason = ?, applied_at = ? WHERE seq = ?').run(status, reason, nowIso(), seq);
  }

  /** SQLite has one runner per database: the cursor is never held by another one (never null). */
  async cursor(consumerId = 'gateway_runner'): Promise<number | null> {
    const row = this.db.query('SELECT cursor FROM command_cursors WHERE consumer_id = ?').get(consumerId) as { cursor: number } | null;
    return row?.cursor ?? 0;
  }

  async saveCursor(cursor: number, consumerId = 'gateway_runner'): Promise<void> {
    this.db
      .query(
        `INSERT INTO command_cursors (consumer_id, cursor, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(consumer_id) DO UPDATE SET cursor = MAX(cursor, excluded.cursor), updated_at = excluded.updated_at`,
      )
      .run(consumerId, cursor, nowIso());
  }

  async countByOutcome(): Promise<{ type: string; outcome: string; n: number }[]> {
    return this.db.query('SELECT type, outcome, COUNT(*) AS n FROM commands GROUP BY type, outcome').all() as { type: string; outcome: string; n: number }[];
  }

  async importRecord(c: CommandWithOutcome): Promise<boolean> {
    const res = this.db
      .query(
        `INSERT OR IGNORE INTO commands (seq, command_id, run_id, type, payload_json, ts, client_id, outcome, reason, applied_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(c.seq, c.command_id, c.run_id, c.type, JSON.stringify(c.payload ?? {}), c.ts, c.client_id, c.status, c.reason, c.applied_at);
    return res.changes === 1;
  }
}
