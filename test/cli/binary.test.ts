// The shipped artefact: build dist/abstractgateway once, copy it ALONE into an empty directory (no
// node_modules, no sources) and use it. Slow-safe: one build per file (~2-5 s), generous timeouts.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/harness.ts';
import { Bg, ROOT, cli } from './helpers.ts';
import { packExample } from '../../scripts/make-examples.ts';
import { end, flow, n, start } from '../support/visualflow.ts';

setDefaultTimeout(60_000);
const tmp = tempDir('ag-bin-');
const exe = join(tmp.path, 'abstractgateway');
const outfile = join(tmp.path, 'build', 'abstractgateway');
let bg: Bg | null = null;

beforeAll(async () => {
  const proc = Bun.spawn([process.execPath, 'scripts/build.ts', '--outfile', outfile], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`build failed:\n${out}\n${err}`);
  console.log(out.trim().split('\n').at(-1)); // "built …: N MiB in T s"
  copyFileSync(outfile, exe);
}, 180_000);

afterAll(async () => {
  await bg?.stop('SIGKILL');
  tmp.cleanup();
});

const run = (args: string[]) => cli(args, { exe: [exe], cwd: tmp.path });

describe('compiled binary', () => {
  test('runs from an empty directory: --help, --version', async () => {
    expect(readdirSync(tmp.path).sort()).toEqual(['abstractgateway', 'build']);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('USAGE abstractgateway serve|runner|bundles|runs|commands|token|doctor|backup|migrate');
    expect((await run(['--version'])).stdout.trim()).toBe('0.1.0');
    expect((await run(['nope'])).code).toBe(2);
  });

  test('serve starts fast, seeds the embedded examples, answers /api/health and serves the docs assets', async () => {
    const dataDir = join(tmp.path, 'data');
    const t0 = performance.now();
    bg = new Bg(['serve', '--port', '0', '--data-dir', dataDir], { exe: [exe], cwd: tmp.path });
    const url = (await bg.waitFor(/listening on (http:\/\/\S+)/))[1]!;
    let status = 0;
    while (status !== 200) {
      status = await fetch(`${url}/api/health`).then((r) => r.status).catch(() => 0);
      if (status !== 200) await Bun.sleep(2);
    }
    const ms = performance.now() - t0;
    console.log(`binary start-up to first /api/health 200: ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(5000);
    expect(readdirSync(join(dataDir, 'flows')).sort()).toEqual(['ask@1.0.0.flow', 'countdown@1.0.0.flow', 'hello@1.0.0.flow']);

    const js = await fetch(`${url}/docs/assets/swagger-ui-bundle.js`);
    expect(js.status).toBe(200);
    expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000); // embedded swagger-ui
    const page = await fetch(`${url}/console`); // the web console, embedded (no sources next to the binary)
    expect(page.status).toBe(200);
    const app = await fetch(`${url}/console/assets/app.js`);
    expect(app.status).toBe(200);
    expect(app.headers.get('x-console-assets')).toBe('embedded');
    expect(await app.text()).toContain('abstractgateway.console.token');

    const list = await run(['bundles', 'list', '--json', '--data-dir', dataDir]);
    expect(JSON.parse(list.stdout).items.map((b: any) => b.bundle_id)).toEqual(['ask', 'countdown', 'hello']);
    const started = await run(['runs', 'start', 'hello', '--input', 'name=binary', '--url', url, '--data-dir', dataDir, '--json']);
    expect(started.code).toBe(0);
    const runId = JSON.parse(started.stdout).run_id;
    const tail = await run(['runs', 'tail', runId, '--data-dir', dataDir]);
    expect(tail.code).toBe(0);
    expect(tail.stdout).toContain('says: Hello, binary');

    expect(await bg.stop('SIGTERM')).toBe(0);
    bg = null;
  });

  test('runs a flow with a code node (embedded Pyodide; no python3, no node_modules)', async () => {
    const src = join(tmp.path, 'codey-src');
    mkdirSync(join(src, 'flows'), { recursive: true });
    const doc = flow('codey', [start('s', ['x']), n('c', 'code', { in: ['exec-in', 'x'], out: ['exec-out', 'output'],
      codeBody: 'import sys\nreturn {"double": int(x) * 2, "py": sys.version_info[0]}' }), end('e', ['double', 'py'])],
    ['s.exec-out>c.exec-in', 'c.exec-out>e.exec-in', 'c.double>e.double', 'c.py>e.py']);
    writeFileSync(join(src, 'flows', 'codey.json'), JSON.stringify(doc));
    writeFileSync(join(src, 'manifest.json'), JSON.stringify({
      bundle_format_version: '1', bundle_id: 'codey', bundle_version: '1.0.0', created_at: '2026-12-01T00:00:00+00:00',
      entrypoints: [{ flow_id: 'codey', name: 'Codey', description: 'code node', interfaces: [] }], default_entrypoint: 'codey',
      flows: { codey: 'flows/codey.json' }, artifacts: {}, assets: {}, metadata: {},
    }));
    const dataDir = join(tmp.path, 'code-data');
    mkdirSync(join(dataDir, 'flows'), { recursive: true });
    const packed = packExample(src);
    writeFileSync(join(dataDir, 'flows', packed.name), packed.bytes);
    bg = new Bg(['serve', '--port', '0', '--data-dir', dataDir], { exe: [exe], cwd: tmp.path, env: { PATH: '/nonexistent' } });
    const url = (await bg.waitFor(/listening on (http:\/\/\S+)/, 60_000))[1]!;
    const token = readFileSync(join(dataDir, 'gateway_token'), 'utf8').trim();
    const started = await run(['runs', 'start', 'codey', '--input', 'x=21', '--url', url, '--data-dir', dataDir, '--json']);
    expect(started.code).toBe(0);
    const runId = JSON.parse(started.stdout).run_id;
    let body: any = null;
    for (let i = 0; i < 1200 && body?.status !== 'completed' && body?.status !== 'failed'; i++) {
      await Bun.sleep(100);
      body = await fetch(`${url}/api/gateway/runs/${runId}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json());
    }
    expect(body).toMatchObject({ status: 'completed' });
    const ledger = await fetch(`${url}/api/gateway/runs/${runId}/ledger?after=0&limit=100`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.text());
    expect(ledger).toMatch(/"double": ?42/);
    expect(await bg.stop('SIGTERM')).toBe(0);
    bg = null;
  }, 180_000);
});
