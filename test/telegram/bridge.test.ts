// The Telegram bridge on fixtures written here (no ../shared): configuration, one binding per chat, the event
// payload, media stored as artifacts of the bound run, idempotent delivery, retry on Bot API errors, prompt stop,
// and the two agent tools against the stub Bot API (real HTTP).
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import { executeToolCall } from '../../src/llm/tools/index.ts';
import { TelegramClient } from '../../src/telegram/client.ts';
import { loadTelegramConfig } from '../../src/telegram/config.ts';
import { telegramTools } from '../../src/telegram/tools.ts';
import { cli } from '../cli/helpers.ts';
import { tempDir } from '../support/harness.ts';
import { startStubTelegram, type StubTelegram } from '../support/stub-telegram.ts';
import { end, flow, n, setVar, start } from '../support/visualflow.ts';

const TOKEN = '987654:FIXTURE-token_abcdefghijklmnopqrstuvw';
const base = (extra: Record<string, string> = {}) => ({
  ABSTRACT_TELEGRAM_BRIDGE: '1', ABSTRACT_TELEGRAM_BOT_TOKEN: TOKEN, ABSTRACT_TELEGRAM_FLOW_ID: 'chatbot', ...extra,
});

// Root: start → end. Listener: on telegram.message → keep the payload in `last`.
const chatbot = flow('chatbot', [
  start('s'), end('e'),
  n('on', 'on_event', { out: ['exec-out', 'payload'], eventConfig: { name: 'telegram.message', scope: 'session' } }),
  setVar('keep', 'last'),
], ['s.exec-out>e.exec-in', 'on.exec-out>keep.exec-in', 'on.payload>keep.value']);

