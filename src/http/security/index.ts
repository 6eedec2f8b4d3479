// The security baseline as one Elysia plugin (docs/security.md). Mount it first in createApp.
//
// Hook order (all global, all before routing and body parsing):
//   1. onRequest  request id; Origin check (403) for /api/gateway, so denied preflights never get CORS
//   2. cors       answers preflights (ACAO only for allowed origins), adds CORS headers to everything after
//   3. onRequest  lockout (429) → auth (503/401/429) → body size (413) → concurrency slot (429)
//   4. afterHandle   SSE generators are wrapped so their slot is released when the stream ends
//   5. afterResponse release non-stream slots; append the audit entry for writes (accepted or rejected)
//
// SSE handlers that return a raw `Response` stream instead of a generator must call
// `releaseSseSlot(request)` when their stream ends; a client disconnect releases it in any case.
//
// Body sizes: a declared Content-Length is checked before anything is read. A chunked body (no
// Content-Length) is measured on a clone up to limit+1 bytes, then rejected (JSON 413) or left intact
// for the route. As a hard backstop the server must pass `serve: { maxRequestBodySize:
// maxRequestBodySize(policy) }`: Bun then refuses anything bigger itself (413, empty body).
import { Elysia } from 'elysia';
import { cors } from '@elysiajs/cors';
import { z } from 'zod';
import { nowIso } from '../../util/time.ts';
import { AuditLog, pickHeaders, redactQuery, tailAudit } from './audit.ts';
import { clientIp, isLoopback } from './client.ts';
import { bodyLimitFor, isSsePath, measureBody, SlotPool } from './limits.ts';
import { AuthLockout } from './lockout.ts';
import { originMatcher } from './origin.ts';
import type { SecurityPolicy } from './policy.ts';
import { bearerToken, fingerprintToken, tokenMatcher } from '../../auth/tokens.ts';

export { loadSecurityPolicy, type SecurityPolicy, type Env } from './policy.ts';
export { fingerprintToken, ensureToken, rotateToken, curlExample, isWeakToken, type EnsuredToken } from '../../auth/tokens.ts';
export { checkBindSafety, securityWarnings, DEFAULT_BIND_HOST, type BindCheck, type BindOptions } from './startup.ts';
export { maxRequestBodySize } from './limits.ts';
export { tailAudit, type AuditEntry, type TailResult } from './audit.ts';

export const GATEWAY_PREFIX = '/api/gateway';

/** Segment match: `/api/gateway` and `/api/gateway/...`, not `/api/gatewayX`. */
export function inGatewayScope(path: string): boolean {
  return path === GATEWAY_PREFIX || path.startsWith(GATEWAY_PREFIX + '/');
}

/**
 * Every spelling of the request path a router might act on: raw, percent-decoded, slashes collapsed, and
 * dot-segments resolved. The request is in scope if any of them is, so path tricks cannot skip the checks.
 */
