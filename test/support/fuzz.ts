// The HTTP fuzzer (issue 12 §7), shared by `npm test` (test/http/fuzz.test.ts, bounded) and `npm run fuzz`
// (scripts/fuzz.ts, full). Deterministic: every request is derived from a seeded PRNG and the routes of the
// server's own /openapi.json, so a failure is replayed by its seed and request number.
//
// Each request takes one route and one mutation (malformed JSON, wrong types, huge and deeply nested values,
// invalid UTF-8, odd headers and methods, huge headers, wrong content types, hostile path/query values, raw
// HTTP framing over a socket). Requests are sequential so "the database is unchanged by a rejected request" can
// be checked exactly after each one (`fingerprint`); a probe pings /api/health throughout to catch stalls.
// Invariants, each a finding: no 5xx, no request without an answer within `timeoutMs` (except raw framing the
// server may close), no rejected request that changed the database, /api/health always answering in < 1 s.
import { connect } from 'node:net';

/** mulberry32: small, fast, good enough to drive a fuzzer; the same seed gives the same stream. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = unknown;
interface Schema { type?: string | string[]; properties?: Record<string, Schema>; items?: Schema; enum?: unknown[]; anyOf?: Schema[] }
interface Param { name: string; in: 'path' | 'query' | 'header'; schema?: Schema }
export interface Operation { method: string; path: string; params: Param[]; body: Schema | null; contentTypes: string[] }

/** Every operation of an OpenAPI document (the server's own /openapi.json). */
export function operations(doc: { paths: Record<string, Record<string, { parameters?: Param[]; requestBody?: { content?: Record<string, { schema?: Schema }> } }>> }): Operation[] {
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const content = op.requestBody?.content ?? {};
      const body = content['application/json']?.schema ?? content['multipart/form-data']?.schema ?? null;
      out.push({ method: method.toUpperCase(), path, params: op.parameters ?? [], body, contentTypes: Object.keys(content) });
    }
  }
  return out;
}

export interface FuzzTarget {
  base: string;
  port: number;
  token: string;
  /** Known-good ids so mutations reach past "not found": a run, a bundle, a flow, a command. */
  ids: { run_id: string; bundle_id: string; flow_id: string; workflow_id: string; command_id: string };
  /** Changes whenever the database (or the flows directory) changes. */
  fingerprint(): string;
}

export interface FuzzOptions {
  requests: number;
  seed: number;
  timeoutMs?: number;
  onProgress?: (done: number) => void;
  /** Called for request number `n` when it is in this set (replaying a finding: `--trace 1093`). */
  trace?: { only: Set<number>; log: (line: string) => void };
}

export interface Finding { n: number; kind: string; route: string; mutation: string; status: number | string; detail: string }

export interface FuzzReport {
  seed: number;
  requests: number;
  durationMs: number;
  routes: number;
  /** mutation → { status class → count } */
  byMutation: Record<string, Record<string, number>>;
  statuses: Record<string, number>;
  healthWorstMs: number;
  /** The request in flight when the slowest probe was sent (to replay it with --trace). */
  healthWorstAt: number;
  healthProbes: number;
  /** The slowest requests (ms), for the report. */
  slowest: { n: number; ms: number; route: string; mutation: string; status: number | string }[];
  findings: Finding[];
}

const enc = new TextEncoder();
const MUTATIONS = [
  'malformed_json', 'wrong_types', 'huge_values', 'deep_nesting', 'invalid_utf8', 'odd_headers', 'huge_headers',
  'odd_method', 'wrong_content_type', 'hostile_path', 'hostile_query', 'valid_ish', 'raw_framing',
] as const;
type Mutation = (typeof MUTATIONS)[number];

interface Built { method: string; path: string; headers: Record<string, string>; body?: Uint8Array | string; raw?: Uint8Array }

