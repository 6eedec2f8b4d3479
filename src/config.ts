// Configuration: flags > env (ABSTRACTGATEWAY_*) > defaults. Env parsing follows the spec (docs/operations.md "Configuration"):
// "set" means non-empty after trimming; booleans accept 1/true/yes/on and 0/false/no/off. Unlike the Python
// gateway, a value that is set but invalid is an error naming the variable and the accepted values.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';

export type Env = Record<string, string | undefined>;

export interface GatewayConfig {
  dataDir: string;
  flowsDir: string;
  dbPath: string;
  host: string;
  port: number;
  runner: boolean;
  pollMs: number;
  commandBatchLimit: number;
  tickMaxSteps: number;
  runScanLimit: number;
  synchronous: 'NORMAL' | 'FULL';
  /** Where runs live: one SQLite file (default) or a PostgreSQL database shared by many processes (docs/scaling.md). */
  storeBackend: 'sqlite' | 'postgres';
  /** PostgreSQL URL (ABSTRACTGATEWAY_DATABASE_URL, else built from PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE). */
  databaseUrl: string | null;
  /** PostgreSQL connections per process (ABSTRACTGATEWAY_DATABASE_POOL_MAX). */
  databasePoolMax: number;
  /** A direct URL for LISTEN when the pool goes through PgBouncer in transaction mode (ABSTRACTGATEWAY_DATABASE_LISTEN_URL). */
  databaseListenUrl: string | null;
  /** Named prepared statements (ABSTRACTGATEWAY_DATABASE_PREPARE, on; off behind PgBouncer before 1.21). */
  databasePrepare: boolean;
  /** Many-runner stores: how long a runner's claim on a run lasts unrenewed (ABSTRACTGATEWAY_RUN_CLAIM_MS). */
  runClaimMs: number;
  toolMode: 'passthrough' | 'local';
  /** Runaway protection: deepest subflow nesting, and runs one root may start in its tree. */
  maxSubflowDepth: number;
  maxTreeRuns: number;
  /** `bundle`: flowsDir holds `.flow` bundles; `visualflow`: a directory of VisualFlow `*.json` (one implicit bundle). */
  workflowSource: 'bundle' | 'visualflow';
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** First non-empty value among `names` (primary name first, legacy fallbacks after). */
export function envValue(env: Env, ...names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const v = env[name]?.trim();
    if (v) return { name, value: v };
  }
  return undefined;
}

export function envBool(env: Env, names: string | string[], fallback: boolean): boolean {
  const hit = envValue(env, ...(Array.isArray(names) ? names : [names]));
  if (!hit) return fallback;
  const v = hit.value.toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new ConfigError(`${hit.name}=${JSON.stringify(hit.value)} is not a boolean (use 1/true/yes/on or 0/false/no/off)`);
}

