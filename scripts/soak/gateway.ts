// The soak's gateway processes: `serve` on a data dir (single mode), or `serve --no-runner` + `runner` (split
// mode). The victim (the serving process, or the runner in split mode) is SIGKILLed and restarted on the same
// data dir; ports are ephemeral, so each serving start reports its URL. `Proc` (one `bun src/cli.ts …` child with
// its output kept and matched) is exported for the other multi-process harnesses (test/cli/postgres-split.test.ts).
import type { Subprocess } from 'bun';
import { join } from 'node:path';

const ROOT = join(import.meta.dir, '../..');
const CLI = join(ROOT, 'src/cli.ts');

/** One CLI child process: output kept (last 20 kB), `waitFor(re)` matches it, `kill` waits for the exit. */
export class Proc {
  readonly proc: Subprocess<'ignore', 'pipe', 'pipe'>;
  out = '';
  private waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  constructor(args: string[], env: Record<string, string>) {
    this.proc = Bun.spawn([process.execPath, CLI, ...args], { cwd: ROOT, env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
    void this.pump(this.proc.stdout);
    void this.pump(this.proc.stderr);
  }
  private async pump(stream: ReadableStream<Uint8Array>) {
    const dec = new TextDecoder();
    for await (const chunk of stream) {
      this.out = (this.out + dec.decode(chunk)).slice(-20_000);
      for (const w of [...this.waiters]) {
        const m = this.out.match(w.re);
        if (m) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(m); }
      }
    }
  }
  waitFor(re: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    const m = this.out.match(re);
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`soak: timed out waiting for ${re}; process output:\n${this.out}`)), timeoutMs);
      void this.proc.exited.then((code) => {
        clearTimeout(t);
        if (!this.out.match(re)) reject(new Error(`soak: process exited (${code}) before ${re}; output:\n${this.out}`));
      });
      this.waiters.push({ re, resolve: (m) => { clearTimeout(t); resolve(m); } });
    });
  }
  kill(signal: NodeJS.Signals): Promise<number> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.proc.exited;
  }
}

export class SoakGateway {
  private server: Proc | null = null;
  private runner: Proc | null = null;
  url: string | null = null;

  constructor(private readonly dataDir: string, private readonly split: boolean, private readonly env: Record<string, string>) {}

  private async startServer(): Promise<void> {
    this.server = new Proc(['serve', '--port', '0', '--data-dir', this.dataDir, ...(this.split ? ['--no-runner'] : [])], this.env);
    this.url = (await this.server.waitFor(/listening on (http:\/\/\S+)/))[1]!;
  }

  private async startRunner(): Promise<void> {
    this.runner = new Proc(['runner', '--data-dir', this.dataDir], this.env);
    await this.runner.waitFor(/runner active/);
  }

  async start(): Promise<void> {
    await this.startServer();
    if (this.split) await this.startRunner();
  }

  /** SIGKILLs the victim process (the server, or the runner in split mode) and waits until it is gone. */
  async killVictim(): Promise<void> {
    if (this.split) await this.runner?.kill('SIGKILL');
    else {
      this.url = null;
      await this.server?.kill('SIGKILL');
    }
  }

  async restartVictim(): Promise<void> {
    if (this.split) await this.startRunner();
    else await this.startServer();
  }

  async stop(): Promise<void> {
    await this.runner?.kill('SIGTERM');
    await this.server?.kill('SIGTERM');
    this.url = null;
  }
}