describe('configuration', () => {
  test('off by default; defaults when on', () => {
    expect(loadTelegramConfig({})).toBeNull();
    expect(loadTelegramConfig(base())).toMatchObject({
      botKey: '987654', apiBaseUrl: 'https://api.telegram.org', flowId: 'chatbot', bundleId: null, eventName: 'telegram.message',
      sessionPrefix: 'telegram:', pollTimeoutS: 25, storeMedia: true,
    });
  });

  test('tdlib is refused: this gateway speaks the Bot API only', () => {
    expect(() => loadTelegramConfig(base({ ABSTRACT_TELEGRAM_TRANSPORT: 'tdlib' }))).toThrow(/ABSTRACT_TELEGRAM_TRANSPORT="tdlib" is not supported: this gateway speaks the Telegram Bot API only/);
  });

  test('`serve` with the tdlib transport stops with exit 2 and says why', async () => {
    const tmp = tempDir('ag-tg-tdlib-');
    const r = await cli(['serve', '--port', '0', '--data-dir', tmp.path], { env: { ...base({ ABSTRACT_TELEGRAM_TRANSPORT: 'tdlib' }), ABSTRACTGATEWAY_AUTH_TOKEN: 'tdlib-test-token-0123456789abcdef' } });
    tmp.cleanup();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('this gateway speaks the Telegram Bot API only');
    expect(r.stderr).not.toContain(TOKEN);
  });

  test('missing or invalid values name the variable and never echo the token', () => {
    const err = (env: Record<string, string>) => {
      try {
        loadTelegramConfig(env);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(err(base({ ABSTRACT_TELEGRAM_BOT_TOKEN: '' }))).toMatch(/^ABSTRACT_TELEGRAM_BOT_TOKEN is required/);
    const bad = err(base({ ABSTRACT_TELEGRAM_BOT_TOKEN: 'secret-value-not-a-token' }));
    expect(bad).toMatch(/^ABSTRACT_TELEGRAM_BOT_TOKEN does not look like/);
    expect(bad).not.toContain('secret-value');
    expect(err(base({ ABSTRACT_TELEGRAM_FLOW_ID: '' }))).toMatch(/^ABSTRACT_TELEGRAM_FLOW_ID is required/);
    expect(err(base({ ABSTRACT_TELEGRAM_TRANSPORT: 'mtproto' }))).toMatch(/ABSTRACT_TELEGRAM_TRANSPORT="mtproto" is invalid/);
    expect(err(base({ ABSTRACT_TELEGRAM_POLL_TIMEOUT_S: '99' }))).toMatch(/ABSTRACT_TELEGRAM_POLL_TIMEOUT_S="99" is invalid/);
    expect(err(base({ ABSTRACT_TELEGRAM_API_BASE_URL: 'ftp://x' }))).toMatch(/ABSTRACT_TELEGRAM_API_BASE_URL/);
    expect(err(base({ ABSTRACT_TELEGRAM_BRIDGE: 'maybe' }))).toMatch(/ABSTRACT_TELEGRAM_BRIDGE="maybe" is not a boolean/);
  });
});

describe('the bridge in a gateway', () => {
  let tg: StubTelegram;
  let tmp: ReturnType<typeof tempDir>;
  let gw: Gateway;
  const logs: string[] = [];
  const sleeps: number[] = [];

  async function open(env: Record<string, string> = {}) {
    const flowsDir = join(tmp.path, 'flows');
    mkdirSync(flowsDir, { recursive: true });
    writeFileSync(join(flowsDir, 'chatbot.json'), JSON.stringify(chatbot));
    const config = { ...loadConfig({ ABSTRACTGATEWAY_WORKFLOW_SOURCE: 'visualflow' }, { dataDir: join(tmp.path, 'data'), flowsDir }), pollMs: 20 };
    gw = await createGateway(config, {
      env: base({ ABSTRACT_TELEGRAM_API_BASE_URL: tg.url, ABSTRACT_TELEGRAM_BOT_TOKEN: tg.token, ABSTRACT_TELEGRAM_POLL_TIMEOUT_S: '50', ...env }),
      log: (m) => logs.push(m),
    });
    await gw.runner.start();
  }

  async function until<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms = 10_000): Promise<T> {
    const stop = Date.now() + ms;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > stop) throw new Error(`timed out waiting for ${what}\n${logs.join('\n')}`);
      await Bun.sleep(10);
    }
  }

  const listenerOf = async (chatId: string) => {
    const b = await gw.store.telegram.binding('987654', chatId);
    return b ? (await gw.store.runs.children(b.run_id)).find((r) => r.workflow_id.startsWith('visual_event_listener:')) : undefined;
  };
  const lastPayload = async (chatId: string) => (await listenerOf(chatId))?.vars.last?.telegram;

  beforeAll(() => {
    tg = startStubTelegram(TOKEN);
  });
  afterAll(() => tg.stop());
  afterEach(async () => {
    await gw?.close();
    tmp?.cleanup();
    logs.length = 0;
  });

  test('one binding per chat; each message arrives as telegram.message with the payload; media become artifacts', async () => {
    tmp = tempDir('ag-tg-bridge-');
    await open();
    gw.startBridges();
    const photo = new Uint8Array([0xff, 0xd8, 0xff, 1, 2, 3]);
    tg.addFile('ph-big', photo, 'photos/big.jpg');
    tg.addFile('doc-1', new TextEncoder().encode('%PDF-1.4'), 'documents/report.pdf');

    tg.push({ chat_id: 1, text: 'hi' });
    await until('the first event', async () => (await lastPayload('1'))?.text === 'hi');
    const p1 = await lastPayload('1');
    expect(p1).toMatchObject({ chat_id: 1, text: 'hi', from: { first_name: 'Ada' }, media: [] });
    expect(typeof p1.message_id).toBe('number');
    expect(typeof p1.date).toBe('number');

    tg.push({ chat_id: 1, caption: 'look', photo: [{ file_id: 'ph-small', width: 90, height: 90 }, { file_id: 'ph-big', width: 800, height: 600 }], document: { file_id: 'doc-1', file_name: 'report.pdf', mime_type: 'application/pdf' } });
    await until('the media event', async () => (await lastPayload('1'))?.text === 'look');
    const media = (await lastPayload('1')).media;
    expect(media.map((m: any) => [m.kind, m.file_id, m.mime_type])).toEqual([['photo', 'ph-big', 'image/jpeg'], ['document', 'doc-1', 'application/pdf']]);
    const binding = (await gw.store.telegram.binding('987654', '1'))!;
    const art = (await gw.store.artifacts.meta(media[0].artifact_id))!;
    expect(art).toMatchObject({ run_id: binding.run_id, content_type: 'image/jpeg', size_bytes: photo.byteLength });
    expect(new Uint8Array(await (await gw.store.artifacts.content(media[0].artifact_id))!.arrayBuffer())).toEqual(photo);
    expect((await gw.store.artifacts.meta(media[1].artifact_id))!.tags).toMatchObject({ filename: 'report.pdf', kind: 'document', chat_id: '1' });

    tg.push({ chat_id: -100200, text: 'group' });
    await until('the second chat', async () => (await lastPayload('-100200'))?.text === 'group');
    const bindings = await gw.store.telegram.bindings('987654');
    expect(bindings.map((b) => [b.chat_id, b.session_id])).toEqual([['1', 'telegram:1'], ['-100200', 'telegram:-100200']]);
    expect(new Set(bindings.map((b) => b.run_id)).size).toBe(2);
    expect((await gw.store.runs.list({ limit: 100 })).items.filter((r) => r.workflow_id.endsWith(':chatbot'))).toHaveLength(2); // flow started once per chat
    expect(await gw.store.telegram.offset('987654')).toBe(tg.offsets.at(-1)!);
    expect(logs.join('\n')).not.toContain(tg.token);

    // Delivering an update again (as after a crash right after its commit) adds nothing: the command id is the update.
    const before = await gw.store.commands.lastSeq();
    const ctrl = new AbortController();
    await gw.telegram!.handle({ update_id: 1, message: { message_id: 1, date: 0, chat: { id: 1 }, text: 'hi' } }, ctrl.signal);
    expect(await gw.store.commands.lastSeq()).toBe(before);

    // stop() aborts the 50 s long poll instead of waiting it out (the test would time out otherwise).
    await gw.telegram!.stop();
    expect(gw.telegram!.running).toBe(false);
  }, 20_000);

  test('a binding committed before a crash is reused after restart: the flow is started once per chat', async () => {
    tmp = tempDir('ag-tg-bridge-');
    await open();
    // As if the process died right after committing a new chat's binding, before delivering the message.
    const first = await (gw.telegram as any).bind('9');
    await gw.close();
    await open();
    gw.startBridges();
    tg.push({ chat_id: 9, text: 'after restart' });
    await until('the event after restart', async () => (await lastPayload('9'))?.text === 'after restart');
    expect((await gw.store.telegram.binding('987654', '9'))!.run_id).toBe(first.run_id);
    expect((await gw.store.runs.list({ sessionId: 'telegram:9', limit: 100 })).items.filter((r) => r.workflow_id.endsWith(':chatbot'))).toHaveLength(1);
  }, 20_000);

  test('media storage off: media are described, not downloaded; Bot API errors are retried after retry_after', async () => {
    tmp = tempDir('ag-tg-bridge-');
    await open({ ABSTRACT_TELEGRAM_STORE_MEDIA: '0' });
    const callsBefore = tg.calls.length;
    tg.failNext(1, 429, 'Too Many Requests: retry after 3', 3);
    // Swap in a recording sleep for the retry (injected, no real waiting).
    (gw.telegram as any).sleep = async (ms: number) => { sleeps.push(ms); await Bun.sleep(1); };
    gw.startBridges();
    tg.push({ chat_id: 5, voice: { file_id: 'v-1', duration: 2, mime_type: 'audio/ogg' } });
    await until('the voice event', async () => (await lastPayload('5'))?.media?.length === 1);
    expect((await lastPayload('5')).media[0]).toMatchObject({ kind: 'voice', file_id: 'v-1', artifact_id: null, duration: 2 });
    expect(sleeps).toContain(3000);
    expect(logs.some((l) => l.includes('Telegram getUpdates failed: Too Many Requests'))).toBe(true);
    expect(tg.calls.slice(callsBefore)).not.toContain('getFile');
  }, 20_000);
});

