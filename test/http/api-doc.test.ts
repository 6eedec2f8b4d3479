// docs/api.md is executable, exactly as written: its ```bash blocks run, in order, as one script (bash, curl, jq)
// against the real `abstractgateway serve` process seeded the way `npm start` seeds a new data directory (the
// same seedFlows: ask, countdown, hello; the generated token file). The test adds nothing: it only says where
// the gateway is (GW) and which data directory it uses (ABSTRACTGATEWAY_DATA_DIR), the two variables the
// document itself reads, and runs the script from a checkout (the upload example uses assets/bundles/).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Bg, ROOT } from '../cli/helpers.ts';
import { tempDir } from '../support/harness.ts';

const DOC = join(import.meta.dir, '../../docs/api.md');
const tools = ['bash', 'curl', 'jq'].every((t) => Bun.which(t) !== null);
if (!tools) console.warn('skip: running docs/api.md needs bash, curl and jq on PATH');

export function bashBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```bash\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

const tmp = tempDir('ag-api-doc-');
const dataDir = join(tmp.path, 'data');
let srv: Bg;
let url: string;
beforeAll(async () => {
  srv = new Bg(['serve'], { env: { ABSTRACTGATEWAY_DATA_DIR: dataDir, ABSTRACTGATEWAY_PORT: '0', ABSTRACTGATEWAY_POLL_S: '0.05' } });
  url = (await srv.waitFor(/listening on (http:\/\/\S+)/, 20_000))[1]!;
});
afterAll(async () => {
  await srv.stop('SIGTERM');
  tmp.cleanup();
});

describe('docs/api.md', () => {
  test('has curl examples for the core endpoints', () => {
    const script = bashBlocks(readFileSync(DOC, 'utf8')).join('\n');
    for (const path of ['/api/health', '/bundles/upload', '/runs/start', '/runs/schedule', '/ledger?after', '/ledger/batch', '/ledger/stream', '/commands']) {
      expect(script).toContain(path);
    }
  });

  test('the gateway under test is seeded like `npm start` and nothing else', () => {
    expect(readdirSync(join(dataDir, 'flows')).sort()).toEqual(['ask@1.0.0.flow', 'countdown@1.0.0.flow', 'hello@1.0.0.flow']);
    expect(srv.out).toContain('First run: installed example bundles');
  });

  test.skipIf(!tools)('every bash block runs, as written, against that gateway', async () => {
    const script = 'set -eo pipefail\n' + bashBlocks(readFileSync(DOC, 'utf8')).join('\n');
    const proc = Bun.spawn(['bash', '-c', script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp.path, GW: url, ABSTRACTGATEWAY_DATA_DIR: dataDir },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (process.env.SHOW_DOC_OUTPUT) console.log(out);
    if (code !== 0) console.error(`script failed (${code}):\n${err}\n--- stdout ---\n${out}\n--- server ---\n${srv.out}`);
    expect(code).toBe(0);
    expect(out).toContain('"status":"healthy"');
    expect(out).toMatch(/abstractgateway_runs\{status="running"\} \d+$/m);
    expect(out).toContain('"workflow_id":"ask@1.0.0:ask","inputs":["question"]');
    expect(out).toContain('{"ok":true,"bundle_ref":"hello@1.0.0"}');
    expect(out).toMatch(/^409$/m);
    expect(out).toContain('"removed":1');
    expect(out).toContain('{"question":"Who are you?"}');
    expect(out).toContain('"status":"applied"');
    expect(out).toContain('{"status":"completed","output":{"answer":"I am Albou","success":true}}');
    expect(out).toContain('"upcoming_fires"');
    expect(out).toContain('event: done');
    expect(out).toContain('"code":"run_not_found"');
    expect(out).toContain('"code":"validation_error"');
    expect(out).toContain('"code":"unauthorized"');
  }, 30_000);
});