class Gen {
  constructor(private readonly r: () => number, private readonly t: FuzzTarget) {}
  int(n: number): number { return Math.floor(this.r() * n); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  chance(p: number): boolean { return this.r() < p; }

  str(max = 24): string {
    const alphabets = ['abcdefghijklmnopqrstuvwxyz0123456789_-', '../\\%:@?#&=+ \t', 'éü€😀\u202e\u0000\u0001\uffff', '\'"`<>{}[]$'];
    let s = '';
    const n = this.int(max + 1);
    const a = Array.from(this.pick(alphabets) + alphabets[0]); // code points: no lone surrogates
    for (let i = 0; i < n; i++) s += a[this.int(a.length)];
    return s;
  }

  scalar(): Json {
    return this.pick<() => Json>([
      () => this.str(), () => this.int(1000) - 500, () => this.r() * 1e6, () => this.chance(0.5), () => null,
      () => -1, () => 0, () => 1e308, () => -1e308, () => Number.MAX_SAFE_INTEGER + 2, () => '', () => ' ',
      () => 'NaN', () => '1e999', () => '__proto__', () => '../../etc/passwd', () => '\u0000', () => this.t.ids.run_id,
    ])();
  }

  wrongValue(schema: Schema | undefined): Json {
    const t = schema?.type;
    const types = Array.isArray(t) ? t : t ? [t] : [];
    const candidates: (() => Json)[] = [
      () => this.str(), () => this.int(10) - 5, () => this.chance(0.5), () => null, () => [], () => ({}), () => [this.scalar()],
      () => ({ [this.str(8)]: this.scalar() }),
    ];
    // prefer a type the schema does not allow
    for (let i = 0; i < 4; i++) {
      const v = this.pick(candidates)();
      const kind = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v;
      if (!types.includes(kind) && !(kind === 'integer' && types.includes('number'))) return v;
    }
    return this.pick(candidates)();
  }

  validValue(schema: Schema | undefined, depth = 0): Json {
    if (!schema || depth > 4) return this.scalar();
    if (schema.enum?.length) return this.pick(schema.enum);
    if (schema.anyOf?.length) return this.validValue(this.pick(schema.anyOf), depth + 1);
    const t = Array.isArray(schema.type) ? this.pick(schema.type) : schema.type;
    switch (t) {
      case 'string': return this.chance(0.5) ? this.pick(Object.values(this.t.ids)) : this.str();
      case 'integer': return this.int(200) - 20;
      case 'number': return this.r() * 100;
      case 'boolean': return this.chance(0.5);
      case 'null': return null;
      case 'array': return Array.from({ length: this.int(4) }, () => this.validValue(schema.items, depth + 1));
      case 'object': return this.object(schema, depth + 1, (s) => this.validValue(s, depth + 1));
      default: return this.scalar();
    }
  }

  object(schema: Schema | null | undefined, depth: number, value: (s: Schema | undefined) => Json): Record<string, Json> {
    const out: Record<string, Json> = {};
    for (const [k, s] of Object.entries(schema?.properties ?? {})) if (this.chance(0.7)) out[k] = value(s);
    if (this.chance(0.2)) out[this.pick(['__proto__', 'constructor', this.str(10)])] = value(undefined);
    return out;
  }

  deep(depth: number): string {
    const open = this.chance(0.5) ? '[' : '{"a":';
    const close = open === '[' ? ']' : '}';
    return open.repeat(depth) + (this.chance(0.5) ? '1' : '') + close.repeat(depth);
  }

  huge(): Json {
    return this.pick<() => Json>([
      () => 'x'.repeat(50_000 + this.int(250_000)),
      () => Array.from({ length: 10_000 + this.int(40_000) }, (_, i) => i),
      () => Object.fromEntries(Array.from({ length: 5000 + this.int(10_000) }, (_, i) => [`k${i}`, i])),
      () => '9'.repeat(5000),
      () => Array.from({ length: 2000 }, () => ({ run_id: this.t.ids.run_id, after: this.int(1e9) })),
    ])();
  }

  fillPath(op: Operation, hostile: boolean): string {
    return op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
      if (hostile) {
        return this.pick([
          '..', '..%2F..%2Fetc%2Fpasswd', '%00', '%ff%fe', 'x'.repeat(5000 + this.int(20_000)), '%E2%80%AE', encodeURIComponent(this.str(40)),
          '%2e%2e', 'a%2Fb', ' ', '%20%20', encodeURIComponent('😀'.repeat(200)), '-1', '1e999', 'null', 'undefined',
        ]);
      }
      const known = (this.t.ids as Record<string, string>)[name];
      return encodeURIComponent(known && this.chance(0.8) ? known : this.str(12) || 'x');
    });
  }

  query(op: Operation, hostile: boolean): string {
    const qs = op.params.filter((p) => p.in === 'query');
    if (!qs.length && !hostile) return '';
    const parts: string[] = [];
    for (const p of qs) {
      if (!this.chance(hostile ? 0.8 : 0.4)) continue;
      const v = hostile
        ? this.pick(['-1', '99999999999999999999', 'abc', '', '%00', '%ff', 'x'.repeat(10_000), '1e999', 'NaN', 'true&' + p.name + '=false', '[]', '{}'])
        : String(this.validValue(p.schema) ?? '');
      parts.push(`${encodeURIComponent(p.name)}=${hostile ? v : encodeURIComponent(v)}`);
    }
    if (hostile && this.chance(0.3)) parts.push(`${this.str(8)}[${this.str(4)}][x]=1`, '__proto__[polluted]=1');
    return parts.length ? `?${parts.join('&')}` : '';
  }

  build(op: Operation, mutation: Mutation): Built {
    const auth = { authorization: `Bearer ${this.t.token}` };
    const json = { ...auth, 'content-type': 'application/json' };
    const path = () => this.fillPath(op, false) + this.query(op, false);
    const body = () => JSON.stringify(this.object(op.body, 0, (s) => this.validValue(s)));
    const method = op.method;
    switch (mutation) {
      case 'malformed_json': {
        const good = body();
        const bad = this.pick([
          good.slice(0, Math.max(1, this.int(good.length))), '{"a":', '{,}', '[1,2', '{"a":1}}', "{'a':1}", '{"a":NaN}', '{"a":01}',
          '{"a":"\\u00"}', '\u0000', '{"a":1,"a":2}', good + 'garbage', '{"__proto__":{"x":1}}', 'true', '"str"', '1e999999',
        ]);
        return { method, path: path(), headers: json, body: bad };
      }
      case 'wrong_types':
        return { method, path: path(), headers: json, body: JSON.stringify(this.object(op.body, 0, (s) => this.wrongValue(s))) };
      case 'huge_values': {
        const obj = this.object(op.body, 0, (s) => this.validValue(s));
        const keys = Object.keys(op.body?.properties ?? {});
        obj[keys.length ? this.pick(keys) : 'payload'] = this.huge();
        return { method, path: path(), headers: json, body: JSON.stringify(obj) };
      }
      case 'deep_nesting': {
        const keys = Object.keys(op.body?.properties ?? {});
        const depth = this.pick([10, 40, 63, 64, 65, 100, 1000, 10_000, 100_000]);
        const text = `{"${keys.length ? this.pick(keys) : 'payload'}":${this.deep(depth)}}`;
        return { method, path: path(), headers: json, body: text };
      }
      case 'invalid_utf8': {
        const prefix = enc.encode(`{"${Object.keys(op.body?.properties ?? { a: 1 })[0] ?? 'a'}":"`);
        const junk = this.pick([[0xff, 0xfe], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x80]]);
        const bytes = new Uint8Array([...prefix, ...junk, 0x22, 0x7d]);
        return { method, path: path(), headers: json, body: bytes };
      }
      case 'odd_headers': {
        const h: Record<string, string> = { ...json };
        const pick = this.int(8);
        if (pick === 0) h.authorization = `bearer   ${this.t.token}  `;
        if (pick === 1) h['content-type'] = this.pick(['application/json; charset=utf-16', 'application/json;;;', 'APPLICATION/JSON', 'application/json, text/plain', '*/*', ';', 'multipart/form-data']);
        if (pick === 2) h['x-request-id'] = this.pick(['', ' ', '../../x', 'a'.repeat(500), '\u00e9']);
        if (pick === 3) h['last-event-id'] = this.pick(['-1', 'abc', '1e999', '99999999999999999999']);
        if (pick === 4) h.origin = this.pick(['null', 'http://evil.test', 'file://', '']);
        if (pick === 5) h['x-forwarded-for'] = this.pick(['1.2.3.4, 5.6.7.8', 'not-an-ip', '::1']);
        if (pick === 6) h['content-encoding'] = this.pick(['gzip', 'br', 'deflate', 'identity, gzip']);
        if (pick === 7) h.accept = this.pick(['text/event-stream', 'application/xml', '*/*;q=0']);
        return { method, path: path(), headers: h, body: method === 'GET' || method === 'HEAD' ? undefined : body() };
      }
      case 'huge_headers': {
        const h: Record<string, string> = { ...json };
        if (this.chance(0.5)) h['x-big'] = 'h'.repeat(4000 + this.int(60_000));
        else for (let i = 0; i < 100 + this.int(200); i++) h[`x-h${i}`] = this.str(40).replace(/[^\x20-\x7e]/g, 'x') || 'v';
        return { method, path: path(), headers: h, body: method === 'GET' || method === 'HEAD' ? undefined : body() };
      }
      case 'odd_method': {
        const m = this.pick(['PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'POST', 'GET', 'PROPFIND', 'TRACE', 'M-SEARCH']);
        return { method: m, path: path(), headers: json, body: m === 'GET' || m === 'HEAD' ? undefined : body() };
      }
      case 'wrong_content_type': {
        const ct = this.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/xml', 'image/png', '']);
        const b = this.pick([body(), 'a=1&b=2&b=3&c[d]=4', '--x\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc\r\n--x--\r\n', '\u0000\u0001\u0002']);
        const h: Record<string, string> = { ...auth };
        if (ct) h['content-type'] = ct;
        return { method, path: path(), headers: h, body: method === 'GET' || method === 'HEAD' ? undefined : b };
      }
      case 'hostile_path':
        return { method, path: this.fillPath(op, true) + this.query(op, false), headers: json, body: method === 'GET' || method === 'HEAD' ? undefined : body() };
      case 'hostile_query':
        return { method, path: this.fillPath(op, false) + this.query(op, true), headers: json, body: method === 'GET' || method === 'HEAD' ? undefined : body() };
      case 'valid_ish':
        return { method, path: path(), headers: json, body: method === 'GET' || method === 'HEAD' ? undefined : body() };
      case 'raw_framing': {
        const target = this.fillPath(op, false);
        const b = method === 'GET' ? '' : body();
        const head = this.pick([
          `${method} ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${this.t.token}\r\nContent-Length: ${b.length}\r\nContent-Length: ${b.length + 5}\r\n\r\n${b}`,
          `${method} ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${this.t.token}\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nzz\r\n${b}\r\n0\r\n\r\n`,
          `${method} ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${this.t.token}\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n${b}\r\n0\r\n\r\n`,
          `${method.toLowerCase()} ${target} HTTP/1.1\r\nHost: x\r\n\r\n`,
          `${method} http://evil.test${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${this.t.token}\r\n\r\n`,
          `${method} ${target}\u00ff\u00fe HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${this.t.token}\r\n\r\n`,
          `${method} ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${this.t.token}\r\nX-Bad: \u00ff\u00c3\u0028\r\nContent-Type: application/json\r\nContent-Length: ${b.length}\r\n\r\n${b}`,
          `${method} ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${this.t.token}\r\n Folded: header\r\n\r\n`,
          `${method} ${target} HTTP/9.9\r\nHost: x\r\n\r\n`,
          `${method} ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${this.t.token}\r\nContent-Length: -1\r\n\r\n`,
          `${method} ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${this.t.token}\r\nContent-Type: application/json\r\nContent-Length: ${b.length}\r\n\r\n${b}GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n`,
        ]);
        return { method, path: target, headers: {}, raw: Uint8Array.from(head, (c) => c.charCodeAt(0) & 0xff) };
      }
    }
  }
}

