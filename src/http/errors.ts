// The one error shape: every rejection is `{"detail": "<message>", "code": "<machine code>"}`.
// The one place errors become HTTP: a domain error (src/model/errors.ts) gets the status of its kind and its own
// message and code; framework errors are mapped here; anything unexpected becomes a logged 500 that never leaks
// a stack trace.
import { Elysia } from 'elysia';
import { z } from 'zod';
import { DomainError, type ErrorKind } from '../model/index.ts';

export const ErrorBody = z
  .object({ detail: z.string(), code: z.string() })
  .meta({ example: { detail: "Run 'x' not found", code: 'not_found' } });
export type ErrorBody = z.infer<typeof ErrorBody>;

export const errorBody = (detail: string, code: string): ErrorBody => ({ detail, code });

/** The HTTP status of each kind of domain error. */
export const STATUS_OF: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

interface Issue { path?: unknown; message?: unknown; summary?: unknown }

/** "body.payload: expected object" from the first validation issue (zod or typebox flavoured). */
export function describeValidation(type: string, issues: Issue[]): string {
  const first = issues[0];
  if (!first) return `Invalid ${type}`;
  const raw = first.path;
  // Elysia reports a missing/non-object body as path "root".
  const parts = Array.isArray(raw)
    ? raw.map((p) => (typeof p === 'object' && p !== null && 'key' in p ? String((p as { key: unknown }).key) : String(p)))
    : typeof raw === 'string' && raw !== 'root' ? raw.split('/').filter(Boolean) : [];
  const field = parts.join('.');
  const msg = String(first.message ?? first.summary ?? 'invalid value');
  return field ? `Invalid ${type} field '${field}': ${msg}` : `Invalid ${type}: ${msg}`;
}

export const errorPlugin = new Elysia({ name: 'gateway-errors' }).onError({ as: 'global' }, ({ code, error, set, request }) => {
  if (error instanceof DomainError) {
    set.status = STATUS_OF[error.kind];
    return errorBody(error.message, error.errCode);
  }
  switch (code) {
    case 'VALIDATION': {
      if (error.type === 'response') {
        console.error(`[http] response validation failed for ${request.method} ${new URL(request.url).pathname}:`, error.all);
        set.status = 500;
        return errorBody('Internal server error', 'internal');
      }
      set.status = 422;
      return errorBody(describeValidation(error.type, error.all as Issue[]), 'validation_error');
    }
    case 'PARSE':
      set.status = 400;
      return errorBody('Malformed request body', 'bad_request');
    case 'NOT_FOUND':
      set.status = 404;
      return errorBody('Not Found', 'not_found');
    case 'INVALID_FILE_TYPE':
      set.status = 422;
      return errorBody(String((error as Error).message), 'validation_error');
    default:
      console.error(`[http] unhandled error on ${request.method} ${new URL(request.url).pathname}:`, error);
      set.status = 500;
      return errorBody('Internal server error', 'internal');
  }
});
