// Spawns the real CLI (`bun src/cli.ts ...`) against real temp data directories.
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Subprocess } from 'bun';

export const ROOT = join(import.meta.dir, '..', '..');
export const CLI = join(ROOT, 'src', 'cli.ts');
export const EXAMPLES = join(ROOT, 'assets', 'bundles');

/** A clean env: no inherited gateway settings, no colours. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith('ABSTRACTGATEWAY_') && !k.startsWith('ABSTRACTFLOW_')) env[k] = v;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

export interface Result { code: number; stdout: string; stderr: string }

export async function cli(args: string[], opts: { env?: Record<string, string>; stdin?: string; cwd?: string; exe?: string[] } = {}): Promise<Result> {
  const proc = Bun.spawn([...(opts.exe ?? [process.execPath, CLI]), ...args], {
    env: cleanEnv(opts.env),
    cwd: opts.cwd ?? ROOT,
    stdin: opts.stdin !== undefined ? new TextEncoder().encode(opts.stdin) : 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

export async function cliJson<T = any>(args: string[], opts: Parameters<typeof cli>[1] = {}): Promise<T> {
  const r = await cli([...args, '--json'], opts);
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A long-running CLI process whose output lines can be awaited. */
export class Bg {
  readonly proc: Subprocess<'ignore', 'pipe', 'pipe'>;
  out = '';
  private waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];

  constructor(args: string[], opts: { env?: Record<string, string>; exe?: string[]; cwd?: string } = {}) {
    this.proc = Bun.spawn([...(opts.exe ?? [process.execPath, CLI]), ...args], {
      env: cleanEnv(opts.env), cwd: opts.cwd ?? ROOT, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe',
    });
    void this.pump(this.proc.stdout);
    void this.pump(this.proc.stderr);
  }

  private async pump(stream: ReadableStream<Uint8Array>) {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      this.out += dec.decode(chunk);
      for (const w of [...this.waiters]) {
        const m = this.out.match(w.re);
        if (m) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(m); }
      }
    }
  }

  waitFor(re: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const m = this.out.match(re);
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output so far:\n${this.out}`)), timeoutMs);
      this.waiters.push({ re, resolve: (m) => { clearTimeout(t); resolve(m); } });
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number> {
    if (this.proc.exitCode === null) this.proc.kill(signal);
    return this.proc.exited;
  }
}

/** A data dir whose flows dir holds the example bundles. */
export function dataDirWithExamples(path: string): { dataDir: string; flowsDir: string } {
  const flowsDir = join(path, 'flows');
  mkdirSync(flowsDir, { recursive: true });
  cpSync(EXAMPLES, flowsDir, { recursive: true });
  return { dataDir: path, flowsDir };
}

export async function until<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}
