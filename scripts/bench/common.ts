// Shared pieces of the benchmark suite: figures, percentiles, the bench server process, the bench bundles.
import { Database } from 'bun:sqlite';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleZip } from '../../test/http/support.ts';
import { end, flow, n, setVar, start } from '../../test/support/visualflow.ts';

/** A measured quantity: its number and unit, and how it reads in the table. */
export interface Quantity { value: number; unit: string; text: string }

/**
 * One bench figure: the value, the reference measured in the same run (or null), their ratio, the target and
 * whether it holds. `--json` prints exactly `name, value, unit, reference, ratio, target, ok` per figure.
 */
export interface Figure {
  name: string;
  value: Quantity;
  reference: (Quantity & { label: string }) | null;
  ratio: { value: number; text: string } | null;
  target?: string;
  ok?: boolean;
}

export const q = (value: number, unit: string, text: string): Quantity => ({ value, unit, text });
export const ref = (label: string, value: number, unit: string, text: string) => ({ label, value, unit, text });
export const percentRatio = (v: number, r: number) => ({ value: v / r, text: `${((v / r) * 100).toFixed(1)} %` });
export const timesRatio = (v: number, r: number, at = '') => ({ value: v / r, text: `${(v / r).toFixed(2)}×${at}` });
/** Resident set size of a process, from /proc (Linux). */
export const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

export const TOKEN = 'bench-token-0123456789abcdefghijklmnop';
export const AUTH = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

export function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
export const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');
export const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`;

/** One-row insert transactions per second into a ledger-shaped table (the reference for write rates). */
export function rawInsertTx(dir: string, n = 3000, synchronous: 'NORMAL' | 'FULL' = 'NORMAL'): number {
  const db = new Database(join(dir, `raw-tx-${synchronous}.sqlite3`), { create: true, strict: true });
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${synchronous}; PRAGMA busy_timeout = 5000`);
  db.exec('CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, seq INTEGER NOT NULL, record_json TEXT NOT NULL, UNIQUE (run_id, seq))');
  const ins = db.query('INSERT INTO ledger (run_id, seq, record_json) VALUES (?, ?, ?)');
  const payload = JSON.stringify({ status: 'completed', effect: { type: 'x', payload: { i: 1 } }, pad: 'x'.repeat(300) });
  const t = performance.now();
  const runId = crypto.randomUUID();
  for (let i = 0; i < n; i++) db.transaction(() => ins.run(runId, i, payload)).immediate();
  const rate = n / ((performance.now() - t) / 1000);
  db.close();
  return rate;
}

export const trivialFlow = () => flow('root', [start('s'), end('e')], ['s.exec-out>e.exec-in']);

/** The 3-step workflow of the comparisons with other engines: three durable steps between start and end. */
export const threeStepFlow = () =>
  flow('root', [start('s'), ...['a', 'b', 'c'].map((v, i) => setVar(v, v, { pinDefaults: { name: v, value: i } })), end('e')],
    ['s.exec-out>a.exec-in', 'a.exec-out>b.exec-in', 'b.exec-out>c.exec-in', 'c.exec-out>e.exec-in']);

/** A `for` loop of `iterations` with a set_var body (issue: steps per second inside one run). */
export const loopFlow = (iterations: number) =>
  flow('root', [
    start('s'),
    n('for', 'for', { in: ['exec-in', 'start', 'end', 'step'], out: ['loop', 'done', 'i', 'index'], pinDefaults: { start: 0, end: iterations } }),
    setVar('sv', 'counter'),
    end('e'),
  ], ['s.exec-out>for.exec-in', 'for.loop>sv.exec-in', 'for.index>sv.value', 'for.done>e.exec-in']);

/** A loop that asks a (different) question each iteration: every resume appends records subscribers watch. */
export const askLoopFlow = (iterations: number) =>
  flow('root', [
    start('s'),
    n('for', 'for', { in: ['exec-in', 'start', 'end', 'step'], out: ['loop', 'done', 'i', 'index'], pinDefaults: { start: 0, end: iterations } }),
    n('q', 'concat', { in: ['a', 'b'], out: ['result'], pinDefaults: { a: 'question ' } }),
    n('ask', 'ask_user', { in: ['exec-in', 'prompt'], out: ['exec-out', 'response'] }),
    end('e'),
  ], ['s.exec-out>for.exec-in', 'for.loop>ask.exec-in', 'for.index>q.b', 'q.result>ask.prompt', 'for.done>e.exec-in']);

/** A loop whose body says something each iteration (two ledger records per answer_user). */
export const chattyFlow = (iterations: number) =>
  flow('root', [
    start('s'),
    n('for', 'for', { in: ['exec-in', 'start', 'end', 'step'], out: ['loop', 'done', 'i', 'index'], pinDefaults: { start: 0, end: iterations } }),
    n('msg', 'concat', { in: ['a', 'b'], out: ['result'], pinDefaults: { a: 'step ' } }),
    n('say', 'answer_user', { in: ['exec-in', 'message'], out: ['exec-out'] }),
    end('e'),
  ], ['s.exec-out>for.exec-in', 'for.loop>say.exec-in', 'for.index>msg.b', 'msg.result>say.message', 'for.done>e.exec-in']);

