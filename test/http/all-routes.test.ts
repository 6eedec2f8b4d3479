// Every route of the real app (enumerated from the router): each /api/gateway route rejects a request without a
// token and with a wrong token; no response or log line leaks a token; and every write route survives a sweep of
// bad input without a 5xx, without crashing, and without changing the database when it rejects the request.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import type { GatewayApp } from '../../src/http/app.ts';
import { createHttpApp } from '../../src/serve.ts';
import type { SqliteStore } from '../../src/store/index.ts';
import { assertNoTokenLeak } from './security/leak.ts';
import { bundleZip } from './support.ts';
import { eventually } from '../support/clock.ts';

const TOKEN = 'all-routes-token-0123456789abcdef';
const OTHER = 'second-token-abcdefghijklmnop0123';
const AUTH = { authorization: `Bearer ${TOKEN}` };

let dir: string;
let gw: Gateway;
let app: GatewayApp;
let base: string;
let runId: string;
const seen: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ag-routes-'));
  mkdirSync(join(dir, 'flows'));
  writeFileSync(join(dir, 'flows', 'demo@0.0.1.flow'), bundleZip('demo'));
  const config = { ...loadConfig({}, { dataDir: dir, flowsDir: join(dir, 'flows') }), pollMs: 50 };
  // Lockout off for this sweep: it sends many unauthenticated requests on purpose (lockout has its own tests).
  gw = await createGateway(config, { env: { ABSTRACTGATEWAY_AUTH_TOKENS: `${TOKEN},${OTHER}`, ABSTRACTGATEWAY_LOCKOUT_AFTER: '1000' }, log: () => {} });
  app = createHttpApp(gw).app;
  app.listen({ port: 0, hostname: '127.0.0.1' });
  base = `http://127.0.0.1:${app.server!.port}`;
  const res = await fetch(`${base}/api/gateway/runs/start`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: '{"bundle_id":"demo"}' });
  runId = ((await res.json()) as { run_id: string }).run_id;
});
afterAll(async () => {
  await app.stop(true);
  await gw.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: RequestInit["body"]): Promise<Response> {
  const res = await fetch(`${base}${path}`, { method, headers, body, signal: AbortSignal.timeout(5000) });
  const text = path.endsWith('/stream') && res.status === 200 ? '' : await res.text();
  seen.push(text, JSON.stringify([...res.headers]));
  return res;
}

/** Concrete paths for the router's patterns (`:run_id` → a real run, other params → plausible values). */
function concrete(path: string): string {
  return path
    .replace(/:run_id|:runId/g, runId)
    .replace(/:bundle_id|:bundleId/g, 'demo')
    .replace(/:flow_id|:flowId/g, 'root')
    .replace(/:workflow_id|:workflowId/g, 'demo@0.0.1:root')
    .replace(/:[a-zA-Z_]+/g, 'x')
    .replace(/\*$/, 'x');
}

function gatewayRoutes(): { method: string; path: string }[] {
  const out = new Map<string, { method: string; path: string }>();
  for (const r of app.routes) {
    if (!r.path.startsWith('/api/gateway') || r.method === 'OPTIONS') continue;
    const method = r.method === 'ALL' ? 'GET' : r.method;
    out.set(`${method} ${r.path}`, { method, path: r.path });
  }
  return [...out.values()];
}

describe('every /api/gateway route requires a valid token', () => {
  test('the router has the core routes', () => {
    const paths = gatewayRoutes().map((r) => `${r.method} ${r.path}`);
    for (const p of ['GET /api/gateway/bundles', 'POST /api/gateway/runs/start', 'POST /api/gateway/commands', 'GET /api/gateway/runs/:run_id/ledger/stream']) {
      expect(paths.some((x) => x.replace(/:[a-zA-Z_]+/g, ':p') === p.replace(/:[a-zA-Z_]+/g, ':p'))).toBe(true);
    }
    expect(paths.length).toBeGreaterThan(20);
  });

  test('no token and a wrong token get 401 on every route; the right token passes auth', async () => {
    for (const r of gatewayRoutes()) {
      const path = concrete(r.path);
      const none = await call(r.method, path);
      expect(`${r.method} ${r.path} → ${none.status}`).toBe(`${r.method} ${r.path} → 401`);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      const wrong = await call(r.method, path, { authorization: 'Bearer not-the-token-000000000000000000' });
      expect(`${r.method} ${r.path} → ${wrong.status}`).toBe(`${r.method} ${r.path} → 401`);
      if (r.method === 'GET' && !path.endsWith('/stream')) {
        const ok = await call(r.method, path, AUTH);
        expect(`${r.method} ${r.path} → ${ok.status}`).not.toMatch(/→ (401|403|5\d\d)$/);
      }
    }
  });

  test('public routes stay public', async () => {
    expect((await call('GET', '/api/health')).status).toBe(200);
    expect((await call('GET', '/openapi.json')).status).toBe(200);
    expect((await call('GET', '/docs')).status).toBe(200);
    expect((await call('GET', '/api/gatewayX')).status).toBe(404);
  });
});

// ---- bad input sweep ------------------------------------------------------------------------------------

const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
const INVALID_UTF8 = new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]);
const BODIES: [string, RequestInit["body"], string][] = [
  ['malformed JSON', '{"command_id": ', 'application/json'],
  ['not an object', '[1,2,3]', 'application/json'],
  ['null', 'null', 'application/json'],
  ['wrong types', '{"command_id":123,"run_id":[],"type":{},"payload":"x","bundle_id":5,"flow_id":true,"input_data":7}', 'application/json'],
  ['huge strings', JSON.stringify({ command_id: 'x'.repeat(200_000), run_id: 'y'.repeat(200_000), type: 'pause', bundle_id: 'z'.repeat(200_000) }), 'application/json'],
  ['deeply nested', `{"payload":${deep(5000)},"input_data":{"a":${deep(5000)}}}`, 'application/json'],
  ['nested 100,000 deep (issue 12)', `{"payload":${deep(100_000)}}`, 'application/json'],
  ['invalid UTF-8', INVALID_UTF8, 'application/json'],
  ['unknown fields only', '{"zzz":1,"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}', 'application/json'],
  ['negative and enormous numbers', '{"limit":-1,"after":1e308,"repeat_count":-5,"preserve_recent":99999999999999999999,"runs":[{"run_id":"a","after":-3}]}', 'application/json'],
  ['form body', 'a=1&b=2', 'application/x-www-form-urlencoded'],
  ['empty body', '', 'application/json'],
];

