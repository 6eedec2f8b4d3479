// Memory API shapes (/api/gateway/memory/…): span memory and knowledge-graph assertions.
import { z } from 'zod';
import { zJsonObject } from '../common.ts';

const SAFE = /^[A-Za-z0-9_.:-]{1,200}$/;
const limit = z.coerce.number().int().min(1).max(1000).default(100);

export const SpanListQuery = z.object({
  run_id: z.string().regex(SAFE).optional(),
  session_id: z.string().regex(SAFE).optional(),
  global: z.enum(['true', 'false']).optional(),
  limit,
});

export const SpanItemSchema = z.object({
  owner_run_id: z.string(),
  span_id: z.string(),
  kind: z.string(),
  created_at: z.string().nullable(),
  preview: z.string().nullable(),
  tags: z.record(z.string(), z.string()),
  span: zJsonObject,
});

export const SpanList = z.object({ items: z.array(SpanItemSchema) });
export const SpanDetail = SpanItemSchema.extend({ body: z.unknown() });
export const SpanParams = z.object({ owner_run_id: z.string().regex(SAFE), span_id: z.string().regex(/^[a-zA-Z0-9_-]{1,128}$/) });

export const KgListQuery = z.object({
  scope: z.enum(['run', 'session', 'global']).optional(),
  owner_id: z.string().regex(SAFE).optional(),
  subject: z.string().min(1).max(500).optional(),
  limit,
});

export const KgAssertionSchema = z.object({
  assertion_id: z.string(), scope: z.string(), owner_id: z.string(), subject: z.string(), predicate: z.string(), object: z.string(),
  subject_type: z.string().nullable(), object_type: z.string().nullable(), confidence: z.number().nullable(),
  valid_from: z.string().nullable(), valid_until: z.string().nullable(), observed_at: z.string(),
  span_id: z.string().nullable(), run_id: z.string().nullable(), attributes: zJsonObject,
});
export const KgList = z.object({ items: z.array(KgAssertionSchema) });
export const KgParams = z.object({ assertion_id: z.string().regex(/^kga_[0-9a-f]{24}$/) });
export const Deleted = z.object({ deleted: z.literal(true) });
