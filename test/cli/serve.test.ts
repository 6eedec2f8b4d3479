// `serve` as a real process: first-run seeding, health, the API with the stored token, split API/runner
// deployment, refusals (weak token on a public bind, port in use) and graceful SIGTERM.
import { afterAll, describe, expect, test } from 'bun:test';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/harness.ts';
import { Bg, EXAMPLES, cli, cliJson, until } from './helpers.ts';

const tmp = tempDir('ag-cli-serve-');
const env = { ABSTRACTGATEWAY_POLL_S: '0.05' };
const bgs: Bg[] = [];
afterAll(async () => {
  await Promise.all(bgs.map((b) => b.stop('SIGKILL')));
  tmp.cleanup();
});
const bg = (args: string[], extra: Record<string, string> = {}) => { const b = new Bg(args, { env: { ...env, ...extra } }); bgs.push(b); return b; };
const listening = async (b: Bg) => (await b.waitFor(/listening on (http:\/\/\S+)/))[1]!;

describe('serve', () => {
  test('first run seeds the examples, serves /api/health, accepts the stored token; SIGTERM exits 0', async () => {
    const dataDir = join(tmp.path, 'one');
    const srv = bg(['serve', '--port', '0', '--data-dir', dataDir]);
    const url = await listening(srv);
    expect(srv.out).toContain('First run: installed example bundles');
    expect(readdirSync(join(dataDir, 'flows')).sort()).toEqual(['ask@1.0.0.flow', 'countdown@1.0.0.flow', 'hello@1.0.0.flow']);
    expect((await fetch(`${url}/api/health`)).status).toBe(200);
    const tokenFile = join(dataDir, 'gateway_token');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    // the generated token is shown once, with a ready-to-paste curl line
    const token = readFileSync(tokenFile, 'utf8').trim();
    await until(() => srv.out.includes(`curl -H "Authorization: Bearer ${token}" ${url}/api/gateway/bundles`), 'the curl line');

    const remote = ['--url', url, '--data-dir', dataDir]; // token read from <data-dir>/gateway_token
    const { run_id } = await cliJson(['runs', 'start', 'hello', '--input', 'name=Bob', ...remote]);
    await until(async () => {
      const r = await fetch(`${url}/api/gateway/runs/${run_id}`, { headers: { authorization: `Bearer ${token}` } });
      return ((await r.json()) as { status: string }).status === 'completed';
    }, 'run to complete');
    const cmd = await cliJson(['commands', 'pause', run_id, '--wait', ...remote]);
    expect(cmd).toMatchObject({ accepted: true, outcome: { status: 'applied' } });
    const denied = await cli(['commands', 'pause', run_id, '--url', url, '--token', 'wrong-token-xxxxxxxx']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('401');

    // a second server on the same port cannot start
    const port = new URL(url).port;
    const busy = await cli(['serve', '--port', port, '--data-dir', join(tmp.path, 'busy')]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain('already in use');

    expect(await srv.stop('SIGTERM')).toBe(0);
    expect(srv.out).toContain('SIGTERM: stopping');
  }, 30_000);

  test('split deployment: serve --no-runner creates runs, a separate runner ticks them', async () => {
    const dataDir = join(tmp.path, 'split');
    const api = bg(['serve', '--no-runner', '--port', '0', '--data-dir', dataDir]);
    const url = await listening(api);
    expect(api.out).toContain('runner: off');
    const { run_id } = await cliJson(['runs', 'start', 'countdown', '--url', url, '--data-dir', dataDir]);
    await Bun.sleep(300);
    expect((await cliJson(['runs', 'show', run_id, '--data-dir', dataDir])).status).toBe('running');
    const worker = bg(['runner', '--data-dir', dataDir]);
    await worker.waitFor(/runner active/);
    await until(async () => (await cliJson(['runs', 'show', run_id, '--data-dir', dataDir])).status === 'completed', 'countdown to complete');
    await worker.waitFor(new RegExp(`"event":"run.completed","run_id":"${run_id}"`)); // the ticking process logs the lifecycle
    expect(await worker.stop('SIGTERM')).toBe(0);
    expect(await api.stop('SIGTERM')).toBe(0);
  }, 30_000);

  test('a gateway killed while a run waits for a time picks the wait up after restart (SIGKILL, same data dir)', async () => {
    const dataDir = join(tmp.path, 'restart');
    const first = bg(['serve', '--port', '0', '--data-dir', dataDir]);
    const url = await listening(first);
    const token = readFileSync(join(dataDir, 'gateway_token'), 'utf8').trim();
    const H = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const startAt = new Date(Date.now() + 1500).toISOString();
    const res = await fetch(`${url}/api/gateway/runs/schedule`, { method: 'POST', headers: H, body: JSON.stringify({ bundle_id: 'hello', flow_id: 'hello', start_at: startAt }) });
    const { run_id } = (await res.json()) as { run_id: string };
    await until(async () => (await cliJson(['runs', 'show', run_id, '--data-dir', dataDir])).status === 'waiting', 'the schedule to wait');
    expect(await first.stop('SIGKILL')).not.toBe(0);
    await Bun.sleep(1600); // the due time passes while nothing runs
    const second = bg(['serve', '--port', '0', '--data-dir', dataDir]);
    await listening(second);
    await until(async () => (await cliJson(['runs', 'show', run_id, '--data-dir', dataDir])).status === 'completed', 'the schedule to fire after restart');
    const children = (await cliJson<{ items: { parent_run_id: string | null; status: string }[] }>(['runs', 'list', '--limit', '20', '--data-dir', dataDir])).items.filter((r) => r.parent_run_id === run_id);
    expect(children.map((c) => c.status)).toEqual(['completed']);
    expect(await second.stop('SIGTERM')).toBe(0);
  }, 30_000);

  test('a single .flow file as ABSTRACTGATEWAY_FLOWS_DIR is served (no mkdir over it)', async () => {
    const dataDir = join(tmp.path, 'single');
    const file = join(tmp.path, 'hello@1.0.0.flow');
    copyFileSync(join(EXAMPLES, 'hello@1.0.0.flow'), file);
    const srv = bg(['serve', '--port', '0', '--data-dir', dataDir], { ABSTRACTGATEWAY_FLOWS_DIR: file });
    const url = await listening(srv);
    expect(srv.out).toContain(`flows: ${file}`);
    const token = readFileSync(join(dataDir, 'gateway_token'), 'utf8').trim();
    const res = await fetch(`${url}/api/gateway/bundles`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await res.json()) as { items: { bundle_id: string }[] }).items.map((b) => b.bundle_id)).toEqual(['hello']);
    expect(statSync(file).isFile()).toBe(true);
    expect(await srv.stop('SIGTERM')).toBe(0);
  }, 30_000);

  test('the server talks: JSON lines when piped, --log-format text, --quiet silences', async () => {
    const dataDir = join(tmp.path, 'talk');
    const run = async (flags: string[]) => {
      const srv = bg(['serve', '--port', '0', '--data-dir', dataDir, ...flags]);
      const url = await listening(srv);
      await fetch(`${url}/api/health?secret=s3cret`);
      await Bun.sleep(100);
      expect(await srv.stop('SIGTERM')).toBe(0);
      return srv.out;
    };
    const json = await run([]);
    const line = json.split('\n').find((l) => l.includes('"event":"request"'))!;
    expect(JSON.parse(line)).toMatchObject({ method: 'GET', path: '/api/health', status: 200 });
    expect(json).not.toContain('s3cret');
    expect(await run(['--log-format', 'text'])).toMatch(/^\d\d:\d\d:\d\d\.\d{3} GET \/api\/health 200 [\d.]+ms req=\w+$/m);
    const quiet = await run(['--quiet']);
    expect(quiet).toContain('listening on');
    expect(quiet).not.toContain('/api/health');
    expect((await cli(['serve', '--log-format', 'xml'])).code).toBe(2);
  }, 30_000);

  test('refuses a weak token on a public interface (exit 2, says how to fix)', async () => {
    const r = await cli(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', join(tmp.path, 'weak')], { env: { ABSTRACTGATEWAY_AUTH_TOKEN: 't' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Refusing to start');
    expect(r.stderr).toMatch(/^hint: Generate one with `abstractgateway token rotate`/m);
    expect(existsSync(join(tmp.path, 'weak', 'gateway_token'))).toBe(false);
  });
});