export function envNumber(
  env: Env,
  names: string | string[],
  fallback: number,
  opts: { min?: number; max?: number; int?: boolean } = {},
): number {
  const hit = envValue(env, ...(Array.isArray(names) ? names : [names]));
  if (!hit) return fallback;
  let schema = z.coerce.number().refine(Number.isFinite);
  if (opts.int) schema = schema.refine(Number.isInteger);
  const parsed = schema.safeParse(hit.value);
  const n = parsed.success ? parsed.data : NaN;
  if (Number.isNaN(n) || (opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
    const range = `${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` >= ${opts.min}` : ''}${opts.max !== undefined ? ` <= ${opts.max}` : ''}`;
    throw new ConfigError(`${hit.name}=${JSON.stringify(hit.value)} is invalid: expected ${range}`);
  }
  return n;
}

export function envEnum<T extends string>(env: Env, name: string, options: readonly T[], fallback: T): T {
  const hit = envValue(env, name);
  if (!hit) return fallback;
  const v = hit.value.toLowerCase() as T;
  if (!options.includes(v)) {
    throw new ConfigError(`${name}=${JSON.stringify(hit.value)} is invalid: expected one of ${options.join(', ')}`);
  }
  return v;
}

/** Per-user data directory for a download-and-run binary (XDG on Linux). */
export function defaultDataDir(env: Env): string {
  const xdg = env.XDG_DATA_HOME?.trim();
  return join(xdg || join(homedir(), '.local', 'share'), 'abstractgateway');
}

export interface ConfigOverrides {
  dataDir?: string;
  flowsDir?: string;
  host?: string;
  port?: number;
  runner?: boolean;
}

export function loadConfig(env: Env = process.env, flags: ConfigOverrides = {}): GatewayConfig {
  const dataDir = resolve(
    flags.dataDir ?? envValue(env, 'ABSTRACTGATEWAY_DATA_DIR', 'ABSTRACTFLOW_RUNTIME_DIR')?.value ?? defaultDataDir(env),
  );
  const flowsDir = resolve(
    flags.flowsDir ??
      envValue(env, 'ABSTRACTGATEWAY_FLOWS_DIR', 'ABSTRACTFRAMEWORK_WORKFLOWS_DIR', 'ABSTRACTFLOW_FLOWS_DIR')?.value ??
      join(dataDir, 'flows'),
  );
  const dbPath = resolve(envValue(env, 'ABSTRACTGATEWAY_DB_PATH')?.value ?? join(dataDir, 'gateway.sqlite3'));
  const pollS = envNumber(env, ['ABSTRACTGATEWAY_POLL_S', 'ABSTRACTFLOW_GATEWAY_POLL_S'], 0.25, { min: 0, max: 60 });
  return {
    dataDir,
    flowsDir,
    dbPath,
    host: flags.host ?? envValue(env, 'ABSTRACTGATEWAY_HOST')?.value ?? '127.0.0.1',
    port: flags.port ?? envNumber(env, 'ABSTRACTGATEWAY_PORT', 8080, { min: 0, max: 65535, int: true }),
    runner: flags.runner ?? envBool(env, ['ABSTRACTGATEWAY_RUNNER', 'ABSTRACTFLOW_GATEWAY_RUNNER'], true),
    pollMs: Math.round((pollS || 0.25) * 1000),
    commandBatchLimit: envNumber(env, ['ABSTRACTGATEWAY_COMMAND_BATCH_LIMIT', 'ABSTRACTFLOW_GATEWAY_COMMAND_BATCH_LIMIT'], 200, { min: 1, int: true }),
    tickMaxSteps: envNumber(env, ['ABSTRACTGATEWAY_TICK_MAX_STEPS', 'ABSTRACTFLOW_GATEWAY_TICK_MAX_STEPS'], 100, { min: 1, int: true }),
    runScanLimit: envNumber(env, ['ABSTRACTGATEWAY_RUN_SCAN_LIMIT', 'ABSTRACTFLOW_GATEWAY_RUN_SCAN_LIMIT'], 200, { min: 1, int: true }),
    synchronous: envEnum(env, 'ABSTRACTGATEWAY_SQLITE_SYNCHRONOUS', ['normal', 'full'] as const, 'full').toUpperCase() as 'NORMAL' | 'FULL',
    storeBackend: envEnum(env, 'ABSTRACTGATEWAY_STORE_BACKEND', ['sqlite', 'postgres'] as const, 'sqlite'),
    databaseUrl: envValue(env, 'ABSTRACTGATEWAY_DATABASE_URL')?.value ?? pgUrlFromEnv(env),
    databasePoolMax: envNumber(env, 'ABSTRACTGATEWAY_DATABASE_POOL_MAX', 10, { min: 1, max: 1000, int: true }),
    databaseListenUrl: envValue(env, 'ABSTRACTGATEWAY_DATABASE_LISTEN_URL')?.value ?? null,
    databasePrepare: envBool(env, 'ABSTRACTGATEWAY_DATABASE_PREPARE', true),
    runClaimMs: envNumber(env, 'ABSTRACTGATEWAY_RUN_CLAIM_MS', 15_000, { min: 2_000, max: 3_600_000, int: true }),
    toolMode: envEnum(env, 'ABSTRACTGATEWAY_TOOL_MODE', ['passthrough', 'local'] as const, 'passthrough'),
    maxSubflowDepth: envNumber(env, 'ABSTRACTGATEWAY_MAX_SUBFLOW_DEPTH', 64, { min: 1, max: 10_000, int: true }),
    maxTreeRuns: envNumber(env, 'ABSTRACTGATEWAY_MAX_TREE_RUNS', 10_000, { min: 1, int: true }),
    workflowSource: envEnum(env, 'ABSTRACTGATEWAY_WORKFLOW_SOURCE', ['bundle', 'visualflow'] as const, 'bundle'),
  };
}

/** A postgres:// URL from libpq's PG* variables (null when PGHOST and PGDATABASE are both unset). */
function pgUrlFromEnv(env: Record<string, string | undefined>): string | null {
  if (!env.PGHOST && !env.PGDATABASE) return null;
  const user = encodeURIComponent(env.PGUSER ?? 'postgres');
  const pass = env.PGPASSWORD ? `:${encodeURIComponent(env.PGPASSWORD)}` : '';
  return `postgres://${user}${pass}@${env.PGHOST ?? '127.0.0.1'}:${env.PGPORT ?? '5432'}/${encodeURIComponent(env.PGDATABASE ?? 'postgres')}`;
}
