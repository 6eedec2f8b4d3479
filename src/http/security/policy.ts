// The security policy: a plain, process-static object parsed once from env (gateway-contract.md §5, §6.2).
// Unlike the reference, a malformed value is an error that names the variable and what it accepts,
// instead of silently falling back to the default.
import { z } from 'zod';
import { GatewayError } from '../../util/errors.ts';
import { ensureToken, parseTokenList } from './tokens.ts';

export const MIB = 1024 * 1024;

export interface AuditSettings {
  enabled: boolean;
  maxBytes: number; // rotate when the file reaches this size; 0 = never
  rotations: number; // rotated files kept
  headers: readonly string[]; // lower-case request headers copied into entries
}

export interface SecurityPolicy {
  enabled: boolean;
  tokens: readonly string[];
  /** Where the tokens came from: env vars, the generated `<dataDir>/gateway_token`, or nowhere. */
  tokenSource: 'env' | 'file' | 'none';
  tokenFile: string | null;
  protectRead: boolean;
  protectWrite: boolean;
  devReadNoAuth: boolean;
  allowedOrigins: readonly string[];
  maxBodyBytes: number; // 0 = unlimited
  maxAttachmentBytes: number;
  maxBundleBytes: number;
  maxUploadBodyBytes: number; // 0 = auto
  maxConcurrency: number; // 0 = unlimited
  maxSse: number; // 0 = unlimited
  lockoutAfter: number;
  lockoutBaseS: number;
  lockoutMaxS: number;
  /** Extension: an IP's failure count is forgotten after this many quiet seconds (the reference never decays). */
  lockoutDecayS: number;
  lockoutMaxEntries: number;
  trustProxy: boolean;
  audit: AuditSettings;
}

export type Env = Record<string, string | undefined>;

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

/** First non-empty (trimmed) value among the variable and its legacy fallbacks. */
function pick(env: Env, names: readonly string[]): { name: string; value: string } | null {
  for (const name of names) {
    const v = env[name]?.trim();
    if (v) return { name, value: v };
  }
  return null;
}

const names = (suffix: string): string[] => [`ABSTRACTGATEWAY_${suffix}`, `ABSTRACTFLOW_GATEWAY_${suffix}`];

function invalid(name: string, value: string, accepted: string): never {
  throw new GatewayError(500, `Invalid ${name}=${JSON.stringify(value)}: expected ${accepted}`, 'invalid_config');
}

function bool(env: Env, vars: readonly string[], dflt: boolean): boolean {
  const hit = pick(env, vars);
  if (!hit) return dflt;
  const v = hit.value.toLowerCase();
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  return invalid(hit.name, hit.value, `one of ${[...TRUE, ...FALSE].join(', ')}`);
}

function num(env: Env, vars: readonly string[], dflt: number, schema: z.ZodNumber, accepted: string): number {
  const hit = pick(env, vars);
  if (!hit) return dflt;
  const parsed = schema.safeParse(Number(hit.value));
  return parsed.success ? parsed.data : invalid(hit.name, hit.value, accepted);
}

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.number().int().min(min).max(max);
const seconds = z.number().min(0).max(86_400);

export interface LoadOptions {
  dataDir: string;
  /**
   * Zero-config first run: when auth is needed and no token is configured, generate (or reuse) the token
   * stored in `<dataDir>/gateway_token`. Default true; false leaves `tokens` empty (requests then get 503).
   */
  autoToken?: boolean;
}

export function loadSecurityPolicy(env: Env, opts: LoadOptions): SecurityPolicy {
  const enabled = bool(env, names('SECURITY'), true);
  const protectRead = bool(env, names('PROTECT_READ'), true);
  const protectWrite = bool(env, names('PROTECT_WRITE'), true);

  const envTokens = [
    ...parseTokenList(pick(env, names('AUTH_TOKEN'))?.value ?? ''),
    ...parseTokenList(pick(env, names('AUTH_TOKENS'))?.value ?? ''),
  ];
  let tokens = [...new Set(envTokens)];
  let tokenSource: SecurityPolicy['tokenSource'] = tokens.length ? 'env' : 'none';
  let tokenFile: string | null = null;
  if (!tokens.length && enabled && (protectRead || protectWrite) && opts.autoToken !== false) {
    const ensured = ensureToken(opts.dataDir);
    tokens = [ensured.token];
    tokenSource = 'file';
    tokenFile = ensured.path;
  }

  // Set-but-empty (e.g. ",,") means "no origin allowed", unlike unset which means the localhost default.
  const originsRaw = env.ABSTRACTGATEWAY_ALLOWED_ORIGINS ?? env.ABSTRACTFLOW_GATEWAY_ALLOWED_ORIGINS;
  const allowedOrigins = originsRaw === undefined || originsRaw.trim() === ''
    ? ['http://localhost:*', 'http://127.0.0.1:*']
    : originsRaw.split(',').map((s) => s.trim()).filter(Boolean);

  const bytes = 'a whole number of bytes >= 0';
  const lockoutBaseS = num(env, names('LOCKOUT_BASE_S'), 1, seconds, 'seconds between 0 and 86400');
  const lockoutMaxS = num(env, names('LOCKOUT_MAX_S'), 60, seconds, 'seconds between 0 and 86400');
  const auditHeaders = env.ABSTRACTGATEWAY_AUDIT_LOG_HEADERS?.trim() || 'x-client-id,x-client-version,x-forwarded-for';

  return {
    enabled,
    tokens,
    tokenSource,
    tokenFile,
    protectRead,
    protectWrite,
    devReadNoAuth: bool(env, names('DEV_READ_NO_AUTH'), false),
    allowedOrigins,
    maxBodyBytes: num(env, names('MAX_BODY_BYTES'), 256_000, int(0), bytes),
    maxAttachmentBytes: num(env, names('MAX_ATTACHMENT_BYTES'), 25 * MIB, int(0), bytes),
    maxBundleBytes: num(env, names('MAX_BUNDLE_BYTES'), 75 * MIB, int(0), bytes),
    maxUploadBodyBytes: num(env, names('MAX_UPLOAD_BODY_BYTES'), 0, int(0), bytes),
    maxConcurrency: num(env, names('MAX_CONCURRENCY'), 64, int(0), 'a whole number >= 0 (0 = unlimited)'),
    maxSse: num(env, names('MAX_SSE'), 32, int(0), 'a whole number >= 0 (0 = unlimited)'),
    lockoutAfter: num(env, names('LOCKOUT_AFTER'), 5, int(1, 1000), 'a whole number between 1 and 1000'),
    lockoutBaseS,
    lockoutMaxS: Math.max(lockoutMaxS, lockoutBaseS),
    lockoutDecayS: num(env, names('LOCKOUT_DECAY_S'), 900, seconds, 'seconds between 0 and 86400'),
    lockoutMaxEntries: 10_000,
    trustProxy: bool(env, names('TRUST_PROXY'), false),
    audit: {
      enabled: bool(env, ['ABSTRACTGATEWAY_AUDIT_LOG'], true),
      maxBytes: num(env, ['ABSTRACTGATEWAY_AUDIT_LOG_MAX_BYTES'], 50 * MIB, int(0), bytes),
      rotations: num(env, ['ABSTRACTGATEWAY_AUDIT_LOG_ROTATIONS'], 10, int(0, 200), 'a whole number between 0 and 200'),
      headers: auditHeaders.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean),
    },
  };
}
