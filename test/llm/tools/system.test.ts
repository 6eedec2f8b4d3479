// execute_command carries none of the gateway's secrets and leaves no process behind: a scrubbed environment,
// its own process group killed on timeout, abort and gateway shutdown (a real gateway child SIGTERMed while a
// `sleep 1000` tool call runs exits promptly, and the sleep's whole group is gone).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { executeToolCall, type ToolRunContext } from '../../../src/llm/tools/index.ts';
import { packExample } from '../../../scripts/make-examples.ts';
import { Bg, cli } from '../../cli/helpers.ts';
import { tempDir } from '../../support/harness.ts';
import { end, flow, lit, n, start } from '../../support/visualflow.ts';

setDefaultTimeout(120_000);
const tmp = tempDir('ag-cmd-');
const root = join(tmp.path, 'ws');
const limits = { commandTimeoutMs: 5000, commandMaxTimeoutMs: 10_000, maxOutputChars: 20_000, fetchTimeoutMs: 2000 };
const ctx = (signal = new AbortController().signal): ToolRunContext => ({ vars: { workspace_root: root }, limits, signal });
const run = (args: Record<string, unknown>, c = ctx()) => executeToolCall({ name: 'execute_command', arguments: args, call_id: 'c1' }, c);
const SECRET = `secret-${crypto.randomUUID()}`;
const saved: Record<string, string | undefined> = {};
const SECRET_VARS = ['ABSTRACTGATEWAY_AUTH_TOKEN', 'ABSTRACTGATEWAY_TEST_SENTINEL', 'OPENAI_API_KEY', 'ANTHROPIC_API_KEY'];
let bg: Bg | null = null;

beforeAll(() => {
  mkdirSync(root, { recursive: true });
  for (const k of SECRET_VARS) { saved[k] = process.env[k]; process.env[k] = SECRET; }
});
afterAll(async () => {
  await bg?.stop('SIGKILL');
  for (const k of SECRET_VARS) { if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; }
  tmp.cleanup();
});

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
async function pidFrom(file: string): Promise<number> {
  for (let i = 0; i < 600 && !existsSync(file); i++) await Bun.sleep(50);
  for (let i = 0; i < 100; i++) {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (pid > 0) return pid;
    await Bun.sleep(20);
  }
  throw new Error(`no pid in ${file}`);
}
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await Bun.sleep(50);
  return !alive(pid);
}

describe('execute_command environment', () => {
  test('the child sees PATH, HOME = the workspace, LANG and nothing of the gateway', async () => {
    const r = await run({ command: 'env' });
    const out = String((r.output as any).stdout);
    expect(out).not.toContain(SECRET);
    expect(out).not.toContain('ABSTRACTGATEWAY_');
    expect(out).not.toContain('API_KEY');
    const names = out.trim().split('\n').map((l) => l.split('=')[0]).filter((k) => k && !['SHLVL', '_', 'OLDPWD'].includes(k!)).sort();
    expect(names).toEqual(['HOME', 'LANG', 'PATH', 'PWD']);
    expect(out).toContain(`HOME=${root}\n`);
  });
});

describe('execute_command process group', () => {
  test('a sleep with a grandchild is killed, group and all, on timeout', async () => {
    const pidFile = join(root, 'timeout.pid');
    const r = await run({ command: `sleep 1000 & echo $! > ${pidFile}; sleep 1000`, timeout: 1 });
    expect(r.error).toContain('timed out after 1s');
    expect(await gone(await pidFrom(pidFile))).toBe(true);
  });

  test('a sleep with a grandchild is killed, group and all, on abort (cancel / pause)', async () => {
    const pidFile = join(root, 'abort.pid');
    const ac = new AbortController();
    const pending = run({ command: `sleep 1000 & echo $! > ${pidFile}; sleep 1000` }, ctx(ac.signal));
    const pid = await pidFrom(pidFile);
    ac.abort();
    expect((await pending).error).toBe('Command cancelled');
    expect(await gone(pid)).toBe(true);
  });
});

describe('gateway shutdown during a tool call', () => {
  test('a SIGTERMed gateway exits promptly and the sleeping command group is gone', async () => {
    const pidFile = join(root, 'gateway.pid');
    const src = join(tmp.path, 'sleeper-src');
    mkdirSync(join(src, 'flows'), { recursive: true });
    const pgidFile = join(root, 'gateway.pgid');
    const calls = [{ name: 'execute_command', arguments: { command: `echo $$ > ${pgidFile}; sleep 1000 & echo $! > ${pidFile}; sleep 1000`, timeout: 600 } }];
    const doc = flow('sleeper', [start('s'), lit('calls', calls), n('t', 'tool_calls', { in: ['exec-in', 'tool_calls'], out: ['exec-out', 'results', 'success'] }), end('e')],
      ['s.exec-out>t.exec-in', 'calls.value>t.tool_calls', 't.exec-out>e.exec-in']);
    writeFileSync(join(src, 'flows', 'sleeper.json'), JSON.stringify(doc));
    writeFileSync(join(src, 'manifest.json'), JSON.stringify({
      bundle_format_version: '1', bundle_id: 'sleeper', bundle_version: '1.0.0', created_at: '2026-12-01T00:00:00+00:00',
      entrypoints: [{ flow_id: 'sleeper', name: 'Sleeper', description: 'sleeps in a tool call', interfaces: [] }],
      default_entrypoint: 'sleeper', flows: { sleeper: 'flows/sleeper.json' }, artifacts: {}, assets: {}, metadata: {},
    }));
    const dataDir = join(tmp.path, 'data');
    mkdirSync(join(dataDir, 'flows'), { recursive: true });
    const packed = packExample(src);
    writeFileSync(join(dataDir, 'flows', packed.name), packed.bytes);
    bg = new Bg(['serve', '--port', '0', '--data-dir', dataDir], {
      env: { ABSTRACTGATEWAY_TOOL_MODE: 'local', ABSTRACTGATEWAY_POLL_S: '0.05', ABSTRACTGATEWAY_AUTH_TOKEN: SECRET },
    });
    const url = (await bg.waitFor(/listening on (http:\/\/\S+)/, 60_000))[1]!;
    const started = await cli(['runs', 'start', 'sleeper', '--input', `workspace_root=${root}`, '--url', url, '--token', SECRET, '--json']);
    expect(started.code).toBe(0);
    const pid = await pidFrom(pidFile);
    expect(alive(pid)).toBe(true);
    const t0 = performance.now();
    const code = await bg.stop('SIGTERM');
    bg = null;
    console.log(`gateway exit after SIGTERM during a sleeping tool call: ${(performance.now() - t0).toFixed(0)} ms`);
    expect(code).toBe(0);
    expect(await gone(pid)).toBe(true);
    // no re-execution slipped in during shutdown, and no member of the command's group survives
    expect(await pidFrom(pidFile)).toBe(pid);
    const pgid = await pidFrom(pgidFile);
    let groupAlive = true;
    for (let i = 0; i < 100 && groupAlive; i++) {
      try { process.kill(-pgid, 0); await Bun.sleep(50); } catch { groupAlive = false; }
    }
    expect(groupAlive).toBe(false);
  });
});
