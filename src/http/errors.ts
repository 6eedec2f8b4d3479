// The one error shape: every rejection is `{"detail": "<message>", "code": "<machine code>"}`.
// The one place errors become HTTP: a domain error (src/model/errors.ts) gets the status of its kind and its own
// message and code; framework errors are mapped here; anything unexpected becomes a logged 500 that never leaks
// a stack trace or a message: the body names only the request id, the log line has the rest. No error body
// carries an absolute server path (scrubPaths).
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

/** Absolute file-system paths (`/a/b…`, `C:\\a\\b…`) in a message, replaced by `<path>`: bodies never show server paths. */
export function scrubPaths(message: string): string {
  return message.replace(/(^|[\s'"`(=])(?:[A-Za-z]:)?[\\/](?:[^\s'"`()\\/]+[\\/])+[^\s'"`(),]*/g, '$1<path>');
}

const requestIdOf = (headers: Record<string, unknown>): string => String(headers['x-request-id'] ?? 'unknown');

function internal(set: { status?: unknown; headers: Record<string, unknown> }, what: string, request: Request, error: unknown): ErrorBody {
  const id = requestIdOf(set.headers);
  console.error(`[http] ${what} on ${request.method} ${new URL(request.url).pathname} (request ${id}):`, error);
  set.status = 500;
  return errorBody(`Internal server error (request id ${id}; details are in the server log)`, 'internal');
}

export const errorPlugin = new Elysia({ name: 'gateway-errors' }).onError({ as: 'global' }, ({ code, error, set, request }) => {
  if (error instanceof DomainError) {
    set.status = STATUS_OF[error.kind];
    if (error.kind === 'internal') {
      // An operation failed for a server-side reason: the code says which, the log says why.
      const id = requestIdOf(set.headers);
      console.error(`[http] ${error.errCode} on ${request.method} ${new URL(request.url).pathname} (request ${id}): ${error.message}`);
      return errorBody(`${scrubPaths(error.message.split(':')[0]!)} (request id ${id}; details are in the server log)`, error.errCode);
    }
    return errorBody(scrubPaths(error.message), error.errCode);
  }
  switch (code) {
    case 'VALIDATION': {
      if (error.type === 'response') return internal(set, 'response validation failed', request, error.all);
      set.status = 422;
      return errorBody(scrubPaths(describeValidation(error.type, error.all as Issue[])), 'validation_error');
    }
    case 'PARSE':
      set.status = 400;
      return errorBody('Malformed request body', 'bad_request');
    case 'NOT_FOUND':
      set.status = 404;
      return errorBody('Not Found', 'not_found');
    case 'INVALID_FILE_TYPE':
      set.status = 422;
      return errorBody(scrubPaths(String((error as Error).message)), 'validation_error');
    default:
      return internal(set, 'unhandled error', request, error);
  }
});
