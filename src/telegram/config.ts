// Telegram bridge configuration (the Python gateway's ABSTRACT_TELEGRAM_* names, docs/telegram.md). Off unless
// ABSTRACT_TELEGRAM_BRIDGE is on; when on, a missing or invalid value stops the gateway naming the variable. Only the
// Bot API transport exists here: `tdlib` is refused with a message saying so.
import { ConfigError, envBool, envNumber, envValue, type Env } from '../config.ts';

export interface TelegramConfig {
  /** the bot token from @BotFather; never logged */
  token: string;
  /** the bot's numeric id (the token's part before ':'), which is not secret: it keys the durable state */
  botKey: string;
  apiBaseUrl: string;
  flowId: string;
  bundleId: string | null;
  eventName: string;
  sessionPrefix: string;
  pollTimeoutS: number;
  storeMedia: boolean;
}

export const DEFAULT_API_BASE_URL = 'https://api.telegram.org';

export function loadTelegramConfig(env: Env): TelegramConfig | null {
  if (!envBool(env, 'ABSTRACT_TELEGRAM_BRIDGE', false)) return null;
  const transport = (envValue(env, 'ABSTRACT_TELEGRAM_TRANSPORT')?.value ?? 'bot_api').toLowerCase();
  if (transport === 'tdlib') {
    throw new ConfigError(
      'ABSTRACT_TELEGRAM_TRANSPORT="tdlib" is not supported: this gateway speaks the Telegram Bot API only. ' +
        'Create a bot with @BotFather, then set ABSTRACT_TELEGRAM_TRANSPORT=bot_api and ABSTRACT_TELEGRAM_BOT_TOKEN (see docs/telegram.md)',
    );
  }
  if (transport !== 'bot_api') throw new ConfigError(`ABSTRACT_TELEGRAM_TRANSPORT=${JSON.stringify(transport)} is invalid: expected bot_api`);
  const token = envValue(env, 'ABSTRACT_TELEGRAM_BOT_TOKEN')?.value;
  if (!token) throw new ConfigError('ABSTRACT_TELEGRAM_BOT_TOKEN is required when ABSTRACT_TELEGRAM_BRIDGE=1 (the token @BotFather gave you)');
  const botKey = /^(\d+):[A-Za-z0-9_-]+$/.exec(token)?.[1];
  // The message never echoes the value: it is a secret.
  if (!botKey) throw new ConfigError('ABSTRACT_TELEGRAM_BOT_TOKEN does not look like a Bot API token (expected <digits>:<letters, digits, _ or ->)');
  const flowId = envValue(env, 'ABSTRACT_TELEGRAM_FLOW_ID')?.value;
  if (!flowId) throw new ConfigError('ABSTRACT_TELEGRAM_FLOW_ID is required when ABSTRACT_TELEGRAM_BRIDGE=1 (the flow started once per chat)');
  const base = envValue(env, 'ABSTRACT_TELEGRAM_API_BASE_URL')?.value ?? DEFAULT_API_BASE_URL;
  if (!/^https?:\/\/[^\s/]+/.test(base)) throw new ConfigError(`ABSTRACT_TELEGRAM_API_BASE_URL=${JSON.stringify(base)} is invalid: expected an http(s) URL`);
  return {
    token,
    botKey,
    apiBaseUrl: base.replace(/\/+$/, ''),
    flowId,
    bundleId: envValue(env, 'ABSTRACT_TELEGRAM_BUNDLE_ID')?.value ?? null,
    eventName: envValue(env, 'ABSTRACT_TELEGRAM_EVENT_NAME')?.value ?? 'telegram.message',
    sessionPrefix: env.ABSTRACT_TELEGRAM_SESSION_PREFIX?.trim() || 'telegram:',
    pollTimeoutS: envNumber(env, 'ABSTRACT_TELEGRAM_POLL_TIMEOUT_S', 25, { min: 0, max: 50, int: true }),
    storeMedia: envBool(env, 'ABSTRACT_TELEGRAM_STORE_MEDIA', true),
  };
}
