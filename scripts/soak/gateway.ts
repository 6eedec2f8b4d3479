// The soak's gateway processes: `serve` on a data dir (single mode), or N `serve --no-runner` + M `runner`
// (split mode; on PostgreSQL all of them share the database named in the env). The victim (the serving process,
// or a random runner in split mode) is SIGKILLed and restarted on the same data dir; ports are ephemeral, so each serving start reports its URL. `Proc` (one `bun src/cli.ts …` child with
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

export interface SoakLayout {
  /** split: `serve --no-runner` + separate `runner` processes (the runners are the victims). */
  split: boolean;
  /** API processes (split mode; single mode has one serving process). */
  apis?: number;
  /** Runner processes (split mode). On SQLite only one is active at a time (the others wait for the lease). */
  runners?: number;
}

export class SoakGateway {
  private servers: (Proc | null)[];
  private runners: (Proc | null)[];
  private urls: (string | null)[];
  private victim = 0;
  private readonly split: boolean;

  constructor(private readonly dataDir: string, layout: boolean | SoakLayout, private readonly env: Record<string, string>) {
    const l = typeof layout === 'boolean' ? { split: layout } : layout;
    this.split = l.split;
    const apis = this.split ? Math.max(1, l.apis ?? 1) : 1;
    this.servers = new Array(apis).fill(null);
    this.urls = new Array(apis).fill(null);
    this.runners = new Array(this.split ? Math.max(1, l.runners ?? 1) : 0).fill(null);
  }

  /** The first API's URL (null while it is down). */
  get url(): string | null {
    return this.urls[0] ?? null;
  }

  get apiCount(): number {
    return this.urls.length;
  }

  /** API `i`'s URL (modulo the number of APIs), null while it is down. */
  urlOf(i: number): string | null {
    return this.urls[i % this.urls.length] ?? null;
  }

  private async startServer(i: number): Promise<void> {
    const p = new Proc(['serve', '--port', '0', '--data-dir', this.dataDir, ...(this.split ? ['--no-runner'] : [])], this.env);
    this.servers[i] = p;
    this.urls[i] = (await p.waitFor(/listening on (http:\/\/\S+)/))[1]!;
  }

  private async startRunner(i: number): Promise<void> {
    const p = new Proc(['runner', '--data-dir', this.dataDir], this.env);
    this.runners[i] = p;
    // A SQLite runner beside an active one waits for the lease (and says so).
    await p.waitFor(/runner active|waiting: the runner/);
  }

  async start(): Promise<void> {
    // The first process creates the schema; the others start at once.
    await this.startServer(0);
    await Promise.all([...this.servers.slice(1).map((_, k) => this.startServer(k + 1)), ...this.runners.map((_, k) => this.startRunner(k))]);
  }

  /** SIGKILLs the victim process (the server, or a random runner in split mode) and waits until it is gone. */
  async killVictim(): Promise<void> {
    if (this.split) {
      this.victim = Math.floor(Math.random() * this.runners.length);
      await this.runners[this.victim]?.kill('SIGKILL');
    } else {
      this.urls[0] = null;
      await this.servers[0]?.kill('SIGKILL');
    }
  }

  async restartVictim(): Promise<void> {
    if (this.split) await this.startRunner(this.victim);
    else await this.startServer(0);
  }

  async stop(): Promise<void> {
    await Promise.all(this.runners.map((r) => r?.kill('SIGTERM')));
    await Promise.all(this.servers.map((s) => s?.kill('SIGTERM')));
    this.urls.fill(null);
  }
}
