// Durable state of the Telegram bridge on PostgreSQL (mirrors src/store/telegram.ts): the getUpdates offset
// (never moves backwards), one binding per chat per bot, what each tool call already sent.
import { nowIso } from '../../util/time.ts';
import type { TelegramBinding, TelegramRepo } from '../api.ts';
import { num, type Db } from './conn.ts';

export class PgTelegramRepo implements TelegramRepo {
  constructor(private readonly db: Db) {}

  async offset(botKey: string): Promise<number> {
    const [row] = await this.db.q`SELECT update_offset FROM telegram_state WHERE bot_key = ${botKey}`;
    return row ? num((row as { update_offset: string }).update_offset) : 0;
  }

  async saveOffset(botKey: string, offset: number): Promise<void> {
    await this.db.q`INSERT INTO telegram_state (bot_key, update_offset, updated_at) VALUES (${botKey}, ${offset}, ${nowIso()})
      ON CONFLICT (bot_key) DO UPDATE SET update_offset = GREATEST(telegram_state.update_offset, excluded.update_offset),
        updated_at = excluded.updated_at`;
  }

  async binding(botKey: string, chatId: string): Promise<TelegramBinding | null> {
    const [row] = await this.db.q`SELECT chat_id, run_id, session_id, workflow_id, created_at FROM telegram_bindings
      WHERE bot_key = ${botKey} AND chat_id = ${chatId}`;
    return (row as TelegramBinding | undefined) ?? null;
  }

  async saveBinding(botKey: string, b: Omit<TelegramBinding, 'created_at'>): Promise<void> {
    await this.db.q`INSERT INTO telegram_bindings (bot_key, chat_id, run_id, session_id, workflow_id, created_at)
      VALUES (${botKey}, ${b.chat_id}, ${b.run_id}, ${b.session_id}, ${b.workflow_id}, ${nowIso()})`;
  }

  async sentFor(callId: string): Promise<Record<string, unknown> | null> {
    const [row] = await this.db.q`SELECT result_json FROM telegram_sent WHERE call_id = ${callId}`;
    return row ? JSON.parse((row as { result_json: string }).result_json) : null;
  }

  async recordSent(callId: string, result: Record<string, unknown>): Promise<void> {
    await this.db.q`INSERT INTO telegram_sent (call_id, result_json, created_at) VALUES (${callId}, ${JSON.stringify(result)}, ${nowIso()})
      ON CONFLICT (call_id) DO UPDATE SET result_json = EXCLUDED.result_json`;
  }

  async forgetSent(callId: string): Promise<void> {
    await this.db.q`DELETE FROM telegram_sent WHERE call_id = ${callId}`;
  }

  async bindings(botKey: string): Promise<TelegramBinding[]> {
    return [...(await this.db.q`SELECT chat_id, run_id, session_id, workflow_id, created_at FROM telegram_bindings
      WHERE bot_key = ${botKey} ORDER BY created_at`)];
  }
}