/**
 * fetch() will not send a body with GET/HEAD (or with a header it cannot encode); HTTP allows both, so such a
 * request goes out over a raw socket instead, byte for byte.
 */
function withRawBody(req: Built): Built {
  const needsRaw = (req.body !== undefined && (req.method === 'GET' || req.method === 'HEAD'))
    || !['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].includes(req.method)
    || Object.values(req.headers).some((v) => /[^\t\x20-\x7e]/.test(v));
  if (!needsRaw || req.raw) return req;
  const body = typeof req.body === 'string' ? enc.encode(req.body) : req.body ?? new Uint8Array();
  const head = `${req.method} ${req.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`
    + Object.entries(req.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('') + `Content-Length: ${body.length}\r\n\r\n`;
  const headBytes = Uint8Array.from(head, (c) => c.charCodeAt(0) & 0xff);
  const raw = new Uint8Array(headBytes.length + body.length);
  raw.set(headBytes);
  raw.set(body, headBytes.length);
  return { ...req, raw };
}

/** One raw exchange: the status of the first response, 'closed' when the server closed without one. */
function rawExchange(port: number, bytes: Uint8Array, timeoutMs: number): Promise<number | 'closed' | 'timeout'> {
  return new Promise((resolve) => {
    let buf = '';
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(bytes)); // no FIN: a half-close reads as "client gone"
    const done = (v: number | 'closed' | 'timeout') => { clearTimeout(timer); socket.destroy(); resolve(v); };
    const timer = setTimeout(() => done(buf.startsWith('HTTP/') ? Number(buf.slice(9, 12)) : 'timeout'), timeoutMs);
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(buf);
      if (m && buf.includes('\r\n\r\n')) done(Number(m[1]));
    });
    socket.on('close', () => done(buf.startsWith('HTTP/') ? Number(buf.slice(9, 12)) : 'closed'));
    socket.on('error', () => done('closed'));
  });
}

