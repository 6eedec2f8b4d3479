// /api/gateway/memory/…: list, inspect and delete span memory and knowledge-graph assertions (behind the token
// like every /api/gateway route). Thin: MemoryService does the work (asynchronously: the store is).
import { Elysia } from 'elysia';
import type { MemoryService } from '../../memory/service.ts';
import { errors } from '../common.ts';
import { Deleted, KgAssertionSchema, KgList, KgListQuery, KgParams, SpanDetail, SpanList, SpanListQuery, SpanParams } from './schemas.ts';

export const memoryRoutes = (memory: MemoryService) =>
  new Elysia({ name: 'memory', prefix: '/api/gateway/memory', tags: ['memory'] })
    .get('/spans', async ({ query }) => ({ items: await memory.listSpans({ runId: query.run_id, sessionId: query.session_id, global: query.global === 'true', limit: query.limit }) }), {
      query: SpanListQuery,
      response: { 200: SpanList, ...errors(404, 422) },
      detail: { summary: 'Memory spans of a run, a session and/or global memory (global when nothing is named), newest first' },
    })
    .get('/spans/:owner_run_id/:span_id', ({ params }) => memory.getSpan(params.owner_run_id, params.span_id), {
      params: SpanParams,
      response: { 200: SpanDetail, ...errors(404, 422) },
      detail: { summary: 'One span with its stored body (note or archived messages)' },
    })
    .delete('/spans/:owner_run_id/:span_id', async ({ params }) => { await memory.deleteSpan(params.owner_run_id, params.span_id); return { deleted: true as const }; }, {
      params: SpanParams,
      response: { 200: Deleted, ...errors(404, 409, 422) },
      detail: { summary: "Remove a span from its owner's memory index (recall no longer finds it)" },
    })
    .get('/kg', async ({ query }) => ({ items: await memory.listKg({ scope: query.scope, ownerId: query.owner_id, subject: query.subject, limit: query.limit }) }), {
      query: KgListQuery,
      response: { 200: KgList, ...errors(422) },
      detail: { summary: 'Knowledge-graph assertions, newest first' },
    })
    .get('/kg/:assertion_id', ({ params }) => memory.getKg(params.assertion_id), {
      params: KgParams,
      response: { 200: KgAssertionSchema, ...errors(404, 422) },
      detail: { summary: 'One knowledge-graph assertion' },
    })
    .delete('/kg/:assertion_id', async ({ params }) => { await memory.deleteKg(params.assertion_id); return { deleted: true as const }; }, {
      params: KgParams,
      response: { 200: Deleted, ...errors(404, 422) },
      detail: { summary: 'Delete a knowledge-graph assertion (and its cached embeddings)' },
    });
