// GET /metrics (Prometheus text format) and the response wrap that counts requests and 429s by limit.
// Behind the gateway token (any configured one) unless ABSTRACTGATEWAY_METRICS_PUBLIC=1 or security is off.
// Elysia's `wrap` is the one hook that sees every response, including the security layer's onRequest refusals
// (401/403/429 answered before any route; no afterResponse runs for them).
import { Elysia } from 'elysia';
import type { SecurityPolicy } from '../security/index.ts';
import { bearerToken, tokenMatcher } from '../../auth/tokens.ts';
import type { GatewayMetrics } from './index.ts';

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The `code` of a refusal body ({detail, code}); read only for the rare 429s. */
async function limitOf(res: Response): Promise<string | null> {
  try {
    const body = (await res.clone().json()) as { code?: unknown };
    return typeof body.code === 'string' ? body.code : null;
  } catch {
    return null;
  }
}

export function metricsRoutes(metrics: GatewayMetrics, opts: { security: SecurityPolicy | null; public: boolean }) {
  const guarded = !opts.public && !!opts.security?.enabled;
  const matches = tokenMatcher(opts.security?.tokens ?? []);
  const observe = (method: string, res: Response) => {
    if (res.status === 429) void limitOf(res).then((limit) => metrics.response(method, 429, limit));
    else metrics.response(method, res.status, null);
  };
  return new Elysia({ name: 'metrics' })
    .wrap((fn: any) => (request: Request) => {
      const out = fn(request);
      if (out instanceof Promise) return out.then((res: unknown) => (res instanceof Response && observe(request.method, res), res));
      if (out instanceof Response) observe(request.method, out);
      return out;
    })
    .get('/metrics', async ({ request }) => {
      if (guarded) {
        const token = bearerToken(request.headers.get('authorization'));
        if (token === null || !matches(token)) {
          return Response.json(
            { detail: 'Unauthorized: /metrics needs the gateway token (Authorization: Bearer <token>), or set ABSTRACTGATEWAY_METRICS_PUBLIC=1', code: 'unauthorized' },
            { status: 401, headers: { 'www-authenticate': 'Bearer' } },
          );
        }
      }
      return new Response(await metrics.render(), { headers: { 'content-type': CONTENT_TYPE } });
    }, { detail: { summary: 'Prometheus metrics (text exposition format)', tags: ['operations'] } });
}
