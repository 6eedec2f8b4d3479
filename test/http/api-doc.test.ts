// docs/api.md is executable: its ```bash blocks run, in order, as one script against a real secured gateway
// (with the runner), so every documented example keeps working.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSecurityPolicy } from '../../src/http/security/index.ts';
import { bundleZip, flowDoc, startGateway, type TestGateway } from './support.ts';

const TOKEN = 'docs-token-0123456789abcdef';
const DOC = join(import.meta.dir, '../../docs/api.md');
const tools = ['bash', 'curl', 'jq'].every((t) => Bun.which(t) !== null);

export function bashBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```bash\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

let gw: TestGateway;
beforeAll(async () => {
  gw = await startGateway({
    runner: true,
    security: (dataDir) => loadSecurityPolicy({ ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN }, { dataDir }),
  });
});
afterAll(() => gw.close());

describe('docs/api.md', () => {
  test('has curl examples for the core endpoints', () => {
    const script = bashBlocks(readFileSync(DOC, 'utf8')).join('\n');
    for (const path of ['/api/health', '/bundles/upload', '/runs/start', '/runs/schedule', '/ledger?after', '/ledger/batch', '/ledger/stream', '/commands']) {
      expect(script).toContain(path);
    }
  });

  test.skipIf(!tools)('every bash block runs against a real gateway', async () => {
    const bundle = join(gw.dataDir, 'demo@0.0.1.flow');
    writeFileSync(bundle, bundleZip('demo', '0.0.1', { root: flowDoc('root') }));
    const script = 'set -eo pipefail\n' + bashBlocks(readFileSync(DOC, 'utf8')).join('\n');
    const proc = Bun.spawn(['bash', '-c', script], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', GW: gw.base, T: TOKEN, BUNDLE: bundle },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) console.error(`script failed (${code}):\n${err}\n--- stdout ---\n${out}`);
    expect(code).toBe(0);
    expect(out).toContain('"status":"healthy"');
    expect(out).toContain('"removed":1');
    expect(out).toContain('"status":"applied"');
    expect(out).toContain('"upcoming_fires"');
    expect(out).toContain('event: done');
    expect(out).toContain('"code":"run_not_found"');
    expect(out).toContain('"code":"validation_error"');
    expect(out).toContain('"code":"unauthorized"');
  }, 20_000);
});
