// Startup self-checks (docs/security.md) and the warnings the server prints at boot. Pure functions: the caller
// (the `serve` command) decides how to print and whether to exit.
import { isPublicWildcard } from './origin.ts';
import type { SecurityPolicy } from './policy.ts';
import { MIN_TOKEN_LENGTH, isWeakToken } from '../../auth/tokens.ts';
import { isLoopback } from './client.ts';

/** Safe by default: reachable from this machine only (the reference CLI defaulted to 0.0.0.0). */
export const DEFAULT_BIND_HOST = '127.0.0.1';

export interface BindCheck {
  /** Set when the server must refuse to start; says how to fix it. */
  error: string | null;
  warnings: string[];
}

export interface BindOptions {
  /** Security on and some method protected (default true): then a token is mandatory. */
  authRequired?: boolean;
  allowedOrigins?: readonly string[];
}

const GENERATE_HINT = 'Generate one with `abstractgateway token rotate` (stored in <data_dir>/gateway_token) or set ABSTRACTGATEWAY_AUTH_TOKEN to a random string of 32+ characters (e.g. `openssl rand -base64 32`).';

/**
 * Refuse to serve without a token, or on a non-loopback address with a weak one (stricter than the
 * reference, which only checked 0.0.0.0/::). Warn about wildcard binds and public origin wildcards.
 */
export function checkBindSafety(host: string, tokens: readonly string[], opts: BindOptions = {}): BindCheck {
  const warnings: string[] = [];
  const authRequired = opts.authRequired ?? true;
  const bare = host.trim().replace(/^\[(.*)\]$/, '$1');
  const loopback = isLoopback(bare);
  if (authRequired && tokens.length === 0) {
    return { error: `Missing gateway auth token. ${GENERATE_HINT}`, warnings };
  }
  if (bare === '0.0.0.0' || bare === '::') {
    warnings.push(`Binding to ${host} exposes the gateway on every network interface. Prefer --host 127.0.0.1 behind a TLS reverse proxy, keep the token secret, and restrict ABSTRACTGATEWAY_ALLOWED_ORIGINS.`);
  }
  const publicOrigins = (opts.allowedOrigins ?? []).filter(isPublicWildcard);
  if (publicOrigins.length) {
    warnings.push(`ABSTRACTGATEWAY_ALLOWED_ORIGINS contains public wildcard(s) ${publicOrigins.join(', ')}: any matching website can call the gateway from a browser that holds the token.`);
  }
  const weak = authRequired && tokens.some(isWeakToken);
  if (weak && !loopback) {
    return {
      error: `Refusing to start: weak auth token detected while binding to a non-loopback host (${host}). Tokens must be at least ${MIN_TOKEN_LENGTH} characters and not a placeholder like "changeme". ${GENERATE_HINT} Or bind to 127.0.0.1.`,
      warnings,
    };
  }
  return { error: null, warnings };
}

/** Lines the server should print at startup (loudly when security is off). Empty when nothing to say. */
export function securityWarnings(policy: SecurityPolicy): string[] {
  if (!policy.enabled) {
    const bar = '!'.repeat(78);
    return [
      bar,
      'WARNING: gateway security is DISABLED (ABSTRACTGATEWAY_SECURITY=0).',
      'Everything under /api/gateway is open: no auth, no origin check, no limits, no audit log.',
      'Anyone who can reach this port can start, read and cancel runs. Use only on a trusted machine;',
      'unset ABSTRACTGATEWAY_SECURITY (or set it to 1) to turn security back on.',
      bar,
    ];
  }
  const out: string[] = [];
  if (!policy.protectWrite) out.push('WARNING: ABSTRACTGATEWAY_PROTECT_WRITE=0: write endpoints (start/cancel runs, uploads) need no token.');
  if (!policy.protectRead) out.push('WARNING: ABSTRACTGATEWAY_PROTECT_READ=0: run data and ledgers are readable without a token.');
  else if (policy.devReadNoAuth) out.push('WARNING: ABSTRACTGATEWAY_DEV_READ_NO_AUTH=1: loopback clients may read without a token.');
  if ((policy.protectRead || policy.protectWrite) && policy.tokens.length === 0) {
    out.push('WARNING: auth is required but no token is configured: every protected request will get 503. Set ABSTRACTGATEWAY_AUTH_TOKEN.');
  }
  const publicOrigins = policy.allowedOrigins.filter(isPublicWildcard);
  if (publicOrigins.length) out.push(`WARNING: public origin wildcard(s) allowed: ${publicOrigins.join(', ')}.`);
  if (policy.trustProxy) out.push('NOTE: ABSTRACTGATEWAY_TRUST_PROXY=1: client IPs come from X-Forwarded-For; only safe behind a reverse proxy.');
  if (!policy.audit.enabled) out.push('NOTE: the audit log is disabled (ABSTRACTGATEWAY_AUDIT_LOG=0).');
  if (policy.tokenSource === 'file') out.push(`Using the gateway token stored in ${policy.tokenFile} (created automatically, mode 0600).`);
  return out;
}
