// Durable state of the Telegram bridge: the getUpdates offset and one binding (run + session) per chat, keyed by
// the bot's id so two bots can share a data directory. Writes join the caller's transaction (the bridge commits the
// offset together with the event it delivers).
import type { Database } from 'bun:sqlite';
import { nowIso } from '../util/time.ts';
import type { TelegramBinding, TelegramRepo } from './api.ts';

export class SqliteTelegramRepo implements TelegramRepo {
  constructor(private readonly db: Database) {}

  async offset(botKey: string): Promise<number> {
    const row = this.db.query('SELECT update_offset FROM telegram_state WHERE bot_key = ?').get(botKey) as { update_offset: number } | null;
    return row?.update_offset ?? 0;
  }

  async saveOffset(botKey: string, offset: number): Promise<void> {
    this.db
      .query(
        `INSERT INTO telegram_state (bot_key, update_offset, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(bot_key) DO UPDATE SET update_offset = MAX(update_offset, excluded.update_offset), updated_at = excluded.updated_at`,
      )
      .run(botKey, offset, nowIso());
  }

  async binding(botKey: string, chatId: string): Promise<TelegramBinding | null> {
    return (this.db
      .query('SELECT chat_id, run_id, session_id, workflow_id, created_at FROM telegram_bindings WHERE bot_key = ? AND chat_id = ?')
      .get(botKey, chatId) as TelegramBinding | null) ?? null;
  }

  async saveBinding(botKey: string, b: Omit<TelegramBinding, 'created_at'>): Promise<void> {
    this.db
      .query('INSERT INTO telegram_bindings (bot_key, chat_id, run_id, session_id, workflow_id, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(botKey, b.chat_id, b.run_id, b.session_id, b.workflow_id, nowIso());
  }

  /** What a tool call already sent (a step retried after a crash must not send again), or null. */
  async sentFor(callId: string): Promise<Record<string, unknown> | null> {
    const row = this.db.query('SELECT result_json FROM telegram_sent WHERE call_id = ?').get(callId) as { result_json: string } | null;
    return row ? JSON.parse(row.result_json) : null;
  }

  async recordSent(callId: string, result: Record<string, unknown>): Promise<void> {
    this.db.query('INSERT INTO telegram_sent (call_id, result_json, created_at) VALUES (?, ?, ?) ON CONFLICT (call_id) DO UPDATE SET result_json = excluded.result_json')
      .run(callId, JSON.stringify(result), nowIso());
  }

  async forgetSent(callId: string): Promise<void> {
    this.db.query('DELETE FROM telegram_sent WHERE call_id = ?').run(callId);
  }

  async bindings(botKey: string): Promise<TelegramBinding[]> {
    return this.db
      .query('SELECT chat_id, run_id, session_id, workflow_id, created_at FROM telegram_bindings WHERE bot_key = ? ORDER BY created_at')
      .all(botKey) as TelegramBinding[];
  }
}
