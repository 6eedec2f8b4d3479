// The Python sandbox's parent side: a small pool of Pyodide workers (src/sandbox/python-worker.ts).
// Isolation between executions: a worker that ran code for isolation key K (the run id) is only ever reused
// for K again, sequentially, while idle for less than `reuseIdleMs`; then it is terminated. Executions
// without a key get a fresh worker each time. A fresh worker is kept booted ahead (`warmWorkers`) so a code
// node does not pay Pyodide's boot; compile checks (`compile`) run no flow code and may use any fresh worker
// without spoiling it. The wall-time cap (and an abort: cancel, pause, shutdown) terminates the worker; the
// memory cap is enforced inside it.
// Limits come from ABSTRACTGATEWAY_CODE_* (docs/reliability.md). Never throws to callers.
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { envNumber, type Env } from '../config.ts';
import { loadAssets, type SandboxAssets } from './assets.ts';

export interface SandboxLimits {
  /** Wall time of one execution; the worker is terminated after it. */
  timeoutMs: number;
  /** Cap on the interpreter's wasm memory. */
  memoryMb: number;
  /** Fresh workers kept booted ahead of demand. */
  warmWorkers: number;
  /** Executions running at once (more wait in line). */
  maxConcurrent: number;
  /** How long a worker bound to a run stays available for that run's next code node. */
  reuseIdleMs: number;
}

export const LIMIT_VARS = {
  timeoutMs: 'ABSTRACTGATEWAY_CODE_TIMEOUT_MS',
  memoryMb: 'ABSTRACTGATEWAY_CODE_MEMORY_MB',
  warmWorkers: 'ABSTRACTGATEWAY_CODE_WARM_WORKERS',
  maxConcurrent: 'ABSTRACTGATEWAY_CODE_MAX_CONCURRENT',
  reuseIdleMs: 'ABSTRACTGATEWAY_CODE_REUSE_IDLE_MS',
} as const;

export function sandboxLimits(env: Env = process.env): SandboxLimits {
  return {
    timeoutMs: envNumber(env, LIMIT_VARS.timeoutMs, 10_000, { min: 50, max: 3_600_000, int: true }),
    memoryMb: envNumber(env, LIMIT_VARS.memoryMb, 512, { min: 64, max: 4096, int: true }),
    warmWorkers: envNumber(env, LIMIT_VARS.warmWorkers, 1, { min: 0, max: 16, int: true }),
    maxConcurrent: envNumber(env, LIMIT_VARS.maxConcurrent, 4, { min: 1, max: 64, int: true }),
    reuseIdleMs: envNumber(env, LIMIT_VARS.reuseIdleMs, 5_000, { min: 0, max: 600_000, int: true }),
  };
}

const BOOT_TIMEOUT_MS = 120_000;

/** The worker entry: the source file, or in the compiled binary the second entrypoint scripts/build.ts embeds. */
const WORKER_URL = Bun.main.startsWith('/$bunfs/')
  ? (['/$bunfs/root/sandbox/python-worker.js', '/$bunfs/root/src/sandbox/python-worker.js'].find((p) => existsSync(p))
    ?? '/$bunfs/root/sandbox/python-worker.js')
  : new URL('./python-worker.ts', import.meta.url).href;

export type SandboxReply =
  | { kind: 'json'; json: string; memoryMb: number }
  | { kind: 'compiled'; error: string }
  | { kind: 'timeout' }
  | { kind: 'failed'; error: string };

let snapshotting: Promise<Uint8Array | undefined> | null = null;

/** The interpreter's memory right after CPython's start-up, which every worker boots from in ~0.6 s instead of
 *  ~5 s. Made by a worker that runs no flow code, once per machine: it is kept in the user's cache directory
 *  (`$XDG_CACHE_HOME/abstractgateway`, else `~/.cache/abstractgateway`, mode 0600 in a 0700 directory), keyed
 *  by a hash of the Pyodide files, with a checksum of its own bytes. Undefined when it cannot be made (workers
 *  then boot from scratch). */
function startupSnapshot(): Promise<Uint8Array | undefined> {
  snapshotting ??= (async () => {
    const assets = await loadAssets();
    const file = snapshotFile(assets.files);
    const cached = file ? await readSnapshot(file) : undefined;
    if (cached) return cached;
    const made = await makeSnapshot(assets);
    if (made && file) await writeSnapshot(file, made);
    return made;
  })();
  return snapshotting;
}

const SNAPSHOT_FORMAT = 1; // bump when the worker's boot options change what the snapshot holds

function snapshotFile(files: Record<string, Uint8Array>): string | null {
  const home = process.env.HOME || '';
  const base = process.env.XDG_CACHE_HOME || (home ? join(home, '.cache') : '');
  if (!base) return null;
  let key = BigInt(SNAPSHOT_FORMAT);
  for (const name of Object.keys(files).sort()) key = BigInt.asUintN(64, key * 31n + BigInt(Bun.hash(files[name]!)));
  return join(base, 'abstractgateway', `pyodide-snapshot-${key.toString(16)}.bin`);
}

