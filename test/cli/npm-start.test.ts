// `npm start` as a user runs it: it honours ABSTRACTGATEWAY_DATA_DIR (./runtime only when unset), says where the
// token is and how to try it on every start (the value only on first generation), and SIGTERM to npm stops the
// server too (npm → bun: the script execs bun, npm forwards the signal, nothing is left running).
import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/harness.ts';
import { Bg, until } from './helpers.ts';

const tmp = tempDir('ag-npm-start-');
const bgs: Bg[] = [];
afterAll(async () => {
  await Promise.all(bgs.map((b) => b.stop('SIGKILL')));
  tmp.cleanup();
});
const npm = Bun.which('npm');
if (!npm) console.warn('skip: npm start test needs npm on PATH');

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };
/** The direct children of a process (Linux /proc); null where that is not available. */
function children(pid: number): number[] | null {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return null;
  }
}

describe.skipIf(!npm)('npm start', () => {
  test('serves the data dir from ABSTRACTGATEWAY_DATA_DIR; SIGTERM to npm stops bun; every start shows the token path', async () => {
    const dataDir = join(tmp.path, 'mine');
    const env = { ABSTRACTGATEWAY_DATA_DIR: dataDir, ABSTRACTGATEWAY_PORT: '0' };
    const first = new Bg(['start'], { exe: [npm!], env });
    bgs.push(first);
    const url = (await first.waitFor(/listening on (http:\/\/\S+)/, 20_000))[1]!;
    expect(first.out).toContain(`(data: ${dataDir}, flows: ${join(dataDir, 'flows')}`);
    expect(existsSync(join(dataDir, 'gateway_token'))).toBe(true);
    const token = readFileSync(join(dataDir, 'gateway_token'), 'utf8').trim();
    await first.waitFor(/Try:\n\s+curl .*\n/);
    expect(first.out).toContain(token); // generated now: shown once
    const kids = children(first.proc.pid);
    if (kids) {
      expect(kids).toHaveLength(1); // npm → bun (the script execs bun: no shell in between)
      const argv = readFileSync(`/proc/${kids[0]}/cmdline`, 'utf8').split('\0');
      expect(argv[0]!.split('/').at(-1)).toBe('bun'); // not a shell holding bun as a grandchild
      expect(argv).toContain('serve');
    }
    // npm forwards the signal to bun and exits reporting it (128 + 15); bun stops gracefully on its own.
    expect([0, 143]).toContain(await first.stop('SIGTERM'));
    // (its "SIGTERM: stopping" line may come after npm exited, when nobody reads the pipe any more: not asserted)
    if (kids) await until(() => !alive(kids[0]!), 'bun to exit after npm was sent SIGTERM');
    expect(await fetch(`${url}/api/health`).then(() => 'up', () => 'down')).toBe('down');

    const second = new Bg(['start'], { exe: [npm!], env });
    bgs.push(second);
    await second.waitFor(/listening on (http:\/\/\S+)/, 20_000);
    await second.waitFor(/Try:\n\s+curl .*\n/);
    expect(second.out).toContain(`Access token: stored in ${join(dataDir, 'gateway_token')}`);
    expect(second.out).toContain(`curl -H "Authorization: Bearer $(cat ${join(dataDir, 'gateway_token')})"`);
    expect(second.out).not.toContain(token); // the value only on first generation
    const kids2 = children(second.proc.pid);
    expect([0, 143]).toContain(await second.stop('SIGTERM'));
    if (kids2) await until(() => !alive(kids2[0]!), 'the second bun to exit');
  }, 60_000);

  test('the ./runtime default lives in the script as an env default, not a hard-coded flag', async () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dir, '../../package.json'), 'utf8'));
    expect(pkg.scripts.start).not.toContain('--data-dir');
    expect(pkg.scripts.start).toContain('${ABSTRACTGATEWAY_DATA_DIR:-./runtime}');
  });
});