export function writeBenchBundles(flowsDir: string): void {
  mkdirSync(flowsDir, { recursive: true });
  writeFileSync(join(flowsDir, 'trivial@1.0.0.flow'), bundleZip('trivial', '1.0.0', { root: trivialFlow() }));
  writeFileSync(join(flowsDir, 'threestep@1.0.0.flow'), bundleZip('threestep', '1.0.0', { root: threeStepFlow() }));
  writeFileSync(join(flowsDir, 'loop@1.0.0.flow'), bundleZip('loop', '1.0.0', { root: loopFlow(10_000) }));
  writeFileSync(join(flowsDir, 'askloop@1.0.0.flow'), bundleZip('askloop', '1.0.0', { root: askLoopFlow(500) }));
  writeFileSync(join(flowsDir, 'chatty@1.0.0.flow'), bundleZip('chatty', '1.0.0', { root: chattyFlow(5000) }));
}

export interface BenchServer { url: string; pid: number; stop(): Promise<void> }

/** Starts scripts/bench/server.ts on a data dir; security on with a bench token and limits raised for load. */
export async function startServer(dataDir: string, extraEnv: Record<string, string> = {}): Promise<BenchServer> {
  // AG_BENCH_PROFILE_DIR=<dir>: the server writes a CPU profile there when it stops (bun --cpu-prof).
  const prof = process.env.AG_BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.AG_BENCH_PROFILE_DIR}`] : [];
  const proc = Bun.spawn([process.execPath, ...prof, join(import.meta.dir, 'server.ts')], {
    env: {
      ...process.env,
      ABSTRACTGATEWAY_DATA_DIR: dataDir,
      ABSTRACTGATEWAY_FLOWS_DIR: join(dataDir, 'flows'),
      ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN,
      ABSTRACTGATEWAY_MAX_SSE: '0',
      ABSTRACTGATEWAY_MAX_CONCURRENCY: '0',
      ABSTRACTGATEWAY_AUDIT_LOG: '0',
      ...extraEnv,
    },
    stdout: 'pipe',
    stderr: 'inherit',
  });
  const reader = proc.stdout.getReader();
  let buf = '';
  while (!buf.includes('\n')) {
    const { value, done } = await reader.read();
    if (done) throw new Error('bench server exited before listening');
    buf += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const { url } = JSON.parse(buf.split('\n')[0]!);
  return {
    url,
    pid: proc.pid,
    async stop() {
      proc.kill('SIGTERM');
      await proc.exited;
    },
  };
}

export async function post(url: string, body: unknown): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: AUTH, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST ${url} → ${res.status} ${await res.text()}`);
  return res.json();
}

export async function get(url: string): Promise<any> {
  const res = await fetch(url, { headers: AUTH });
  if (!res.ok) throw new Error(`GET ${url} → ${res.status} ${await res.text()}`);
  return res.json();
}

/** What the bench needs of a record, read without parsing the whole JSON (the client shares the CPU). */
export interface SeenRecord { type: string | null; status: string; startedAtMs: number }

function peek(data: string): SeenRecord {
  const type = /"effect":\{"type":"([a-z_]+)"/.exec(data)?.[1] ?? null;
  const status = /"status":"([a-z]+)"/.exec(data)?.[1] ?? '';
  const started = /"started_at":"([^"]+)"/.exec(data)?.[1] ?? '';
  const startedAtMs = Date.parse(started.slice(0, 23) + 'Z') + Number(started.slice(23, 26) || 0) / 1000;
  return { type, status, startedAtMs };
}

/** Reads SSE `step` events of a stream, calling `onRecord(cursor, record, receivedAt)`; resolves on `done`. */
export async function readSse(url: string, onRecord: (cursor: number, record: SeenRecord, at: number) => void, signal?: AbortSignal): Promise<void> {
  const res = await fetch(url, { headers: AUTH, signal });
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
    if (done) return;
    const at = performance.timeOrigin + performance.now();
    buf += dec.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (frame.startsWith('event: done') || frame.includes('\nevent: done')) return;
      if (!frame.includes('event: step')) continue;
      const cursor = Number(/^id: (\d+)/m.exec(frame)?.[1]);
      onRecord(cursor, peek(frame), at);
    }
  }
}

/**
 * A lean SSE client on a raw socket for the fan-out figure: 1,000 fetch() streams in one process would measure
 * the client's stream machinery more than the server. Reports each resume record's arrival (and its started_at).
 */
export function rawSseClient(url: string, onResume: (at: number, startedAtMs: number) => void): Promise<{ live: Promise<void>; close(): void }> {
  const u = new URL(url);
  const dec = new TextDecoder();
  let live!: () => void;
  const isLive = new Promise<void>((r) => (live = r));
  let tail = '';
  return Bun.connect({
    hostname: u.hostname,
    port: Number(u.port),
    socket: {
      open(sock) {
        sock.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: ${AUTH.authorization}\r\nAccept: text/event-stream\r\n\r\n`);
      },
      data(_sock, buf) {
        const at = performance.timeOrigin + performance.now();
        const text = tail + dec.decode(buf, { stream: true });
        live();
        let i = text.indexOf('"type":"resume"');
        while (i >= 0) {
          const m = /"started_at":"([^"]+)"/.exec(text.slice(i, i + 2000));
          if (m) onResume(at, Date.parse(m[1]!.slice(0, 23) + 'Z') + Number(m[1]!.slice(23, 26)) / 1000);
          i = text.indexOf('"type":"resume"', i + 1);
        }
        tail = text.slice(-64); // a marker split across two packets is still found
        if (tail.includes('"type":"resume"')) tail = '';
      },
    },
  }).then((sock) => ({ live: isLive, close: () => sock.end() }));
}
