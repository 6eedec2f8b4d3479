// The real flow ../shared/flows/tg-agent-main.json end to end in one process: VisualFlow-directory mode, the
// bridge polling a stub Bot API, the agent answering through the stub LLM with send_telegram_message.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import { tempDir } from '../support/harness.ts';
import { startStubLlm, type StubLlm } from '../support/stub-llm.ts';
import { startStubTelegram, type StubTelegram } from '../support/stub-telegram.ts';
import { telegramAgentReply } from '../support/telegram-llm.ts';
import { describeShared, SHARED_FLOWS } from '../support/shared.ts';

const FLOWS = SHARED_FLOWS;

let llm: StubLlm;
let tg: StubTelegram;
let gw: Gateway;
let tmp: ReturnType<typeof tempDir>;
const logs: string[] = [];

async function until<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms = 15_000): Promise<T> {
  const stop = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > stop) {
      const runs = await Promise.all((await gw.store.runs.list({ limit: 50 })).items.map(async (r) => (await gw.store.runs.get(r.run_id))!));
      const dump = runs.map((r) => `${r.run_id} ${r.workflow_id} ${r.status} ${r.current_node} ${JSON.stringify(r.waiting)?.slice(0, 300)} ${r.error ?? ''}`);
      const cmds = (await gw.store.commands.listAfter(0, 50)).map((c) => `${c.type} ${c.status} ${c.reason}`);
      throw new Error(`timed out waiting for ${what}\n${logs.join('\n')}\n${dump.join('\n')}\n${cmds.join('\n')}\nllm requests: ${llm.requests.length}, Bot API calls: ${tg.calls.join(',')}`);
    }
    await Bun.sleep(20);
  }
}

describeShared('tg-agent-main over the Bot API bridge', () => {
  beforeAll(async () => {
    tmp = tempDir('ag-tg-agent-');
    llm = startStubLlm();
    llm.respond = telegramAgentReply;
    tg = startStubTelegram();
    const env = {
      ABSTRACTGATEWAY_TOOL_MODE: 'local', LMSTUDIO_BASE_URL: `${llm.url}/v1`,
      ABSTRACT_TELEGRAM_BRIDGE: '1', ABSTRACT_TELEGRAM_TRANSPORT: 'bot_api', ABSTRACT_TELEGRAM_BOT_TOKEN: tg.token,
      ABSTRACT_TELEGRAM_FLOW_ID: 'tg-agent-main', ABSTRACT_TELEGRAM_API_BASE_URL: tg.url, ABSTRACT_TELEGRAM_POLL_TIMEOUT_S: '1',
    };
    const config = { ...loadConfig({ ABSTRACTGATEWAY_WORKFLOW_SOURCE: 'visualflow' }, { dataDir: join(tmp.path, 'data'), flowsDir: FLOWS }), pollMs: 20 };
    gw = await createGateway(config, { env, log: (m) => logs.push(m) });
    await gw.runner.start();
    gw.startBridges();
  });
  afterAll(async () => {
    await gw?.close();
    llm?.stop();
    tg?.stop();
    tmp?.cleanup();
  });

  test('an inbound message produces exactly one reply, recorded as a tool step', async () => {
    tg.push({ chat_id: 4242, text: 'hello bot' });
    await until('the reply', () => tg.sent.length >= 1);
    await gw.runner.idle();
    await Bun.sleep(100);
    expect(tg.sent.map((s) => [s.method, s.chat_id, s.text])).toEqual([['sendMessage', '4242', 'echo: hello bot']]);
    const binding = (await gw.store.telegram.binding('123456', '4242'))!;
    expect(binding.session_id).toBe('telegram:4242');
    const tree = await Promise.all((await gw.store.runs.list({ sessionId: 'telegram:4242', limit: 50 })).items.map(async (r) => (await gw.store.runs.get(r.run_id))!));
    const toolSteps = (await Promise.all(tree.map((r) => gw.store.ledger.listAfter(r.run_id, 0, 10_000)))).flat().filter((s) => s.effect?.type === 'tool_calls' && s.status === 'completed');
    expect(toolSteps).toHaveLength(1);
    expect(toolSteps[0]!.result?.results?.[0]).toMatchObject({ name: 'send_telegram_message', success: true });

    tg.push({ chat_id: 4242, text: 'again' });
    await until('the second reply', () => tg.sent.length >= 2);
    await gw.runner.idle();
    expect(tg.sent.map((s) => s.text)).toEqual(['echo: hello bot', 'echo: again']);
    expect(await gw.store.telegram.bindings('123456')).toHaveLength(1);
    expect(logs.join('\n')).not.toContain(tg.token);
  }, 30_000);
});
