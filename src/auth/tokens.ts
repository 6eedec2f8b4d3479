// Bearer tokens: parsing, constant-time matching, fingerprints, and the zero-config token file. Shared by the HTTP
// security plugin (src/http/security/) and the CLI (token, doctor), so it depends on neither.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { timingSafeEqual } from 'node:crypto';
import { sha256Hex } from '../util/json.ts';

export const TOKEN_FILE = 'gateway_token';

/** Split a comma list, trim, drop empties (AUTH_TOKEN may itself contain commas, like AUTH_TOKENS). */
export function parseTokenList(raw: string): string[] {
  return raw.split(',').map((t) => t.trim()).filter(Boolean);
}

/** The only token-derived value that may be logged: first 12 hex chars of sha256(token). */
export function fingerprintToken(token: string): string {
  return sha256Hex(token).slice(0, 12);
}

const digest = (s: string): Buffer => Buffer.from(new Bun.CryptoHasher('sha256').update(s).digest());

/**
 * Matches a presented token against every configured one. Comparing fixed-size digests keeps
 * timingSafeEqual's equal-length precondition and leaks neither content nor length; no early exit.
 */
export function tokenMatcher(tokens: readonly string[]): (presented: string) => boolean {
  const digests = tokens.map(digest);
  return (presented) => {
    const d = digest(presented);
    let ok = false;
    for (const known of digests) ok = timingSafeEqual(d, known) || ok;
    return ok;
  };
}

/** Token from `Authorization: Bearer <token>` (scheme case-insensitive, token trimmed), else null. */
export function bearerToken(header: string | null): string | null {
  const m = /^\s*bearer\s+(.+)$/i.exec(header ?? '');
  const token = m?.[1]?.trim();
  return token ? token : null;
}

const WEAK = new Set(['dev-token', 'devtoken', 'token', 'changeme', 'password', 'admin', 'god', 'zeus', 'root', 'superuser']);
export const MIN_TOKEN_LENGTH = 15;

/** Weak = empty, a well-known placeholder, or shorter than 15 characters (docs/security.md). */
export function isWeakToken(token: string): boolean {
  const t = token.trim();
  return t.length < MIN_TOKEN_LENGTH || WEAK.has(t.toLowerCase());
}

/** 32 random bytes, base64url; the prefix makes leaked tokens easy to spot for secret scanners. */
export function generateToken(): string {
  return 'agw_' + Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
}

export interface EnsuredToken {
  token: string;
  path: string;
  created: boolean;
}

function writeTokenFile(path: string, token: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, token + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600); // the mode above is subject to the umask
  renameSync(tmp, path);
}

/** Reuse `<dataDir>/gateway_token`, or create it (mode 0600) with a fresh strong token. */
export function ensureToken(dataDir: string): EnsuredToken {
  const path = join(dataDir, TOKEN_FILE);
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (token) {
      if (statSync(path).mode & 0o077) chmodSync(path, 0o600); // never leave a readable secret behind
      return { token, path, created: false };
    }
  }
  return rotateToken(dataDir);
}

/** Replace the stored token with a fresh one (old clients stop working once the server restarts). */
export function rotateToken(dataDir: string): EnsuredToken {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, TOKEN_FILE);
  const token = generateToken();
  writeTokenFile(path, token);
  return { token, path, created: true };
}

/** A ready-to-paste check that the token works. */
export function curlExample(token: string, baseUrl = 'http://127.0.0.1:8080'): string {
  return `curl -H "Authorization: Bearer ${token}" ${baseUrl.replace(/\/+$/, '')}/api/gateway/bundles`;
}
