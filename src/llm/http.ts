// HTTP plumbing for provider clients: per-attempt timeout, cancellation, retries with exponential backoff on
// 429/5xx/network errors, and secret redaction for every message that can reach a result, log or error.

export interface HttpPolicy {
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** cancellation from the run (pause/cancel) */
  signal: AbortSignal;
  /** values that must never appear in messages (API keys) */
  secrets: string[];
}

export interface AttemptInfo {
  attempt: number;
  status: number | null;
  error: string;
}

export class LlmHttpError extends Error {
  constructor(message: string, readonly status: number | null, readonly retryable: boolean, readonly attempts: AttemptInfo[] = []) {
    super(message);
    this.name = 'LlmHttpError';
  }
}

const KEY_PATTERN = /\b(sk-[A-Za-z0-9_-]{6,}|sk-ant-[A-Za-z0-9_-]{6,}|Bearer\s+[A-Za-z0-9._~+/=-]{8,})/g;

/** Replace known secrets and anything shaped like an API key. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out.replace(KEY_PATTERN, '***');
}

const RETRYABLE_STATUS = (s: number) => s === 429 || s === 408 || s >= 500;

function backoffMs(policy: HttpPolicy, attempt: number, retryAfter: string | null): number {
  const hinted = retryAfter !== null ? Number(retryAfter) * 1000 : NaN;
  if (Number.isFinite(hinted) && hinted >= 0) return Math.min(hinted, policy.retryMaxMs);
  const exp = Math.min(policy.retryBaseMs * 2 ** (attempt - 1), policy.retryMaxMs);
  return exp / 2 + Math.random() * (exp / 2); // jitter so parallel runs do not retry in lockstep
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); reject(signal.reason); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryResult<T> {
  value: T;
  attempts: AttemptInfo[];
}

/**
 * Send a request and hand the OK response to `consume` (which may read a stream), retrying the whole
 * exchange on retryable failures. `label` names the provider in messages.
 */
export async function requestWithRetry<T>(
  label: string,
  url: string,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: unknown },
  policy: HttpPolicy,
  consume: (res: Response, signal: AbortSignal) => Promise<T>,
): Promise<RetryResult<T>> {
  const attempts: AttemptInfo[] = [];
  for (let attempt = 1; ; attempt++) {
    const timeout = AbortSignal.timeout(policy.timeoutMs);
    const signal = AbortSignal.any([policy.signal, timeout]);
    let retryAfter: string | null = null;
    let failure: LlmHttpError;
    try {
      const res = await fetch(url, {
        method: init.method,
        headers: init.body === undefined ? init.headers : { 'content-type': 'application/json', ...init.headers },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal,
      });
      if (res.ok) {
        const value = await consume(res, signal);
        attempts.push({ attempt, status: res.status, error: '' });
        return { value, attempts };
      }
      retryAfter = res.headers.get('retry-after');
      const body = (await res.text().catch(() => '')).slice(0, 500);
      failure = new LlmHttpError(`${label} returned HTTP ${res.status}: ${body || res.statusText}`, res.status, RETRYABLE_STATUS(res.status));
    } catch (e) {
      if (policy.signal.aborted) throw new LlmHttpError(`${label} request cancelled`, null, false, attempts);
      if (timeout.aborted) {
        failure = new LlmHttpError(`${label} request timed out after ${policy.timeoutMs / 1000}s`, null, false);
      } else if (e instanceof LlmHttpError) {
        failure = e;
      } else {
        // fetch network errors (connection refused/reset, broken stream): transient
        failure = new LlmHttpError(`${label} request failed: ${e instanceof Error ? e.message : String(e)}`, null, true);
      }
    }
    const message = redact(failure.message, policy.secrets);
    attempts.push({ attempt, status: failure.status, error: message });
    if (!failure.retryable || attempt >= policy.maxAttempts) {
      const suffix = attempt > 1 ? ` (after ${attempt} attempts)` : '';
      throw new LlmHttpError(message + suffix, failure.status, failure.retryable, attempts);
    }
    try {
      await sleep(backoffMs(policy, attempt, retryAfter), policy.signal);
    } catch {
      throw new LlmHttpError(`${label} request cancelled`, null, false, attempts);
    }
  }
}

/** Lines of a streamed body (SSE or NDJSON), without trailing CR. */
export async function* readLines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      yield buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
    }
  }
  buf += decoder.decode();
  if (buf) yield buf.replace(/\r$/, '');
}

/** `data:` payloads of an SSE stream (event names are also inside the JSON for the protocols we speak). */
export async function* readSseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  for await (const line of readLines(body)) {
    if (line.startsWith('data:')) yield line.slice(5).trimStart();
  }
}