function dbFingerprint(): string {
  const db = (gw.store as SqliteStore).db; // this gateway runs on SQLite
  const q = (sql: string) => JSON.stringify(db.query(sql).all());
  return [
    q('SELECT COUNT(*) AS n, MAX(updated_at) AS u FROM runs'),
    q('SELECT COUNT(*) AS n FROM ledger'),
    q('SELECT COUNT(*) AS n FROM commands'),
    q('SELECT COUNT(*) AS n FROM artifacts'),
    readdirSync(join(dir, 'flows')).sort().join(','),
  ].join('|');
}

describe('bad input on every write route', () => {
  test('never a 5xx, the server stays up, and rejected requests change nothing', async () => {
    const writes = gatewayRoutes().filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
    expect(writes.length).toBeGreaterThan(5);
    for (const r of writes) {
      for (const [name, body, type] of BODIES) {
        const before = dbFingerprint();
        const res = await call(r.method, concrete(r.path), { ...AUTH, 'content-type': type }, body);
        const label = `${r.method} ${r.path} with ${name} → ${res.status}`;
        expect(res.status < 500 ? 'not 5xx' : label).toBe('not 5xx');
        if (res.status >= 400) expect(dbFingerprint() === before ? 'unchanged' : label).toBe('unchanged');
        if (name.startsWith('nested 100,000')) expect(label).toEndWith('→ 400'); // json_too_deep at the edge, every route
      }
      for (const q of ['?limit=-1', '?limit=99999999999999999999', '?after=abc', '?reload=maybe', '?bundle_version=%00%ff']) {
        const res = await call(r.method, concrete(r.path) + q, AUTH);
        expect(res.status < 500 ? 'not 5xx' : `${r.method} ${r.path}${q} → ${res.status}`).toBe('not 5xx');
      }
    }
    expect((await call('GET', '/api/health')).status).toBe(200);
  }, 120_000);
});

describe('tokens never leak', () => {
  test('in any response seen by these tests, nor in the audit log', async () => {
    assertNoTokenLeak(seen.join('\n'), [TOKEN, OTHER]);
    // audit lines for handled requests are written just after the response
    const auditFile = join(dir, 'audit_log.jsonl');
    await eventually(() => existsSync(auditFile) && readFileSync(auditFile, 'utf8').length > 0, 10_000, 'audit lines');
    const audit = readFileSync(auditFile, 'utf8');
    assertNoTokenLeak(audit, [TOKEN, OTHER]);
  });
});
