// The server log: one line per HTTP request (method, path without the query, status, duration in ms, request id;
// never a header, token or query string) and one per run lifecycle event (started, waiting, resumed, completed,
// failed, cancelled; fed by store.notifier's observer after commit). Human-readable text on a terminal, JSON
// lines otherwise (or as `--log-format` says); `quiet` writes nothing. Lines go to stderr through the stream's
// own buffered writes: no sync fs on the request path.
import { Elysia } from 'elysia';
import type { AppendedRecord, Store } from '../../store/index.ts';
import { lifecycleEvents } from '../metrics/index.ts';

export type LogFormat = 'json' | 'text';

export interface ServerLogOptions {
  format: LogFormat;
  quiet?: boolean;
  /** Where lines go (default: process.stderr). Each call gets one line, newline included. */
  write?: (line: string) => void;
  /** Colour the text format (default: off). */
  color?: boolean;
  now?: () => Date;
}

/** `--log-format` (or ABSTRACTGATEWAY_LOG_FORMAT) → format; absent → text on a terminal, JSON otherwise. */
export function pickLogFormat(flag: string | undefined, isTTY: boolean): LogFormat {
  if (flag === 'json' || flag === 'text') return flag;
  return isTTY ? 'text' : 'json';
}

const MAX_ERRORS = 1000;

export class ServerLog {
  private readonly write: (line: string) => void;
  private readonly now: () => Date;
  /** Last step error per run, so the `failed` line can say why (cleared at the terminal record; bounded). */
  private readonly lastError = new Map<string, string>();

  constructor(readonly opts: ServerLogOptions) {
    this.write = opts.write ?? ((l) => void process.stderr.write(l));
    this.now = opts.now ?? (() => new Date());
  }

  get enabled(): boolean { return !this.opts.quiet; }

  request(f: { method: string; path: string; status: number; duration_ms: number; request_id: string | null }): void {
    if (this.opts.quiet) return;
    if (this.opts.format === 'json') return this.write(JSON.stringify({ ts: this.now().toISOString(), event: 'request', ...f }) + '\n');
    const st = this.opts.color ? paintStatus(f.status) : String(f.status);
    this.write(`${this.time()} ${f.method} ${f.path} ${st} ${f.duration_ms}ms${f.request_id ? ` req=${f.request_id}` : ''}\n`);
  }

  run(f: { run_id: string; event: string; node_id?: string; reason?: string; error?: string }): void {
    if (this.opts.quiet) return;
    if (this.opts.format === 'json') {
      const { event, ...rest } = f;
      return this.write(JSON.stringify({ ts: this.now().toISOString(), event: `run.${event}`, ...rest }) + '\n');
    }
    const extra = `${f.reason ? ` (${f.reason})` : ''}${f.node_id ? ` at ${f.node_id}` : ''}${f.error ? `: ${f.error}` : ''}`;
    this.write(`${this.time()} run ${f.run_id} ${f.event}${extra}\n`);
  }

  /** Feed from store.notifier (committed ledger appends). */
  onAppend(r: AppendedRecord): void {
    if (r.status === 'failed' && r.error) {
      if (this.lastError.size >= MAX_ERRORS) this.lastError.delete(this.lastError.keys().next().value!);
      this.lastError.set(r.run_id, r.error);
    }
    for (const e of lifecycleEvents(r)) {
      const terminal = e.event === 'completed' || e.event === 'failed' || e.event === 'cancelled';
      const error = e.event === 'failed' ? this.lastError.get(r.run_id) : undefined;
      if (terminal) this.lastError.delete(r.run_id);
      this.run({ run_id: r.run_id, event: e.event, node_id: r.node_id || undefined, reason: e.reason, ...(error ? { error } : {}) });
    }
  }

  /** Subscribes to a store's committed appends; returns the unsubscribe. */
  observe(store: Store): () => void {
    return store.notifier.observe({ append: (r) => this.onAppend(r) });
  }

  private time(): string {
    return this.now().toISOString().slice(11, 23);
  }
}

function paintStatus(status: number): string {
  const code = status >= 500 ? 31 : status >= 400 ? 33 : 32;
  return `\x1b[${code}m${status}\x1b[0m`;
}

/** The request half: an Elysia wrap (sees every response, including the security layer's onRequest refusals). */
export function requestLogPlugin(log: ServerLog) {
  const done = (request: Request, t0: number, res: unknown) => {
    if (!(res instanceof Response)) return;
    const url = request.url;
    const start = url.indexOf('/', url.indexOf('//') + 2);
    const q = url.indexOf('?', start);
    log.request({
      method: request.method,
      path: start < 0 ? '/' : url.slice(start, q < 0 ? undefined : q), // never the query (it may carry secrets)
      status: res.status,
      duration_ms: Math.round((performance.now() - t0) * 10) / 10,
      request_id: res.headers.get('x-request-id'),
    });
  };
  return new Elysia({ name: 'request-log' }).wrap((fn: any) => (request: Request) => {
    if (!log.enabled) return fn(request);
    const t0 = performance.now();
    const out = fn(request);
    if (out instanceof Promise) return out.then((res: unknown) => (done(request, t0, res), res));
    done(request, t0, out);
    return out;
  });
}
