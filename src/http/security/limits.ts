// Body-size caps and concurrency pools (docs/security.md).
import { MIB, type SecurityPolicy } from './policy.ts';

/** Headroom over the per-file cap for multipart framing and the other form fields. */
const UPLOAD_OVERHEAD = 2 * MIB;
/** Bun's own default for serve.maxRequestBodySize. */
const BUN_DEFAULT_MAX_BODY = 128 * MIB;

type Upload = 'bundle' | 'attachment' | null;

function uploadKind(path: string): Upload {
  if (path === '/api/gateway/bundles/upload') return 'bundle';
  if (path.endsWith('/attachments/upload')) return 'attachment';
  return null;
}

/** Cap (bytes) for a write body on this path; 0 = unlimited. */
export function bodyLimitFor(policy: SecurityPolicy, path: string): number {
  const kind = uploadKind(path);
  if (!kind) return policy.maxBodyBytes;
  const perFile = kind === 'bundle' ? policy.maxBundleBytes : policy.maxAttachmentBytes;
  const cap = perFile > 0 ? perFile + UPLOAD_OVERHEAD : 0;
  const extra = policy.maxUploadBodyBytes;
  return extra > 0 ? (cap > 0 ? Math.min(cap, extra) : extra) : cap;
}

/**
 * The value the server must pass as `serve.maxRequestBodySize`: the largest cap we ever allow. Bun enforces
 * it before Elysia runs (413, empty body) for any body, chunked or not; our own checks give the JSON 413 below it.
 */
export function maxRequestBodySize(policy: SecurityPolicy): number {
  if (!policy.enabled) return BUN_DEFAULT_MAX_BODY;
  const caps = [policy.maxBodyBytes, bodyLimitFor(policy, '/api/gateway/bundles/upload'), bodyLimitFor(policy, '/x/attachments/upload')];
  return caps.includes(0) ? BUN_DEFAULT_MAX_BODY : Math.max(...caps);
}

/**
 * Size of a body sent without Content-Length (chunked), counting at most `limit + 1` bytes. Reads a clone,
 * so the original stays readable for the route (Bun buffers what we read: bounded by the limit).
 */
export async function measureBody(request: Request, limit: number): Promise<number> {
  const reader = request.clone().body?.getReader();
  if (!reader) return 0;
  let n = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return n;
      n += value.byteLength;
      if (n > limit) return n;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** A counting semaphore without waiting: acquire() fails fast so the caller can answer 429. */
export class SlotPool {
  private used = 0;
  constructor(readonly size: number) {}

  /** Returns a release function that is safe to call more than once, or null when the pool is full. */
  acquire(): (() => void) | null {
    if (this.size > 0 && this.used >= this.size) return null;
    this.used++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used--;
    };
  }
}

export const isSsePath = (path: string): boolean => path.endsWith('/ledger/stream');
