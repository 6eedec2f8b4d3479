// The server log over a real app and store: one line per request (never the query or a token; security
// refusals included) and one per run lifecycle event, JSON lines or text; quiet writes nothing.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createApp } from '../../src/http/app.ts';
import { pickLogFormat, ServerLog } from '../../src/http/logging/index.ts';
import { loadSecurityPolicy } from '../../src/http/security/index.ts';
import { startGateway, waitFor, type TestGateway } from './support.ts';

const TOKEN = 'logging-token-0123456789abcdef';
let gw: TestGateway;
beforeAll(async () => { gw = await startGateway({ runner: true }); });
afterAll(() => gw.close());

function capture(format: 'json' | 'text', quiet = false) {
  const lines: string[] = [];
  const log = new ServerLog({ format, quiet, write: (l) => lines.push(l), now: () => new Date('2026-01-02T03:04:05.678Z') });
  const app = createApp({
    store: gw.store, registry: gw.registry, runtime: gw.runtime, config: gw.config, log,
    security: loadSecurityPolicy({ ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN }, { dataDir: gw.dataDir }),
  });
  return { lines, log, app };
}

describe('request lines', () => {
  test('JSON: method, path without query, status, duration, request id; refusals too; never the token', async () => {
    const { lines, app } = capture('json');
    await app.handle(new Request('http://local/api/health'));
    await app.handle(new Request(`http://local/api/gateway/runs?limit=5&token=${TOKEN}`, { headers: { authorization: `Bearer ${TOKEN}`, 'x-request-id': 'req-abc-123' } }));
    await app.handle(new Request('http://local/api/gateway/runs')); // 401 from the security layer
    expect(lines).toHaveLength(3);
    const [health, list, denied] = lines.map((l) => JSON.parse(l));
    expect(health).toMatchObject({ ts: '2026-01-02T03:04:05.678Z', event: 'request', method: 'GET', path: '/api/health', status: 200 });
    expect(list).toMatchObject({ path: '/api/gateway/runs', status: 200, request_id: 'req-abc-123' });
    expect(typeof list.duration_ms).toBe('number');
    expect(denied).toMatchObject({ path: '/api/gateway/runs', status: 401 });
    expect(lines.join('')).not.toContain(TOKEN);
    expect(lines.join('')).not.toContain('limit=5');
    for (const l of lines) expect(l.endsWith('\n') && l.indexOf('\n') === l.length - 1).toBe(true);
  });

  test('text: one readable line; quiet: none', async () => {
    const t = capture('text');
    await t.app.handle(new Request('http://local/api/health', { headers: { 'x-request-id': 'req-1234567' } }));
    expect(t.lines).toHaveLength(1);
    expect(t.lines[0]).toMatch(/^03:04:05\.678 GET \/api\/health 200 [\d.]+ms req=req-1234567\n$/);
    const q = capture('json', true);
    await q.app.handle(new Request('http://local/api/health'));
    expect(q.lines).toEqual([]);
  });

  test('format: flag wins, else text on a terminal and JSON otherwise', () => {
    expect(pickLogFormat('json', true)).toBe('json');
    expect(pickLogFormat('text', false)).toBe('text');
    expect(pickLogFormat(undefined, true)).toBe('text');
    expect(pickLogFormat(undefined, false)).toBe('json');
  });
});

describe('run lifecycle lines', () => {
  test('started, waiting (reason), resumed, completed, from committed ledger appends', async () => {
    const { lines, log } = capture('json');
    const stop = log.observe(gw.store);
    try {
      const run = await gw.runtime.start('ask@0.0.1:root', {});
      await waitFor(async () => (await gw.store.runs.get(run.run_id))!.status, (s) => s === 'waiting');
      const key = (await gw.store.runs.get(run.run_id))!.waiting!.wait_key;
      await gw.store.commands.append({ command_id: crypto.randomUUID(), run_id: run.run_id, type: 'resume', payload: { wait_key: key, payload: { response: 'me' } }, client_id: 't' });
      await waitFor(async () => (await gw.store.runs.get(run.run_id))!.status, (s) => s === 'completed');
      const events = lines.map((l) => JSON.parse(l)).filter((e) => e.run_id === run.run_id);
      expect(events.map((e) => e.event)).toEqual(['run.started', 'run.waiting', 'run.resumed', 'run.completed']);
      expect(events[1]).toMatchObject({ reason: 'user' });
      await gw.runtime.cancel((await gw.runtime.start('ask@0.0.1:root', {})).run_id, 'test');
      expect(lines.map((l) => JSON.parse(l).event)).toContain('run.cancelled');
    } finally {
      stop();
    }
  });

  test('failed names the error of the failing step (text)', () => {
    const { lines, log } = capture('text');
    log.onAppend({ run_id: 'r1', seq: 3, status: 'failed', node_id: 'llm', effect_type: 'llm_call', idempotency_key: null, error: 'no provider', wait_reason: null });
    log.onAppend({ run_id: 'r1', seq: 4, status: 'completed', node_id: 'llm', effect_type: 'emit_event', idempotency_key: 'system:terminal_status:failed', error: null, wait_reason: null });
    expect(lines).toEqual(['03:04:05.678 run r1 failed at llm: no provider\n']);
  });
});
