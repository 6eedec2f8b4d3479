// Operator tools: token, doctor, backup.
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { Database } from 'bun:sqlite';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/index.ts';
import { tempDir } from '../support/harness.ts';
import { cli, cliJson, dataDirWithExamples } from './helpers.ts';
import { startStubLlm } from '../support/stub-llm.ts';

setDefaultTimeout(30_000);
const tmp = tempDir('ag-cli-ops-');
afterAll(() => tmp.cleanup());

describe('token', () => {
  const dd = ['--data-dir', join(tmp.path, 'tok')];
  test('prints (creating once) the stored token; --rotate replaces it', async () => {
    const first = await cli(['token', ...dd]);
    expect(first.code).toBe(0);
    const token = first.stdout.trim(); // piped: just the token, for TOKEN=$(abstractgateway token)
    expect(token).toMatch(/^agw_[A-Za-z0-9_-]{40,}$/);
    expect((await cli(['token', ...dd])).stdout.trim()).toBe(token);
    const j = await cliJson(['token', ...dd]);
    expect(j).toMatchObject({ token, created: false, rotated: false, path: join(tmp.path, 'tok', 'gateway_token') });
    const rotated = await cliJson(['token', '--rotate', ...dd]);
    expect(rotated.token).not.toBe(token);
    expect(readFileSync(rotated.path, 'utf8').trim()).toBe(rotated.token);
    expect((await cliJson(['token', 'rotate', ...dd])).token).not.toBe(rotated.token);
    expect((await cli(['token', 'bogus', ...dd])).code).toBe(2);
  });
});

describe('doctor: LLM providers', () => {
  const stub = startStubLlm();
  afterAll(() => stub.stop());
  const llmChecks = async (env: Record<string, string>) => {
    const r = await cli(['doctor', '--data-dir', join(tmp.path, 'llm'), '--port', '0', '--json'], { env });
    return { code: r.code, checks: (JSON.parse(r.stdout).checks as { name: string; status: string; detail: string; fix?: string }[]).filter((x) => x.name === 'llm') };
  };

  test('the default provider is reachable and lists the default model: ok', async () => {
    const { code, checks } = await llmChecks({ OPENAI_BASE_URL: `${stub.url}/v1`, OPENAI_API_KEY: 'sk-test', ABSTRACTGATEWAY_PROVIDER: 'openai', ABSTRACTGATEWAY_MODEL: 'stub-b' });
    expect(code).toBe(0);
    const openai = checks.find((x) => x.detail.startsWith('openai (default)'))!;
    expect(openai).toMatchObject({ status: 'ok' });
    expect(openai.detail).toContain('reachable, 2 model(s), default model stub-b listed');
    expect(stub.requests.some((r) => r.path === '/v1/models')).toBe(true);
  });

  test('default model not listed, or default provider unreachable: exit 1 naming what to set', async () => {
    const missing = await llmChecks({ OPENAI_BASE_URL: `${stub.url}/v1`, OPENAI_API_KEY: 'sk-test', ABSTRACTGATEWAY_PROVIDER: 'openai', ABSTRACTGATEWAY_MODEL: 'gpt-9' });
    expect(missing.code).toBe(1);
    expect(missing.checks.find((x) => x.status === 'fail')!.detail).toContain("model 'gpt-9' is not among its 2 models (stub-a, stub-b)");
    const down = await llmChecks({ VLLM_BASE_URL: 'http://127.0.0.1:1/v1', ABSTRACTGATEWAY_PROVIDER: 'vllm', ABSTRACTGATEWAY_MODEL: 'm' });
    expect(down.code).toBe(1);
    const vllm = down.checks.find((x) => x.detail.startsWith('vllm (default)'))!;
    expect(vllm.status).toBe('fail');
    expect(vllm.detail).toContain('not reachable');
    expect(vllm.fix).toContain('set VLLM_BASE_URL to where it listens (and VLLM_API_KEY)');
  });
});