/** The cached snapshot, or undefined when it is missing or fails its checksum (a torn or foreign file). */
export async function readSnapshot(file: string): Promise<Uint8Array | undefined> {
  try {
    // Trusted like the executable itself, so only when nobody but this user can have written it.
    const uid = process.getuid?.();
    for (const p of [dirname(file), file]) {
      const st = statSync(p);
      if ((uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0) return undefined;
    }
    const bytes = await Bun.file(file).bytes();
    if (bytes.byteLength < 8) return undefined;
    const body = bytes.subarray(8);
    const sum = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0);
    return sum === BigInt(Bun.hash(body)) ? body : undefined;
  } catch {
    return undefined;
  }
}

export async function writeSnapshot(file: string, body: Uint8Array): Promise<void> {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const out = new Uint8Array(8 + body.byteLength);
    new DataView(out.buffer).setBigUint64(0, BigInt(Bun.hash(body)));
    out.set(body, 8);
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, out, { mode: 0o600 });
    renameSync(tmp, file);
  } catch { /* a read-only home only costs the next process the ~5 s boot */ }
}

async function makeSnapshot(assets: SandboxAssets): Promise<Uint8Array | undefined> {
  const worker = new Worker(WORKER_URL);
  (worker as { unref?(): void }).unref?.();
  try {
    const reply = await new Promise<Record<string, any>>((resolve) => {
      const timer = setTimeout(() => resolve({ type: 'fatal', error: 'timed out' }), BOOT_TIMEOUT_MS);
      worker.addEventListener('message', (ev) => { clearTimeout(timer); resolve(ev.data); });
      worker.addEventListener('error', (ev) => { clearTimeout(timer); resolve({ type: 'fatal', error: ev.message }); });
      worker.postMessage({ type: 'snapshot', assets: assets.files, wasm: assets.wasm, memoryMb: 1024 });
    });
    return reply.type === 'snapshot' && reply.bytes instanceof Uint8Array ? reply.bytes : undefined;
  } finally {
    worker.terminate();
  }
}

class Slot {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  key: string | null = null;
  dead = false;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private pending: ((msg: Record<string, any> | Error) => void) | null = null;

  constructor(memoryMb: number) {
    this.worker = new Worker(WORKER_URL);
    (this.worker as { unref?(): void }).unref?.(); // Bun's Worker (the DOM typing the console check sees has no unref)
    this.worker.addEventListener('message', (ev) => this.settle(ev.data));
    this.worker.addEventListener('error', (ev) => this.settle(new Error(ev.message || 'the sandbox worker crashed')));
    this.worker.addEventListener('close', () => { this.dead = true; this.settle(new Error('the sandbox worker exited')); });
    this.ready = (async () => {
      const assets = await loadAssets();
      const snapshot = await startupSnapshot();
      const reply = await this.send({ type: 'boot', assets: assets.files, wasm: assets.wasm, snapshot, memoryMb }, BOOT_TIMEOUT_MS);
      if (reply === null) throw new Error(`boot timed out after ${BOOT_TIMEOUT_MS} ms`);
      if (reply instanceof Error) throw reply;
      if (reply.type !== 'ready') throw new Error(String(reply.error ?? 'boot failed'));
    })();
    this.ready.catch(() => this.kill());
  }

  private settle(msg: Record<string, any> | Error): void {
    const p = this.pending;
    this.pending = null;
    p?.(msg);
  }

  /** One request, one reply; on timeout the worker is terminated and `null` comes back. */
  send(msg: Record<string, unknown>, timeoutMs: number, signal?: AbortSignal): Promise<Record<string, any> | Error | null> {
    if (this.dead) return Promise.resolve(new Error('the sandbox worker exited'));
    if (signal?.aborted) return Promise.resolve(new Error('cancelled the execution'));
    return new Promise((resolve) => {
      const onAbort = () => { clearTimeout(timer); this.pending = null; this.kill(); resolve(new Error('cancelled the execution')); };
      const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); this.pending = null; this.kill(); resolve(null); }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending = (reply) => { clearTimeout(timer); signal?.removeEventListener('abort', onAbort); resolve(reply); };
      this.worker.postMessage(msg);
    });
  }

  park(ms: number, onExpire: () => void): void {
    this.idleTimer = setTimeout(onExpire, ms);
    (this.idleTimer as { unref?: () => void }).unref?.();
  }

  unpark(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  kill(): void {
    this.unpark();
    if (!this.dead) { this.dead = true; this.worker.terminate(); }
  }
}

export class PythonSandbox {
  private readonly warm: Slot[] = [];
  private readonly bound = new Map<string, Slot>();
  private running = 0;
  private readonly queue: (() => void)[] = [];
  private closed = false;

