// Body-size caps, body reading (size, JSON depth, deadline) and the concurrency pools (docs/security.md).
// Slots: a request holds one exactly while it is in flight (released when its handler has produced the
// response, before the bytes are flushed); a ledger stream holds one of the stream pool while it is open.
import { JsonDepthScanner } from '../../util/json-depth.ts';
import { MIB, type SecurityPolicy } from './policy.ts';

/** Headroom over the per-file cap for multipart framing and the other form fields. */
const UPLOAD_OVERHEAD = 2 * MIB;
/** Bun's own default for serve.maxRequestBodySize. */
const BUN_DEFAULT_MAX_BODY = 128 * MIB;

type Upload = 'bundle' | 'attachment' | null;

export const isUploadPath = (path: string): boolean => uploadKind(path) !== null;

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

export type BodyCheck =
  | { ok: true; bytes: number }
  | { ok: false; why: 'too_large'; bytes: number }
  | { ok: false; why: 'too_deep' }
  | { ok: false; why: 'timeout' }
  | { ok: false; why: 'aborted' };

export interface BodyCheckOptions {
  /** Stop and report too_large past this many bytes (0 = no cap). */
  limit: number;
  /** JSON nesting cap, or 0 when the body is not JSON. */
  maxDepth: number;
  /** The whole body must have arrived within this many ms. */
  timeoutMs: number;
}

/**
 * Reads the body of `request` once, on a clone, before any route sees it: counts its bytes (a chunked body has
 * no Content-Length), scans JSON nesting as the bytes arrive, and gives up when the body does not arrive in
 * time or the client goes away. The original stays readable for the route (Bun buffers what the clone read,
 * bounded by `limit`). Never throws.
 */
export async function checkBody(request: Request, opts: BodyCheckOptions): Promise<BodyCheck> {
  const reader = request.clone().body?.getReader();
  if (!reader) return { ok: true, bytes: 0 };
  const depth = opts.maxDepth > 0 ? new JsonDepthScanner(opts.maxDepth) : null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), opts.timeoutMs); });
  let bytes = 0;
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), expired]).catch(() => 'aborted' as const);
      if (next === 'timeout' || next === 'aborted') return { ok: false, why: request.signal.aborted ? 'aborted' : next };
      if (next.done) return { ok: true, bytes };
      bytes += next.value.byteLength;
      if (opts.limit > 0 && bytes > opts.limit) return { ok: false, why: 'too_large', bytes };
      if (depth && !depth.feed(next.value)) return { ok: false, why: 'too_deep' };
    }
  } finally {
    clearTimeout(timer);
    reader.cancel().catch(() => {});
  }
}

/**
 * A JSON body of declared length within the cap, read once, natively, from the request itself, with the same
 * deadline and nesting scan as checkBody; the request then serves those bytes to whoever reads it next (the
 * route's parser). A clone would route both copies through JS streams: the most expensive part of a small write.
 */
export async function readJsonBody(request: Request, opts: BodyCheckOptions): Promise<BodyCheck> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), opts.timeoutMs); });
  try {
    const read = await Promise.race([request.arrayBuffer(), expired]).catch(() => 'aborted' as const);
    if (read === 'timeout' || read === 'aborted') return { ok: false, why: request.signal.aborted ? 'aborted' : read };
    const body = new Uint8Array(read);
    if (opts.limit > 0 && body.byteLength > opts.limit) return { ok: false, why: 'too_large', bytes: body.byteLength };
    if (opts.maxDepth > 0 && !new JsonDepthScanner(opts.maxDepth).feed(body)) return { ok: false, why: 'too_deep' };
    serveBodyFrom(request, body);
    return { ok: true, bytes: body.byteLength };
  } finally {
    clearTimeout(timer);
  }
}

/** Makes `request`'s body readers (json, text, arrayBuffer, bytes, blob, formData, body) answer with `bytes`. */
function serveBodyFrom(request: Request, bytes: Uint8Array): void {
  const again = () => new Response(bytes, { headers: { 'content-type': request.headers.get('content-type') ?? '' } });
  const reader = (name: 'json' | 'text' | 'arrayBuffer' | 'bytes' | 'blob' | 'formData') => ({ value: () => again()[name]() });
  Object.defineProperties(request, {
    json: reader('json'), text: reader('text'), arrayBuffer: reader('arrayBuffer'), bytes: reader('bytes'),
    blob: reader('blob'), formData: reader('formData'),
    body: { get: () => again().body }, bodyUsed: { get: () => false },
  });
}

