// The shipped artefact: build dist/abstractgateway once, copy it ALONE into an empty directory (no
// node_modules, no sources) and use it. Slow-safe: one build per file (~2-5 s), generous timeouts.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/harness.ts';
import { Bg, ROOT, cli } from './helpers.ts';

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
});
