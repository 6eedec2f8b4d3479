// The security baseline as one Elysia plugin (docs/security.md). Mount it first in createApp.
//
// Hook order (all global, all before routing and body parsing):
//   1. onRequest  request id; Origin check (403) for /api/gateway, so denied preflights never get CORS
//   2. cors       answers preflights (ACAO only for allowed origins), adds CORS headers to everything after
//   3. onRequest  lockout (429) → auth (503/401/429) → declared size (413) → slot (429) → the body check:
//                 the body is read once, on a clone, within ABSTRACTGATEWAY_BODY_TIMEOUT_S (uploads:
//                 ABSTRACTGATEWAY_UPLOAD_TIMEOUT_S) → 408 body_timeout; counted (chunked → 413); JSON bodies
//                 scanned for nesting deeper than ABSTRACTGATEWAY_MAX_JSON_DEPTH → 400 json_too_deep, before
//                 any parser or validator walks them. With SECURITY=0 only the body check runs (no size cap).
//   4. afterHandle / onError  a request's slot is released as soon as its response exists (before it is
//                 flushed): a slot is held exactly while the request is in flight. SSE generators are wrapped
//                 so their stream slot is released when the stream ends.
//   5. afterResponse release whatever is still held (backstop); append the audit entry for writes
//
// A client that goes away releases its slot at once (request.signal). Ledger streams use their own fair pool
// (limits.ts StreamPool: per-client share, eviction of stalled/oldest streams); SSE handlers that return a raw
// `Response` stream call `attachSseStream(request, …)` to become evictable and `releaseSseSlot(request)` when
// their stream ends.
//
// As a hard backstop the server must pass `serve: { maxRequestBodySize: maxRequestBodySize(policy) }`: Bun
// then refuses anything bigger itself (413, empty body).
import { Elysia } from 'elysia';
import { cors } from '@elysiajs/cors';
import { z } from 'zod';
import { nowIso } from '../../util/time.ts';
import { AuditLog, pickHeaders, redactQuery, tailAudit } from './audit.ts';
import { clientIp, isLoopback } from './client.ts';
import { bodyLimitFor, checkBody, isJsonBody, isSsePath, isUploadPath, parsedAsJson, readJsonBody, SlotPool, StreamPool, type StreamGrant, type StreamHandle } from './limits.ts';
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
  /** SECURITY=0: no auth, limits, slots or audit; only the body checks that keep the process healthy. */
  checksOnly?: boolean;
}

const states = new WeakMap<Request, RequestState>();
const streamGrants = new WeakMap<Request, StreamGrant>();

/**
 * Makes this request's ledger stream evictable under the stream pool's fairness policy (a no-op for other
 * requests). Raw-Response SSE handlers call it once their stream is open.
 */
