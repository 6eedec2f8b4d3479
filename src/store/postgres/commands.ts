// The durable command inbox on PostgreSQL (mirrors src/store/commands.ts): global seq (bigserial), idempotent on
// command_id forever (ON CONFLICT DO NOTHING), a durable outcome per command. The consumer cursor is the runners'
// mutual exclusion: inside a transaction `cursor()` takes its row FOR UPDATE SKIP LOCKED and answers null while
// another transaction (another runner) holds it.
import type { CommandOutcomeStatus } from '../../model/index.ts';
import { nowIso } from '../../util/time.ts';
import type { AppendResult, CommandRepo, CommandWithOutcome, NewCommand } from '../api.ts';
import type { Notifier } from '../notifier.ts';
import { num, type Db } from './conn.ts';

interface Row {
  seq: string; command_id: string; run_id: string; type: string; payload_json: string; ts: string;
  client_id: string | null; outcome: CommandOutcomeStatus; reason: string | null; applied_at: string | null;
}

const toRecord = (r: Row): CommandWithOutcome => ({
  seq: Number(r.seq),
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

const DEFAULT_CONSUMER = 'gateway_runner';

export class PgCommandRepo implements CommandRepo {
  constructor(private readonly db: Db, private readonly notifier: Notifier) {}

  async append(cmd: NewCommand): Promise<AppendResult> {
    if (!cmd.run_id || !cmd.run_id.trim()) throw new Error('run_id must be a non-empty string');
    if (!cmd.type || !cmd.type.trim()) throw new Error('type must be a non-empty string');
    const commandId = cmd.command_id?.trim() || crypto.randomUUID().replaceAll('-', '');
    const payloadJson = JSON.stringify(cmd.payload ?? {});
    return this.db.inTx(async () => {
      const q = this.db.q;
      const [ins] = await q`INSERT INTO commands (command_id, run_id, type, payload_json, ts, client_id)
        VALUES (${commandId}, ${cmd.run_id}, ${cmd.type}, ${payloadJson}, ${cmd.ts?.trim() || nowIso()}, ${cmd.client_id ?? null})
        ON CONFLICT (command_id) DO NOTHING RETURNING seq`;
      if (ins) {
        this.notifier.queueCommand();
        return { accepted: true, duplicate: false, seq: num((ins as { seq: string }).seq) };
      }
      const [row] = await q`SELECT seq FROM commands WHERE command_id = ${commandId}`;
      return { accepted: false, duplicate: true, seq: num((row as { seq: string }).seq) };
    });
  }

  async get(commandId: string): Promise<CommandWithOutcome | null> {
    const [row] = await this.db.q`SELECT * FROM commands WHERE command_id = ${commandId}`;
    return row ? toRecord(row as Row) : null;
  }

  async listAfter(after: number, limit: number): Promise<CommandWithOutcome[]> {
    return (await this.db.q`SELECT * FROM commands WHERE seq > ${after} ORDER BY seq LIMIT ${limit}`).map(toRecord);
  }

  async listPending(limit: number): Promise<CommandWithOutcome[]> {
    return (await this.db.q`SELECT * FROM commands WHERE outcome = 'pending' ORDER BY seq LIMIT ${limit}`).map(toRecord);
  }

  async lastSeq(): Promise<number> {
    const [row] = await this.db.q`SELECT COALESCE(MAX(seq), 0) AS s FROM commands`;
    return num((row as { s: string }).s);
  }

  async setOutcome(seq: number, status: Exclude<CommandOutcomeStatus, 'pending'>, reason: string | null): Promise<void> {
    await this.db.q`UPDATE commands SET outcome = ${status}, reason = ${reason}, applied_at = ${nowIso()} WHERE seq = ${seq}`;
  }

  async cursor(consumerId = DEFAULT_CONSUMER): Promise<number | null> {
    const q = this.db.q;
    if (!this.db.inside) {
      const [row] = await q`SELECT cursor FROM command_cursors WHERE consumer_id = ${consumerId}`;
      return row ? num((row as { cursor: string }).cursor) : 0;
    }
    const take = async () => {
      const [row] = await q`SELECT cursor FROM command_cursors WHERE consumer_id = ${consumerId} FOR UPDATE SKIP LOCKED`;
      return row ? num((row as { cursor: string }).cursor) : null;
    };
    const got = await take();
    if (got !== null) return got;
    // Skipped (held by another transaction) or absent: create it if absent, then try once more. A row another
    // transaction holds stays skipped; one it is inserting right now makes our insert wait for its commit.
    await q`INSERT INTO command_cursors (consumer_id, cursor, updated_at) VALUES (${consumerId}, 0, ${nowIso()})
      ON CONFLICT (consumer_id) DO NOTHING`;
    return take();
  }

  async saveCursor(cursor: number, consumerId = DEFAULT_CONSUMER): Promise<void> {
    await this.db.q`INSERT INTO command_cursors (consumer_id, cursor, updated_at) VALUES (${consumerId}, ${cursor}, ${nowIso()})
      ON CONFLICT (consumer_id) DO UPDATE SET cursor = GREATEST(command_cursors.cursor, excluded.cursor), updated_at = excluded.updated_at`;
  }

  async countByOutcome(): Promise<{ type: string; outcome: string; n: number }[]> {
    return [...(await this.db.q`SELECT type, outcome, COUNT(*)::int AS n FROM commands GROUP BY type, outcome ORDER BY type, outcome`)];
  }

  importRecord(c: CommandWithOutcome): Promise<boolean> {
    return this.db.inTx(async () => {
      const q = this.db.q;
      const [ins] = await q`INSERT INTO commands (seq, command_id, run_id, type, payload_json, ts, client_id, outcome, reason, applied_at)
        VALUES (${c.seq}, ${c.command_id}, ${c.run_id}, ${c.type}, ${JSON.stringify(c.payload ?? {})}, ${c.ts}, ${c.client_id ?? null},
          ${c.status}, ${c.reason ?? null}, ${c.applied_at ?? null})
        ON CONFLICT DO NOTHING RETURNING seq`;
      if (!ins) return false;
      // Like SQLite's AUTOINCREMENT: new commands continue after the highest seq ever stored.
      await q`SELECT setval(pg_get_serial_sequence('commands', 'seq'),
        GREATEST(${c.seq}::bigint, (SELECT last_value FROM commands_seq_seq)))`;
      return true;
    });
  }
}