  constructor(readonly limits: SandboxLimits = sandboxLimits()) {}

  /** Boot the warm workers now (the gateway calls this once code nodes exist; tests may await it). */
  async prewarm(): Promise<void> {
    this.refill();
    await Promise.allSettled(this.warm.map((s) => s.ready));
  }

  private refill(): void {
    if (this.closed) return;
    for (let i = this.warm.filter((s) => !s.dead).length; i < this.limits.warmWorkers; i++) this.warm.push(new Slot(this.limits.memoryMb));
  }

  private takeFresh(refill = true): Slot {
    let slot: Slot | undefined;
    while ((slot = this.warm.shift()) && slot.dead) { /* drop dead */ }
    const taken = slot ?? new Slot(this.limits.memoryMb);
    if (refill) this.refill();
    return taken;
  }

  private async slotFor(key: string | null): Promise<Slot> {
    if (key !== null) {
      const mine = this.bound.get(key);
      this.bound.delete(key);
      if (mine && !mine.dead) { mine.unpark(); return mine; }
    }
    return this.takeFresh();
  }

  private async gate<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.limits.maxConcurrent) await new Promise<void>((r) => this.queue.push(r));
    this.running++;
    try {
      return await fn();
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }

  /** Run `code` (which must define `fn`) on `inputsJson`; `key` binds the worker to one run. */
  run(code: string, inputsJson: string, fn: string, key: string | null, timeoutMs = this.limits.timeoutMs, signal?: AbortSignal): Promise<SandboxReply> {
    return this.gate(async () => {
      if (this.closed) return { kind: 'failed', error: 'is shut down' };
      const slot = await this.slotFor(key);
      try {
        await slot.ready;
      } catch (e) {
        return { kind: 'failed', error: `could not start: ${(e as Error).message}` };
      }
      slot.key = key;
      const reply = await slot.send({ type: 'run', code, inputs: inputsJson, function: fn }, timeoutMs, signal);
      if (reply === null) return { kind: 'timeout' };
      if (signal?.aborted) { slot.kill(); return { kind: 'failed', error: 'cancelled the execution' }; }
      if (reply instanceof Error || reply.type !== 'result' || typeof reply.json !== 'string') {
        slot.kill();
        const why = reply instanceof Error ? reply.message : String(reply.crashed ?? reply.error ?? 'no result');
        return { kind: 'failed', error: `crashed: ${why}` };
      }
      this.release(slot, key);
      return { kind: 'json', json: reply.json, memoryMb: Number(reply.memory_mb) || 0 };
    });
  }

  private release(slot: Slot, key: string | null): void {
    if (key === null || this.closed || this.limits.reuseIdleMs === 0 || this.bound.has(key)) { slot.kill(); return; }
    this.bound.set(key, slot);
    slot.park(this.limits.reuseIdleMs, () => {
      if (this.bound.get(key) === slot) this.bound.delete(key);
      slot.kill();
    });
  }

  /** Syntax check only (no flow code runs, so the worker stays fresh and goes back to the pool). */
  compile(code: string): Promise<SandboxReply> {
    return this.gate(async () => {
      if (this.closed) return { kind: 'failed', error: 'is shut down' };
      const slot = this.takeFresh(false);
      try {
        await slot.ready;
      } catch (e) {
        this.refill();
        return { kind: 'failed', error: `could not start: ${(e as Error).message}` };
      }
      const reply = await slot.send({ type: 'compile', code }, this.limits.timeoutMs);
      if (reply === null) { this.refill(); return { kind: 'timeout' }; }
      if (reply instanceof Error || reply.type !== 'result' || typeof reply.error !== 'string') {
        slot.kill();
        this.refill();
        return { kind: 'failed', error: `crashed: ${reply instanceof Error ? reply.message : 'no result'}` };
      }
      // still fresh: back to the front of the pool (compiles in a row share one booted worker)
      if (this.closed) slot.kill();
      else {
        this.warm.unshift(slot);
        for (const extra of this.warm.splice(Math.max(1, this.limits.warmWorkers))) extra.kill();
      }
      return { kind: 'compiled', error: reply.error };
    });
  }

  /** Terminate every worker (gateway shutdown). */
  close(): void {
    this.closed = true;
    for (const s of this.warm.splice(0)) s.kill();
    for (const s of this.bound.values()) s.kill();
    this.bound.clear();
  }
}

let shared: PythonSandbox | null = null;

/** The process-wide sandbox, created on first use with limits from the environment. */
export function pythonSandbox(): PythonSandbox {
  shared ??= new PythonSandbox();
  return shared;
}

/** Replace the process-wide sandbox (closing the old one), e.g. with other limits. */
export function resetPythonSandbox(limits: SandboxLimits = sandboxLimits()): PythonSandbox {
  shared?.close();
  shared = new PythonSandbox(limits);
  return shared;
}