describe('agent tools', () => {
  let tg: StubTelegram;
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tg = startStubTelegram(TOKEN);
    tmp = tempDir('ag-tg-tools-');
  });
  afterAll(() => {
    tg.stop();
    tmp.cleanup();
  });

  test('send_telegram_message and send_telegram_artifact pick the Bot API method by content type', async () => {
    const { SqliteStore } = await import('../../src/store/index.ts');
    const store = SqliteStore.open(join(tmp.path, 'db.sqlite3'));
    const external = telegramTools(new TelegramClient(tg.url, tg.token), store);
    const ctx = { vars: {}, limits: { commandTimeoutMs: 1000, commandMaxTimeoutMs: 1000, maxOutputChars: 1000, fetchTimeoutMs: 1000 }, signal: new AbortController().signal, external };
    const call = (name: string, args: Record<string, unknown>) => executeToolCall({ call_id: 'c1', name, arguments: args }, ctx);

    expect(await call('send_telegram_message', { chat_id: 12, text: 'hello' })).toMatchObject({ success: true, output: { ok: true, chat_id: '12' } });
    const png = await store.artifacts.put(new Uint8Array([0x89, 0x50]), { contentType: 'image/png' });
    const ogg = await store.artifacts.put(new Uint8Array([0x4f, 0x67]), { contentType: 'audio/ogg' });
    const pdf = await store.artifacts.put(new Uint8Array([0x25, 0x50]), { contentType: 'application/pdf', tags: { filename: 'r.pdf' } });
    for (const a of [png, ogg, pdf]) expect((await call('send_telegram_artifact', { chat_id: '12', artifact_id: a.artifact_id, caption: 'c' })).success).toBe(true);
    expect(tg.sent.map((s) => [s.method, s.chat_id, s.text ?? s.caption, s.file?.bytes.length ?? null])).toEqual([
      ['sendMessage', '12', 'hello', null], ['sendPhoto', '12', 'c', 2], ['sendVoice', '12', 'c', 2], ['sendDocument', '12', 'c', 2],
    ]);
    expect(tg.sent[3]!.file!.name).toBe('r.pdf');

    // The same runtime call again (its step retried after a crash): answered from the record, nothing sent.
    const once = { call_id: 'c9', runtime_call_id: 'rtcall_k_1', name: 'send_telegram_message', arguments: { chat_id: 12, text: 'only once' } };
    const first = await executeToolCall(once, ctx);
    const again = await executeToolCall(once, ctx);
    expect(tg.sent.filter((s) => s.text === 'only once')).toHaveLength(1);
    expect(again.output).toEqual({ ...(first.output as object), replayed: true });
    // The intent is durable before the request reaches Telegram, and Telegram's answer replaces it after.
    let during: unknown = 'not called';
    tg.onSend = () => { during = (store.db.query('SELECT result_json FROM telegram_sent WHERE call_id = ?').get('rtcall_k_4') as { result_json: string } | null)?.result_json; };
    await executeToolCall({ ...once, runtime_call_id: 'rtcall_k_4', arguments: { chat_id: 12, text: 'intent first' } }, ctx);
    tg.onSend = null;
    expect(JSON.parse(String(during))).toMatchObject({ delivery: 'unknown' });
    expect(await store.telegram.sentFor('rtcall_k_4')).toMatchObject({ ok: true, chat_id: '12', message_id: expect.any(Number) });
    // The gateway died during the request (the intent is committed, Telegram's answer is not): not sent again.
    await store.tx(() => store.telegram.recordSent('rtcall_k_2', { ok: true, delivery: 'unknown' }));
    const torn = await executeToolCall({ ...once, runtime_call_id: 'rtcall_k_2', arguments: { chat_id: 12, text: 'maybe sent' } }, ctx);
    expect(torn.output).toMatchObject({ ok: true, delivery: 'unknown', replayed: true });
    expect(tg.sent.filter((s) => s.text === 'maybe sent')).toHaveLength(0);

    expect((await call('send_telegram_artifact', { chat_id: '12', artifact_id: 'nope' })).error).toBe("Artifact 'nope' not found");
    expect((await call('send_telegram_message', { chat_id: 'x y', text: 'a' })).error).toMatch(/must be a numeric chat id/);
    expect((await call('send_telegram_message', { chat_id: 12, text: ' ' })).error).toBe("Argument 'text' is empty");
    // Arguments are checked before the intent is written: bad ones cost no transaction (here any would fail).
    const noTx = SqliteStore.open(':memory:', { fault: 'precommit:1:throw' });
    const strict = { ...ctx, external: telegramTools(new TelegramClient(tg.url, tg.token), noTx) };
    for (const [args, error] of [[{ chat_id: 12, text: ' ' }, "Argument 'text' is empty"], [{ chat_id: 'x y', text: 'a' }, /must be a numeric chat id/]] as const) {
      const r = await executeToolCall({ call_id: 'c5', runtime_call_id: 'rtcall_k_5', name: 'send_telegram_message', arguments: args }, strict);
      expect(r.error).toMatch(error);
    }
    expect((await executeToolCall({ call_id: 'c6', runtime_call_id: 'rtcall_k_6', name: 'send_telegram_artifact', arguments: { chat_id: 12, artifact_id: 'nope' } }, strict)).error)
      .toBe("Artifact 'nope' not found");
    await noTx.close();
    // A Bot API failure is the tool's error (the token never appears in it).
    const bad = await executeToolCall({ call_id: 'c2', name: 'send_telegram_message', arguments: { chat_id: 1, text: 'x' } },
      { ...ctx, external: telegramTools(new TelegramClient(tg.url, '1:wrong-token'), store) });
    expect(bad.error).toBe('Telegram sendMessage failed: Unauthorized');
    // Refused by Telegram, so nothing was delivered: the call's intent is forgotten and a retried step may send.
    const refused = { call_id: 'c4', runtime_call_id: 'rtcall_k_3', name: 'send_telegram_message', arguments: { chat_id: 1, text: 'retry me' } };
    await executeToolCall(refused, { ...ctx, external: telegramTools(new TelegramClient(tg.url, '1:wrong-token'), store) });
    expect(await store.telegram.sentFor('rtcall_k_3')).toBeNull();
    expect((await executeToolCall(refused, ctx)).output).toMatchObject({ ok: true, chat_id: '1' });
    expect(tg.sent.filter((s) => s.text === 'retry me')).toHaveLength(1);
    // Without the bridge the tool says how to enable it.
    expect((await executeToolCall({ call_id: 'c3', name: 'send_telegram_message', arguments: { chat_id: 1, text: 'x' } }, { ...ctx, external: undefined })).error)
      .toMatch(/needs the Telegram bridge: set ABSTRACT_TELEGRAM_BRIDGE=1/);
    await store.close();
  });

  test('a network failure names the method, never the token', async () => {
    const dead = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response('') });
    const url = `http://127.0.0.1:${dead.port}`;
    await dead.stop(true);
    const err = (await new TelegramClient(url, TOKEN).sendMessage(1, 'x').catch((e) => e)) as Error;
    expect(err.message).toMatch(/^Telegram sendMessage failed: /);
    expect(err.message).not.toContain(TOKEN);
  });
});
