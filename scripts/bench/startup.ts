// Start-up of the single binary: exec → first 200 on /api/health (median of 5), idle RSS, binary size.
import { existsSync, mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fmt, ms, q, ref, type Figure } from './common.ts';

const BINARY = resolve(import.meta.dir, '../../dist/abstractgateway');

async function freePort(): Promise<number> {
  const s = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = s.port!;
  await s.stop(true);
  return port;
}

export async function startup(): Promise<Figure[]> {
  {
    // Always a fresh build: a stale dist/ would measure old code.
    const build = Bun.spawnSync([process.execPath, resolve(import.meta.dir, '../build.ts')], { stdout: 'ignore', stderr: 'inherit' });
    if (build.exitCode !== 0 || !existsSync(BINARY)) throw new Error('could not build dist/abstractgateway (npm run build)');
  }
  // One data directory: the first start seeds it (examples, token, schema); the next five are restarts.
  const dir = mkdtempSync(join(tmpdir(), 'ag-bench-start-'));
  const times: number[] = [];
  let first = NaN;
  let rssKb = NaN;
  try {
    for (let i = 0; i < 6; i++) {
      const port = await freePort();
      const t = performance.now();
      const proc = Bun.spawn([BINARY, 'serve', '--port', String(port)], {
        env: { ...process.env, ABSTRACTGATEWAY_DATA_DIR: dir, ABSTRACTGATEWAY_AUTH_TOKEN: 'bench-token-0123456789abcdefghijklmnop' },
        stdout: 'ignore',
        stderr: 'ignore',
      });
      try {
        for (;;) {
          const ok = await fetch(`http://127.0.0.1:${port}/api/health`).then((r) => r.status === 200, () => false);
          if (ok) break;
          if (performance.now() - t > 10_000) throw new Error('binary did not answer /api/health within 10 s');
          await Bun.sleep(1);
        }
        if (i === 0) first = performance.now() - t;
        else times.push(performance.now() - t);
        if (i === 5) {
          await Bun.sleep(1000);
          rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1]);
        }
      } finally {
        proc.kill('SIGTERM');
        await proc.exited;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  const size = statSync(BINARY).size;
  return [
    {
      name: 'start-up: binary exec → first 200 on /api/health (median of 5 restarts)',
      value: q(times[2]!, 'ms', ms(times[2]!)),
      reference: ref('first start on an empty data dir (seeds it)', first, 'ms', `first start on an empty data dir (seeds it): ${ms(first)}`),
      ratio: null,
      target: '≤ 60 ms',
      ok: times[2]! <= 60,
    },
    { name: 'idle RSS of the serving binary (1 s after start)', value: q(rssKb / 1024, 'MiB', `${fmt(rssKb / 1024, 1)} MiB`), reference: null, ratio: null },
    { name: 'binary size (dist/abstractgateway)', value: q(size / 1024 / 1024, 'MiB', `${fmt(size / 1024 / 1024, 1)} MiB`), reference: null, ratio: null },
  ];
}
