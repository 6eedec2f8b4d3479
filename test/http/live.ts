// A live gateway for the hostile-input and fuzz tests: the real composition root (createGateway +
// createHttpApp with security on) over a temp data dir with one small bundle, listening on 127.0.0.1, plus
// raw-socket helpers and a database fingerprint (row counts and a checksum of every table).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import type { GatewayApp } from '../../src/http/app.ts';
import { createHttpApp } from '../../src/serve.ts';
import type { SqliteStore } from '../../src/store/index.ts';
import { bundleZip } from './support.ts';

export const LIVE_TOKEN = 'live-token-0123456789abcdef0123';
export const LIVE_AUTH = { authorization: `Bearer ${LIVE_TOKEN}` };

export interface Live {
  gw: Gateway;
  app: GatewayApp;
  dir: string;
  base: string;
  port: number;
  /** Row count and content checksum of every table, plus the flows directory listing. */
  fingerprint(): string;
  /**
   * Cheap change detector for per-request checks: the store connection's total_changes() (the gateway writes
   * through that one connection), every table's row count, the flows directory and the deprecations file.
   */
  changes(): string;
  stop(): Promise<void>;
}

export async function startLive(env: Record<string, string> = {}, opts: { runner?: boolean; flows?: Record<string, Uint8Array> } = {}): Promise<Live> {
  const dir = mkdtempSync(join(tmpdir(), 'ag-live-'));
  mkdirSync(join(dir, 'flows'));
  for (const [name, bytes] of Object.entries(opts.flows ?? { 'demo@0.0.1.flow': bundleZip('demo') })) writeFileSync(join(dir, 'flows', name), bytes);
  const config = { ...loadConfig({}, { dataDir: dir, flowsDir: join(dir, 'flows'), runner: opts.runner ?? false }), pollMs: 50 };
  const gw = await createGateway(config, {
    env: { ABSTRACTGATEWAY_AUTH_TOKEN: LIVE_TOKEN, ABSTRACTGATEWAY_LOCKOUT_AFTER: '1000', ABSTRACTGATEWAY_AUDIT_LOG: '0', ...env },
    log: () => {},
  });
  const { app } = createHttpApp(gw);
  app.listen({ port: 0, hostname: '127.0.0.1', idleTimeout: 120 });
  const port = app.server!.port!;
  /** The live gateway runs on SQLite: its connection, for the fingerprints. */
  const db = (gw.store as SqliteStore).db;
  const fingerprint = () => {
    const tables = db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
    const parts = tables.map(({ name }) => {
      const rows = db.query(`SELECT * FROM "${name}"`).values();
      return `${name}:${rows.length}:${Bun.hash(JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)))}`;
    });
    return [...parts, readdirSync(join(dir, 'flows')).sort().join(',')].join('|');
  };
  const tableNames = (db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
  const counts = db.query(`SELECT total_changes() AS changes, ${tableNames.map((t) => `(SELECT COUNT(*) FROM "${t}")`).join(', ')}`);
  const deprecations = join(dir, 'workflow_deprecations.json');
  const changes = () => {
    let dep = '';
    try { dep = String(Bun.hash(readFileSync(deprecations))); } catch { /* none yet */ }
    return `${JSON.stringify(counts.values())}|${readdirSync(join(dir, 'flows')).sort().join(',')}|${dep}`;
  };
  return {
    gw, app, dir, port, base: `http://127.0.0.1:${port}`, fingerprint, changes,
    async stop() {
      await app.stop(true);
      await gw.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Latency of GET /api/health in ms (the event loop's responsiveness), or Infinity on failure. */
export async function healthMs(base: string, timeoutMs = 5000): Promise<number> {
  const t = performance.now();
  try {
    const res = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.text();
    return res.status === 200 ? performance.now() - t : Infinity;
  } catch {
    return Infinity;
  }
}

/** A raw TCP client: writes `head` (and more later), collects what the server sends, never pauses unless told. */
export interface RawClient {
  socket: Socket;
  received(): string;
  /** Resolves with everything received once the server closes the connection (or after timeoutMs). */
  closed(timeoutMs?: number): Promise<string>;
  /** Resolves once the received text contains `needle`. */
  waitFor(needle: string, timeoutMs?: number): Promise<string>;
}

export function rawClient(port: number, head: string | Uint8Array, opts: { paused?: boolean } = {}): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let ended = false;
    const waiters: (() => void)[] = [];
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.write(head);
      resolve(client);
    });
    if (opts.paused) socket.pause();
    socket.on('data', (d) => { buf += d.toString('latin1'); waiters.splice(0).forEach((w) => w()); });
    socket.on('close', () => { ended = true; waiters.splice(0).forEach((w) => w()); });
    socket.on('error', (e) => { if (!ended) reject(e); });
    const until = (ok: () => boolean, timeoutMs: number): Promise<string> => new Promise((res) => {
      const t = setTimeout(() => res(buf), timeoutMs);
      const check = () => { if (ok()) { clearTimeout(t); res(buf); } else waiters.push(check); };
      check();
    });
    const client: RawClient = {
      socket,
      received: () => buf,
      closed: (timeoutMs = 10_000) => until(() => ended, timeoutMs),
      waitFor: (needle, timeoutMs = 10_000) => until(() => buf.includes(needle) || ended, timeoutMs),
    };
  });
}

/** The head of an authenticated HTTP/1.1 request (add the body yourself). */
export const requestHead = (method: string, path: string, headers: Record<string, string> = {}): string =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${LIVE_TOKEN}\r\n` +
  Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