describe('doctor', () => {
  test('healthy installation: exit 0, every check reported', async () => {
    const { dataDir } = dataDirWithExamples(join(tmp.path, 'doc'));
    await SqliteStore.open(join(dataDir, 'gateway.sqlite3')).close();
    await cli(['token', '--data-dir', dataDir]);
    const r = await cli(['doctor', '--data-dir', dataDir, '--port', '0', '--json']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.ok).toBe(true);
    // runner and llm depend on the machine (local LLM servers may or may not run): asserted in their own tests
    const byName = Object.fromEntries(rep.checks.filter((x: any) => x.name !== 'runner' && x.name !== 'llm').map((x: any) => [x.name, x.status]));
    expect(byName).toEqual({ 'data dir': 'ok', database: 'ok', flows: 'ok', token: 'ok', port: 'ok' });
    const human = await cli(['doctor', '--data-dir', dataDir, '--port', '0']);
    expect(human.stdout).toContain('No problems found.');
  });

  test('problems exit 1 and say how to fix them', async () => {
    const { dataDir, flowsDir } = dataDirWithExamples(join(tmp.path, 'sick'));
    await SqliteStore.open(join(dataDir, 'gateway.sqlite3')).close();
    const tok = await cliJson(['token', '--data-dir', dataDir]);
    chmodSync(tok.path, 0o644);
    writeFileSync(join(flowsDir, 'broken.flow'), 'not a zip');
    const busy = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } });
    try {
      const r = await cli(['doctor', '--data-dir', dataDir, '--port', String(busy.port)]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`chmod 600 ${tok.path}`);
      expect(r.stdout).toMatch(/FAIL\s+flows\s+broken\.flow: .*not a zip file/);
      expect(r.stdout).toMatch(/FAIL\s+port\s+127\.0\.0\.1:\d+ is not available/);
      expect(r.stdout).toMatch(/3 problem\(s\) to fix/);
    } finally {
      busy.stop(true);
    }
  });

  test('a corrupt database fails the integrity check', async () => {
    const dataDir = join(tmp.path, 'corrupt');
    await SqliteStore.open(join(dataDir, 'gateway.sqlite3')).close();
    writeFileSync(join(dataDir, 'gateway.sqlite3'), 'garbage'.repeat(1000));
    const r = await cliJson(['doctor', '--data-dir', dataDir, '--port', '0']).catch(() => null);
    expect(r).toBeNull(); // exit 1
    const raw = await cli(['doctor', '--data-dir', dataDir, '--port', '0', '--json']);
    expect(raw.code).toBe(1);
    expect(JSON.parse(raw.stdout).checks.find((x: any) => x.name === 'database').status).toBe('fail');
  });
});

describe('backup', () => {
  test('writes a consistent copy; refuses to overwrite without --overwrite', async () => {
    const dataDir = join(tmp.path, 'bk');
    const store = SqliteStore.open(join(dataDir, 'gateway.sqlite3'));
    await store.commands.append({ run_id: 'r1', type: 'pause' });
    const dest = join(tmp.path, 'backup.sqlite3');
    const r = await cliJson(['backup', dest, '--data-dir', dataDir]); // while another connection holds the db open
    await store.close();
    expect(r).toMatchObject({ ok: true, file: dest });
    const copy = new Database(dest, { readonly: true });
    expect((copy.query('SELECT COUNT(*) AS n FROM commands').get() as { n: number }).n).toBe(1);
    copy.close();
    const again = await cli(['backup', dest, '--data-dir', dataDir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('--overwrite');
    expect((await cli(['backup', dest, '--overwrite', '--data-dir', dataDir])).code).toBe(0);
    expect((await cli(['backup', join(tmp.path, 'x.sqlite3'), '--data-dir', join(tmp.path, 'none')])).code).toBe(1);
    expect(existsSync(join(tmp.path, 'none'))).toBe(false);
  });
});
