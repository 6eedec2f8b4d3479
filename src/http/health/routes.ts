// Reachability: `/api/health` is public and touches nothing; `/api/gateway/ping` sits behind auth and is
// the login check clients should use.
import { Elysia } from 'elysia';
import { z } from 'zod';
import { nowIso } from '../../util/time.ts';

const Health = z
  .object({ status: z.literal('healthy'), service: z.literal('abstractgateway') })
  .meta({ example: { status: 'healthy', service: 'abstractgateway' } });
const Ping = z
  .object({ ok: z.literal(true), status: z.literal('healthy'), service: z.literal('abstractgateway'), time: z.string() })
  .meta({ example: { ok: true, status: 'healthy', service: 'abstractgateway', time: '2026-02-05T09:43:49.123456+00:00' } });

export const healthRoutes = new Elysia({ name: 'health', detail: { tags: ['health'] } })
  .get('/api/health', () => ({ status: 'healthy', service: 'abstractgateway' }) as const, {
    response: Health,
    detail: { summary: 'Liveness (public)', security: [] },
  })
  .get('/api/gateway/ping', () => ({ ok: true, status: 'healthy', service: 'abstractgateway', time: nowIso() }) as const, {
    response: Ping,
    detail: { summary: 'Authenticated reachability probe' },
  });
