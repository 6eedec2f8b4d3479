// Shared CLI plumbing: exit codes, error types, config from flags, output helpers. Kept free of heavy imports
// (no store, no HTTP) so `--help` stays fast; commands import what they need inside `run`.
import { existsSync } from 'node:fs';
import { ConfigError, loadConfig, type ConfigOverrides, type GatewayConfig } from '../config.ts';
import type { Store } from '../store/index.ts';

export const EXIT = { OK: 0, FAIL: 1, USAGE: 2 } as const;

/** Bad flags or arguments: exit 2. `hint` says what to do instead. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(message: string, readonly hint?: string) { super(message); }
}

/** The command ran but failed (missing run, broken ledger, gateway refused): exit 1. */
export class CliFailure extends Error {
  override name = 'CliFailure';
  constructor(message: string, readonly hint?: string, readonly exitCode: number = EXIT.FAIL) { super(message); }
}

export { ConfigError };

// Colours only for humans, decided per stream: FORCE_COLOR (not 0/false) forces them on (as in Node); otherwise
// NO_COLOR, CI or TERM=dumb turn them off, and a stream that is not a terminal (a pipe, a file) never gets any.
const env = process.env;
export function colorFor(stream: { isTTY?: boolean }, e: Record<string, string | undefined> = env): boolean {
  const force = e.FORCE_COLOR;
  if (force !== undefined && force !== '0' && force !== 'false') return true;
  if (e.NO_COLOR || e.CI || e.TERM === 'dumb') return false;
  return !!stream.isTTY;
}
/** Colour on stdout / on stderr. */
export const useColor = colorFor(process.stdout);
export const useErrColor = colorFor(process.stderr);
const palette = (on: boolean) => {
  const paint = (code: number) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { red: paint(31), green: paint(32), yellow: paint(33), cyan: paint(36), dim: paint(2), bold: paint(1) };
};
/** For text written to stdout. */
export const c = palette(useColor);
/** For text written to stderr (errors, notes, warnings). */
export const ce = palette(useErrColor);
/** Removes ANSI colour codes (third-party text such as citty's messages). */
export const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

export const dataDirArgs = {
  'data-dir': { type: 'string', valueHint: 'dir', description: 'Data directory (env ABSTRACTGATEWAY_DATA_DIR)' },
} as const;

export const flowsDirArgs = {
  'flows-dir': { type: 'string', valueHint: 'dir', description: 'Bundles directory (env ABSTRACTGATEWAY_FLOWS_DIR; default <data-dir>/flows)' },
} as const;

export const jsonArgs = { json: { type: 'boolean', description: 'Print machine-readable JSON' } } as const;

export const remoteArgs = {
  url: { type: 'string', valueHint: 'url', description: 'Talk to a running gateway over HTTP instead of the local data directory' },
  token: { type: 'string', valueHint: 'token', description: 'Bearer token for --url (default: ABSTRACTGATEWAY_AUTH_TOKEN, then <data-dir>/gateway_token)' },
} as const;

type Flags = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** Config from flags > env > defaults; a ConfigError becomes exit 2 in main. */
export function configFrom(args: Flags, extra: ConfigOverrides = {}): GatewayConfig {
  return loadConfig(process.env, { dataDir: str(args['data-dir']), flowsDir: str(args['flows-dir']), ...extra });
}

/** Integer flag in [min, max]; undefined when absent. */
export function intArg(name: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer between ${min} and ${max} (got ${JSON.stringify(value)})`);
  }
  return n;
}

/**
 * Fails with a hint when there is no gateway database yet (read-only commands must not create one). SQLite only:
 * a PostgreSQL database is the operator's to create (opening it fails with the server's own reason).
 */
export function requireDatabase(config: GatewayConfig): void {
  if (config.storeBackend === 'sqlite' && !existsSync(config.dbPath)) {
    throw new CliFailure(
      `No gateway database at ${config.dbPath}`,
      'Check --data-dir (or ABSTRACTGATEWAY_DATA_DIR), or start the gateway once with `abstractgateway serve`.',
    );
  }
}

/**
 * Opens the configured store (ABSTRACTGATEWAY_STORE_BACKEND: the data directory's SQLite file, created on demand
 * unless `mustExist`, or the PostgreSQL database). Callers `await store.close()`.
 */
export async function openStore(config: GatewayConfig, opts: { mustExist?: boolean } = {}): Promise<Store> {
  if (opts.mustExist) requireDatabase(config);
  const store = await import('../store/index.ts');
  return store.openStore({
    backend: config.storeBackend,
    dbPath: config.dbPath,
    databaseUrl: config.databaseUrl,
    poolMax: config.databasePoolMax,
    listenUrl: config.databaseListenUrl,
    prepare: config.databasePrepare,
    synchronous: config.synchronous,
    artifactsDir: `${config.dataDir}/artifacts`,
  });
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Plain aligned columns (no box drawing: easy to grep and to paste). */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
  return [c.bold(line(headers)), ...rows.map(line)].join('\n');
}

export const errMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Parse a JSON flag value into an object, or explain what was wrong. */
export function jsonObjectArg(name: string, raw: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new UsageError(`--${name} is not valid JSON: ${errMessage(e)}`, `Quote it for the shell, e.g. --${name} '{"key": "value"}'`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError(`--${name} must be a JSON object`);
  return v as Record<string, unknown>;
}

/** Repeatable string flag: citty keeps only the last value, so read every occurrence from the raw argv. */
export function repeated(rawArgs: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!;
    if (a === `--${name}`) {
      const v = rawArgs[i + 1];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      out.push(v);
      i++;
    } else if (a.startsWith(`--${name}=`)) out.push(a.slice(name.length + 3));
  }
  return out;
}