/** Elysia's default body parser reads JSON exactly when the raw content type has a `j` at index 12 ("application/j…"). */
export const parsedAsJson = (contentType: string | null): boolean => contentType?.charCodeAt(12) === 106;

/** Bodies Elysia will parse as JSON (its dispatch looks at "application/j…"), plus any `+json` type. */
export function isJsonBody(contentType: string | null): boolean {
  if (!contentType) return false;
  const media = contentType.split(';')[0]!.trim();
  return media.charCodeAt(12) === 106 || media.toLowerCase().includes('json');
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

export interface StreamHandle {
  /** When its last write started waiting for the socket to drain (client not reading), or null. */
  stalledSince(): number | null;
  /** Ends the stream (the client reconnects with its last cursor). */
  evict(): void;
}

interface StreamEntry { ip: string; opened: number; handle: StreamHandle | null; released: boolean }

export type StreamGrant = { release: () => void; attach: (h: StreamHandle) => void };

/**
 * The ledger-stream pool, fair under abuse (docs/reliability.md "SSE policy"): a client address holds at
 * most `perClient` streams and a new stream from it replaces its own oldest one; when the pool is full, a new
 * stream replaces the stream that has waited longest on a full socket buffer, else the oldest stream of the
 * address holding the most. A stream not yet attached (handler still running) is never evicted; when nothing
 * can be evicted the caller answers 429.
 */
export class StreamPool {
  private readonly entries = new Set<StreamEntry>();
  readonly perClient: number;
  constructor(readonly size: number, perClient = 0, private readonly now: () => number = Date.now) {
    this.perClient = perClient > 0 ? perClient : size > 0 ? Math.min(size, Math.max(8, Math.ceil(size / 4))) : 0;
  }

  get used(): number {
    return this.entries.size;
  }

  acquire(ip: string): StreamGrant | null {
    if (this.perClient > 0) {
      const own = [...this.entries].filter((e) => e.ip === ip);
      if (own.length >= this.perClient && !this.evictOne(own)) return null;
    }
    if (this.size > 0 && this.entries.size >= this.size && !this.evictOne(this.victims())) return null;
    const entry: StreamEntry = { ip, opened: this.now(), handle: null, released: false };
    this.entries.add(entry);
    return {
      release: () => {
        if (entry.released) return;
        entry.released = true;
        this.entries.delete(entry);
      },
      attach: (h) => { entry.handle = h; },
    };
  }

  /** Candidates when the pool is full: the stalled streams, else the replaceable streams of the address holding the most. */
  private victims(): StreamEntry[] {
    const attached = [...this.entries].filter((e) => e.handle !== null);
    const stalled = attached.filter((e) => e.handle!.stalledSince() !== null);
    if (stalled.length) return stalled;
    const byIp = new Map<string, StreamEntry[]>();
    for (const e of attached) {
      const list = byIp.get(e.ip);
      if (list) list.push(e);
      else byIp.set(e.ip, [e]);
    }
    let biggest: StreamEntry[] = [];
    for (const list of byIp.values()) if (list.length > biggest.length) biggest = list;
    return biggest;
  }

  /** Evicts the longest-stalled, else the oldest, attached entry of `among`; false when none can be. */
  private evictOne(among: StreamEntry[]): boolean {
    let best: StreamEntry | null = null;
    let bestKey = Infinity;
    for (const e of among) {
      if (!e.handle || e.released) continue;
      const key = e.handle.stalledSince() ?? Number.MAX_SAFE_INTEGER / 2 + e.opened;
      if (key < bestKey) { best = e; bestKey = key; }
    }
    if (!best) return false;
    this.entries.delete(best);
    best.released = true;
    best.handle!.evict();
    return true;
  }
}

export const isSsePath = (path: string): boolean => path.endsWith('/ledger/stream');
