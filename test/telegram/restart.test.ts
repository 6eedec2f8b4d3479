// tg-agent-main through real child gateway processes (`abstractgateway serve`, VisualFlow-directory mode) on one
// data dir, SIGKILLed and restarted: every inbound message gets exactly one reply — none lost, none repeated — when
// the gateway dies after a reply, while the message waits in Telegram, and in the middle of the agent's LLM call.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { Bg, until } from '../cli/helpers.ts';
import { tempDir } from '../support/harness.ts';
import { startStubLlm, type StubLlm } from '../support/stub-llm.ts';
import { startStubTelegram, type StubTelegram } from '../support/stub-telegram.ts';
import { telegramAgentReply } from '../support/telegram-llm.ts';
import { describeShared, SHARED_FLOWS } from '../support/shared.ts';

const FLOWS = SHARED_FLOWS;

let llm: StubLlm;
let tg: StubTelegram;
let tmp: ReturnType<typeof tempDir>;
let gw: Bg | null = null;

function serve(): Bg {
  return new Bg(['serve', '--port', '0', '--data-dir', join(tmp.path, 'data'), '--flows-dir', FLOWS], {
    env: {
      ABSTRACTGATEWAY_WORKFLOW_SOURCE: 'visualflow', ABSTRACTGATEWAY_AUTH_TOKEN: 'tg-restart-token-0123456789abcdef',
      ABSTRACTGATEWAY_TOOL_MODE: 'local', ABSTRACTGATEWAY_POLL_S: '0.05', LMSTUDIO_BASE_URL: `${llm.url}/v1`,
      ABSTRACT_TELEGRAM_BRIDGE: '1', ABSTRACT_TELEGRAM_TRANSPORT: 'bot_api', ABSTRACT_TELEGRAM_BOT_TOKEN: tg.token,
      ABSTRACT_TELEGRAM_FLOW_ID: 'tg-agent-main', ABSTRACT_TELEGRAM_API_BASE_URL: tg.url, ABSTRACT_TELEGRAM_POLL_TIMEOUT_S: '1',
    },
  });
}

const replies = () => tg.sent.map((s) => s.text);

describeShared('Telegram bridge across gateway restarts', () => {
  beforeAll(() => {
    tmp = tempDir('ag-tg-restart-');
    llm = startStubLlm();
    // "slow" messages keep the LLM call in flight long enough to kill the gateway during it.
    llm.respond = (body) => ({ ...telegramAgentReply(body), ...(JSON.stringify(body.messages?.at(-1) ?? '').includes('slow') ? { delayMs: 1500 } : {}) });
    tg = startStubTelegram();
  });
  afterAll(async () => {
    await gw?.stop('SIGKILL');
    llm?.stop();
    tg?.stop();
    tmp?.cleanup();
  });

  test('exactly one reply per message, across SIGKILL and restart', async () => {
    gw = serve();
    await gw.waitFor(/telegram: bridge polling/, 20_000);
    tg.push({ chat_id: 77, text: 'one' });
    await until(() => replies().length === 1, 'the first reply', 20_000);
    await gw.stop('SIGKILL');

    // Arrives while no gateway runs: delivered by the next one, after the committed offset.
    tg.push({ chat_id: 77, text: 'two' });
    gw = serve();
    await until(() => replies().length === 2, 'the second reply', 20_000);
    expect(replies()).toEqual(['echo: one', 'echo: two']);

    // Killed while the agent's LLM call is in flight: the restarted gateway finishes the turn, replying once.
    const llmCalls = llm.requests.length;
    tg.push({ chat_id: 77, text: 'slow three' });
    await until(() => llm.requests.length > llmCalls, 'the LLM call for the third message', 20_000);
    await gw.stop('SIGKILL');
    gw = serve();
    await until(() => replies().length === 3, 'the third reply', 20_000);
    await Bun.sleep(1500); // anything duplicated would show up by now (the gateway polls every 50 ms)
    expect(replies()).toEqual(['echo: one', 'echo: two', 'echo: slow three']);
    expect(gw.out).not.toContain(tg.token);
    // The offset is durable: across both restarts no poll ever asked for an update already delivered.
    expect(tg.offsets).toEqual([...tg.offsets].sort((a, b) => a - b));
    expect(tg.offsets.at(-1)).toBe(4);
  }, 90_000);
});