function pathVariants(url: string): string[] {
  const raw = url.replace(/^[a-z]+:\/\/[^/]*/i, '').split(/[?#]/)[0] || '/';
  let decoded = raw;
  try { decoded = decodeURIComponent(raw); } catch { /* keep raw */ }
  const out = new Set<string>();
  for (const p of [raw, decoded]) {
    const collapsed = p.replace(/\/{2,}/g, '/');
    out.add(p).add(collapsed).add(new URL(collapsed, 'http://x').pathname);
  }
  return [...out];
}

interface RequestState {
  id: string;
  startMs: number;
  ip: string;
  path: string;
  query: string;
  write: boolean;
  authRequired: boolean;
  tokenFp?: string;
  bytesIn?: number;
  error?: string;
  release?: () => void;
  audited: boolean;
  sse: boolean;
  streaming: boolean; // the SSE slot now belongs to the stream
}

const states = new WeakMap<Request, RequestState>();

/** Release the SSE slot held by this request (idempotent; a no-op for other requests). */
export function releaseSseSlot(request: Request): void {
  const s = states.get(request);
  if (s?.sse) s.release?.();
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const randomId = (): string => Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex');

const READ = new Set(['GET', 'HEAD']);

const TailQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  max_bytes: z.coerce.number().int().min(1024).max(400_000).default(80_000),
});

export interface SecurityPluginOptions {
  dataDir: string;
}

export function securityPlugin(policy: SecurityPolicy, { dataDir }: SecurityPluginOptions) {
  const originAllowed = originMatcher(policy.allowedOrigins);
  const tokenValid = tokenMatcher(policy.tokens);
  const lockout = new AuthLockout({
    after: policy.lockoutAfter,
    baseS: policy.lockoutBaseS,
    maxS: policy.lockoutMaxS,
    decayS: policy.lockoutDecayS,
    maxEntries: policy.lockoutMaxEntries,
  });
  const general = new SlotPool(policy.maxConcurrency);
  const ssePool = new SlotPool(policy.maxSse);
  const audit = new AuditLog(dataDir, policy.audit);

  function finish(request: Request, state: RequestState, status: number): void {
    if (!state.write || state.audited) return;
    state.audited = true;
    const h = request.headers;
    audit.write({
      ts: nowIso(),
      request_id: state.id,
      ip: state.ip,
      method: request.method,
      path: state.path,
      query: redactQuery(state.query),
      status,
      duration_ms: Math.round(performance.now() - state.startMs),
      auth_required: state.authRequired,
      auth_token_fp: state.tokenFp,
      origin: h.get('origin') ?? undefined,
      user_agent: h.get('user-agent') ?? undefined,
      bytes_in: state.bytesIn,
      headers: pickHeaders(h, policy.audit.headers),
      error: state.error,
    });
  }

  return new Elysia({ name: 'security' })
    .onRequest(({ request, set, server }) => {
      const incoming = request.headers.get('x-request-id');
      const id = incoming && REQUEST_ID.test(incoming) ? incoming : randomId();
      set.headers['x-request-id'] = id;
      if (!policy.enabled || !pathVariants(request.url).some(inGatewayScope)) return;

      const url = new URL(request.url);
      const write = !READ.has(request.method) && request.method !== 'OPTIONS';
      const ip = clientIp(request, server, policy.trustProxy);
      const state: RequestState = {
        id, startMs: performance.now(), ip, path: url.pathname, query: url.search, write,
        authRequired: write ? policy.protectWrite : policy.protectRead && !(policy.devReadNoAuth && isLoopback(ip)),
        sse: isSsePath(url.pathname), streaming: false, audited: false,
      };
      states.set(request, state);

      const origin = request.headers.get('origin');
      if (origin !== null && !originAllowed(origin)) {
        return reject(request, state, 403, 'origin_not_allowed', `Forbidden (origin not allowed): ${JSON.stringify(origin)} is not in ABSTRACTGATEWAY_ALLOWED_ORIGINS`);
      }
    })
    .use(cors({
      origin: (request: Request) => originAllowed(request.headers.get('origin') ?? ''),
      credentials: true,
      allowedHeaders: true, // reflect what the browser asks for (Authorization, X-Request-Id, ...)
      exposeHeaders: ['x-request-id', 'retry-after', 'www-authenticate', 'content-disposition'],
      maxAge: 600,
    }))
    // cors has answered every OPTIONS request by now, so only real requests get here.
    .onRequest(async ({ request }) => {
      const state = states.get(request);
      if (!state) return;

      const lockedMs = lockout.remainingMs(state.ip);
      if (lockedMs > 0) return lockedOut(request, state, lockedMs);

      if (state.authRequired) {
        if (policy.tokens.length === 0) {
          return reject(request, state, 503, 'auth_not_configured', 'Gateway auth required but no token configured: set ABSTRACTGATEWAY_AUTH_TOKEN and restart the server');
        }
        const token = bearerToken(request.headers.get('authorization'));
        if (token === null || !tokenValid(token)) {
          const lockMs = lockout.recordFailure(state.ip);
          if (lockMs > 0) return lockedOut(request, state, lockMs);
          const why = token === null ? "missing bearer token: send 'Authorization: Bearer <token>'" : 'invalid bearer token';
          return reject(request, state, 401, 'unauthorized', `Unauthorized: ${why}`, { 'www-authenticate': 'Bearer' });
        }
        lockout.recordSuccess(state.ip);
        state.tokenFp = fingerprintToken(token);
      }

      if (state.write) {
        const limit = bodyLimitFor(policy, state.path);
        const declared = Number(request.headers.get('content-length') ?? NaN);
        const size = Number.isSafeInteger(declared) && declared >= 0
          ? declared
          : limit > 0 && request.body ? await measureBody(request, limit) : undefined;
        state.bytesIn = size;
        if (limit > 0 && size !== undefined && size > limit) {
          const shown = Number.isSafeInteger(declared) ? `${size}` : `${size}+`; // chunked: counting stopped
          return reject(request, state, 413, 'payload_too_large', `Payload Too Large (${shown} bytes > ${limit} bytes)`);
        }
      }

      const pool = state.sse ? ssePool : general;
      const release = pool.acquire();
      if (!release) {
        const what = state.sse ? `${pool.size} concurrent ledger streams` : `${pool.size} concurrent requests`;
        return reject(request, state, 429, 'concurrency_limit', `Too Many Requests (concurrency limit): at most ${what}; retry shortly`, { 'retry-after': '1' });
      }
      state.release = release;
      // A vanished client frees its stream slot at once, whatever the handler does.
      if (state.sse) request.signal.addEventListener('abort', release, { once: true });
    })
    .onAfterHandle({ as: 'global' }, ({ request, responseValue }) => {
      const state = states.get(request);
      if (!state?.sse || !state.release || !isAsyncGenerator(responseValue)) return;
      state.streaming = true;
      const release = state.release;
      return (async function* () {
        try { yield* responseValue; } finally { release(); }
      })();
    })
    .onAfterResponse({ as: 'global' }, ({ request, set, responseValue }) => {
      const state = states.get(request);
      if (!state) return;
      const status = responseValue instanceof Response ? responseValue.status : typeof set.status === 'number' ? set.status : 200;
      const rawStream = responseValue instanceof Response && isEventStream(responseValue.headers.get('content-type'));
      if (!(state.sse && (state.streaming || rawStream))) state.release?.();
      finish(request, state, status);
    })
    .get(`${GATEWAY_PREFIX}/audit/tail`, async ({ query }) => {
      const parsed = TailQuery.safeParse(query);
      if (!parsed.success) {
        return Response.json(
          { detail: 'Invalid query: limit must be an integer in 1..1000 and max_bytes an integer in 1024..400000', code: 'bad_request' },
          { status: 400 },
        );
      }
      return tailAudit(dataDir, parsed.data.limit, parsed.data.max_bytes);
    }, { detail: { summary: 'Tail of the audit log (newest entries last)', tags: ['security'] } });

  /** A security rejection, audited right away: Elysia runs no afterResponse for onRequest answers. */
  function reject(request: Request, state: RequestState, status: number, code: string, detail: string, headers: Record<string, string> = {}): Response {
    state.error = code;
    finish(request, state, status);
    return new Response(JSON.stringify({ detail, code }), {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    });
  }

  function lockedOut(request: Request, state: RequestState, ms: number): Response {
    const seconds = Math.max(1, Math.ceil(ms / 1000));
    return reject(request, state, 429, 'auth_lockout', `Too Many Requests (auth lockout): too many failed auth attempts from this address; retry in ${seconds} s`, { 'retry-after': String(seconds) });
  }
}

function isAsyncGenerator(v: unknown): v is AsyncGenerator<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as AsyncGenerator).next === 'function'
    && typeof (v as AsyncGenerator)[Symbol.asyncIterator] === 'function';
}

const isEventStream = (ct: string | null): boolean => ct?.startsWith('text/event-stream') ?? false;