/** Status classes of the table; Bun's own 505 to a raw `HTTP/9.9` request line is its own column. */
const statusClass = (s: number | string, raw: boolean): string => (raw && s === 505 ? '505_version' : typeof s === 'number' ? `${Math.floor(s / 100)}xx` : s);

/** Runs the campaign against a live gateway; never throws for a finding (they are in the report). */
export async function fuzz(target: FuzzTarget, opts: FuzzOptions): Promise<FuzzReport> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const doc = await (await fetch(`${target.base}/openapi.json`)).json() as Parameters<typeof operations>[0];
  const ops = operations(doc);
  const gen = new Gen(prng(opts.seed), target);
  const report: FuzzReport = {
    seed: opts.seed, requests: 0, durationMs: 0, routes: ops.length, byMutation: {}, statuses: {}, healthWorstMs: 0, healthWorstAt: -1, healthProbes: 0, slowest: [], findings: [],
  };

  let probing = true;
  const probe = (async () => {
    while (probing) {
      const t = performance.now();
      const at = report.requests;
      let ok = false;
      try { ok = (await fetch(`${target.base}/api/health`, { signal: AbortSignal.timeout(5000) })).status === 200; } catch { ok = false; }
      const ms = ok ? performance.now() - t : Infinity;
      report.healthProbes++;
      if (ms > report.healthWorstMs) { report.healthWorstMs = ms; report.healthWorstAt = at; }
      if (ms > 1000) report.findings.push({ n: report.requests, kind: 'stall', route: '/api/health', mutation: '-', status: ok ? 200 : 'timeout', detail: `health answered after ${ms.toFixed(0)} ms` });
      await Bun.sleep(20);
    }
  })();

  const start = performance.now();
  for (let n = 0; n < opts.requests; n++) {
    const op = gen.pick(ops);
    const mutation = gen.pick(MUTATIONS);
    const req = withRawBody(gen.build(op, mutation));
    const route = `${op.method} ${op.path}`;
    const before = target.fingerprint();
    const t0 = performance.now();
    let status: number | string;
    if (req.raw) {
      status = await rawExchange(target.port, req.raw, timeoutMs);
    } else {
      try {
        const res = await fetch(target.base + req.path, { method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
        status = res.status;
        if (res.headers.get('content-type')?.startsWith('text/event-stream')) await res.body?.cancel();
        else await res.arrayBuffer();
      } catch (e) {
        const name = e instanceof Error ? e.name : '';
        status = name === 'TimeoutError' ? 'timeout' : 'client_error';
        // the client refusing to send (e.g. a header value it will not encode) is not the server's fault
        if (status === 'client_error' && !/ECONNRESET|socket|closed/i.test(String(e))) status = 'not_sent';
      }
    }
    const ms = performance.now() - t0;
    if (opts.trace?.only.has(n)) {
      const body = req.raw ? new TextDecoder().decode(req.raw) : typeof req.body === 'string' ? req.body : req.body ? `<${req.body.length} bytes>` : '';
      opts.trace.log(`#${n} ${mutation} ${req.method} ${req.path} ${JSON.stringify(req.headers)} → ${status}\n${body.slice(0, 2000)}`);
    }
    report.requests++;
    if (report.slowest.length < 5 || ms > report.slowest[report.slowest.length - 1]!.ms) {
      report.slowest.push({ n, ms, route, mutation, status });
      report.slowest.sort((a, b) => b.ms - a.ms);
      report.slowest.length = Math.min(report.slowest.length, 5);
    }
    if (status === 'closed' && req.raw && mutation !== 'raw_framing') finding0('closed', 'the server closed the connection without an answer');
    report.statuses[String(status)] = (report.statuses[String(status)] ?? 0) + 1;
    const m = (report.byMutation[mutation] ??= {});
    const cls = statusClass(status, !!req.raw);
    m[cls] = (m[cls] ?? 0) + 1;
    function finding0(kind: string, detail: string) { report.findings.push({ n, kind, route, mutation, status, detail: `${req.method} ${req.path.slice(0, 120)}: ${detail}` }); }
    const finding = (kind: string, detail: string) => report.findings.push({ n, kind, route, mutation, status, detail: `${req.method} ${req.path.slice(0, 120)}: ${detail}` });
    // 505 is Bun's own answer to an HTTP version it does not speak (the raw `HTTP/9.9` case): correct, not a fault.
    if (typeof status === 'number' && status >= 500 && !(req.raw && status === 505)) finding('5xx', `answered ${status}`);
    if (status === 'timeout') finding('stall', `no answer within ${timeoutMs} ms`);
    if (status === 'client_error' && !req.raw) finding('reset', 'connection reset without an answer');
    if (typeof status === 'number' && status >= 400 && target.fingerprint() !== before) finding('db_changed', `rejected with ${status} but the database changed`);
    opts.onProgress?.(report.requests);
  }
  report.durationMs = performance.now() - start;
  probing = false;
  await probe;
  return report;
}

/** The summary table printed by `npm run fuzz` (and on failure by the test). */
export function formatReport(r: FuzzReport): string {
  const classes = ['2xx', '3xx', '4xx', '5xx', '505_version', 'closed', 'timeout', 'not_sent', 'client_error'];
  const used = classes.filter((c) => Object.values(r.byMutation).some((m) => m[c]));
  const rows = Object.entries(r.byMutation).sort(([a], [b]) => a.localeCompare(b));
  const w = Math.max(...rows.map(([k]) => k.length), 8);
  const line = (name: string, cells: (string | number)[]) => name.padEnd(w) + cells.map((c) => String(c).padStart(12)).join('');
  const out = [
    `fuzz: ${r.requests} requests over ${r.routes} operations, seed ${r.seed}, ${(r.durationMs / 1000).toFixed(1)} s (${(r.requests / (r.durationMs / 1000)).toFixed(0)} req/s)`,
    line('mutation', used),
    ...rows.map(([k, m]) => line(k, used.map((c) => m[c] ?? 0))),
    line('total', used.map((c) => rows.reduce((n, [, m]) => n + (m[c] ?? 0), 0))),
    `/api/health during the run: ${r.healthProbes} probes, slowest ${r.healthWorstMs.toFixed(1)} ms (sent during request #${r.healthWorstAt})`,
    `slowest requests: ${r.slowest.map((s) => `#${s.n} ${s.route} [${s.mutation}] ${s.status} ${s.ms.toFixed(0)} ms`).join('; ')}`,
    `findings: ${r.findings.length}`,
    ...r.findings.slice(0, 30).map((f) => `  #${f.n} ${f.kind} ${f.route} [${f.mutation}] → ${f.status}: ${f.detail}`),
  ];
  return out.join('\n');
}