export function attachSseStream(request: Request, handle: StreamHandle): void {
  streamGrants.get(request)?.attach(handle);
}

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
  const ssePool = new StreamPool(policy.maxSse, policy.maxSsePerClient);
  const audit = new AuditLog(dataDir, policy.audit);

  function finish(request: Request, state: RequestState, status: number): void {
    if (!state.write || state.audited || state.checksOnly) return;
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
      if (!pathVariants(request.url).some(inGatewayScope)) return;

      const url = new URL(request.url);
      const write = !READ.has(request.method) && request.method !== 'OPTIONS';
      if (!policy.enabled) {
        if (write) states.set(request, { id, startMs: 0, ip: '', path: url.pathname, query: '', write, authRequired: false, sse: false, streaming: false, audited: false, checksOnly: true });
        return;
      }
      const ip = clientIp(request, server, policy.trustProxy);
      const state: RequestState = {
        id, startMs: performance.now(), ip, path: url.pathname, query: url.search, write,
        authRequired: write ? policy.protectWrite : policy.protectRead && !(policy.devReadNoAuth && isLoopback(ip)),
        sse: isSsePath(url.pathname), streaming: false, audited: false,
      };
      states.set(request, state);

      // A page this gateway served itself (the web console at /console) is same-origin: its Origin is the
      // request's own scheme://host. Allowing it adds no access: every API call still needs the token.
      const origin = request.headers.get('origin');
      if (origin !== null && origin !== url.origin && !originAllowed(origin)) {
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
      if (state.checksOnly) return checkBodyOf(request, state);

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
        if (Number.isSafeInteger(declared) && declared >= 0) {
          state.bytesIn = declared;
          if (limit > 0 && declared > limit) return tooLarge(request, state, `${declared}`, limit);
        }
      }

      if (state.sse) {
        const grant = ssePool.acquire(state.ip);
        if (!grant) {
          return reject(request, state, 429, 'concurrency_limit', `Too Many Requests (concurrency limit): at most ${ssePool.size} concurrent ledger streams (${ssePool.perClient} per client) and none can be replaced yet; retry shortly`, { 'retry-after': '1' });
        }
        state.release = grant.release;
        streamGrants.set(request, grant);
      } else {
        const release = general.acquire();
        if (!release) {
          return reject(request, state, 429, 'concurrency_limit', `Too Many Requests (concurrency limit): at most ${general.size} concurrent requests; retry shortly`, { 'retry-after': '1' });
        }
        state.release = release;
      }
      // A vanished client frees its slot at once, whatever the handler does.
      request.signal.addEventListener('abort', state.release, { once: true });

      return checkBodyOf(request, state);
    })
    .onAfterHandle({ as: 'global' }, ({ request, responseValue }) => {
      const state = states.get(request);
      if (!state?.release) return;
      // In flight no longer: the response exists, flushing it holds no slot (a client's next request may race it).
      if (!state.sse) return void state.release();
      if (!isAsyncGenerator(responseValue)) return;
      state.streaming = true;
      const release = state.release;
      return (async function* () {
        try { yield* responseValue; } finally { release(); }
      })();
    })
    .onError({ as: 'global' }, ({ request }) => {
      const state = states.get(request);
      if (state && !state.sse) state.release?.(); // the error plugin answers next; the slot is free already
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

  /**
   * The body, read once up front with a deadline: size (chunked bodies have no Content-Length), JSON nesting
   * (before any parser or validator walks it), and a client that stalls mid-body. Also with SECURITY=0.
   */
  async function checkBodyOf(request: Request, state: RequestState): Promise<Response | undefined> {
    if (!state.write) return;
    const upload = isUploadPath(state.path);
    const limit = state.checksOnly ? 0 : bodyLimitFor(policy, state.path);
    const timeoutS = upload ? policy.uploadTimeoutS : policy.bodyTimeoutS;
    const type = request.headers.get('content-type');
    const json = isJsonBody(type);
    const opts = { limit, maxDepth: json ? policy.maxJsonDepth : 0, timeoutMs: timeoutS * 1000 };
    const declared = request.headers.get('content-length');
    const whole = parsedAsJson(type) && declared !== null && /^\d+$/.test(declared) && (limit === 0 || Number(declared) <= limit);
    if (!whole && !request.body) return;
    const check = await (whole ? readJsonBody(request, opts) : checkBody(request, opts));
    if (check.ok) {
      state.bytesIn ??= check.bytes;
      return;
    }
    if (check.why === 'too_large') return tooLarge(request, state, `${check.bytes}+`, limit);
    if (check.why === 'too_deep') {
      return reject(request, state, 400, 'json_too_deep', `JSON body nests arrays/objects deeper than ${policy.maxJsonDepth} levels (ABSTRACTGATEWAY_MAX_JSON_DEPTH)`);
    }
    if (check.why === 'timeout') {
      const name = upload ? 'ABSTRACTGATEWAY_UPLOAD_TIMEOUT_S' : 'ABSTRACTGATEWAY_BODY_TIMEOUT_S';
      return reject(request, state, 408, 'body_timeout', `Request Timeout: the body did not arrive within ${timeoutS} s (${name})`, { connection: 'close' });
    }
    return reject(request, state, 400, 'client_closed', 'The client closed the connection before sending its body');
  }

  /** A security rejection, audited right away: Elysia runs no afterResponse for onRequest answers. */
  function reject(request: Request, state: RequestState, status: number, code: string, detail: string, headers: Record<string, string> = {}): Response {
    state.error = code;
    state.release?.();
    finish(request, state, status);
    return new Response(JSON.stringify({ detail, code }), {
      status,
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    });
  }

  function tooLarge(request: Request, state: RequestState, shown: string, limit: number): Response {
    return reject(request, state, 413, 'payload_too_large', `Payload Too Large (${shown} bytes > ${limit} bytes)`);
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
