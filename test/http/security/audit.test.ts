import { expect, test } from 'bun:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog, pickHeaders, redactQuery, tailAudit, type AuditEntry } from '../../../src/http/security/audit.ts';
import { tempDir } from './harness.ts';

const entry = (i: number): AuditEntry => ({
  ts: '2026-01-01T00:00:00.000000+00:00', request_id: `r${i}`, ip: '127.0.0.1', method: 'POST', path: '/api/gateway/commands',
  status: 200, duration_ms: 1, auth_required: true,
});

test('rotation by size keeps only the newest N rotated files', () => {
  const dir = tempDir();
  const log = new AuditLog(dir, { enabled: true, maxBytes: 300, rotations: 2, headers: [] });
  for (let i = 0; i < 30; i++) log.write(entry(i));
  const files = readdirSync(dir).sort();
  const rotated = files.filter((f) => /^audit_log\.\d{8}T\d{12}Z\.jsonl$/.test(f));
  expect(rotated).toHaveLength(2);
  expect(files).toContain('audit_log.jsonl');
  expect(files).toHaveLength(3);
});

test('tail: newest entries last, whole lines only, limit and byte window respected', async () => {
  const dir = tempDir();
  const log = new AuditLog(dir, { enabled: true, maxBytes: 0, rotations: 0, headers: [] });
  expect(await tailAudit(dir, 5)).toEqual({ ok: true, bytes: 0, truncated: false, content: '', entries: [] });
  for (let i = 0; i < 10; i++) log.write(entry(i));
  const all = await tailAudit(dir, 100);
  expect(all.truncated).toBe(false);
  expect(all.entries).toHaveLength(10);
  const last3 = await tailAudit(dir, 3);
  expect((last3.entries as AuditEntry[]).map((e) => e.request_id)).toEqual(['r7', 'r8', 'r9']);
  expect(last3.truncated).toBe(true);
  const lineBytes = Buffer.byteLength(JSON.stringify(entry(9)) + '\n');
  const window = await tailAudit(dir, 100, lineBytes * 2 + 5); // 2 whole lines + a cut one
  expect((window.entries as AuditEntry[]).map((e) => e.request_id)).toEqual(['r8', 'r9']);
  expect(window.bytes).toBe(lineBytes * 2);
  const exact = await tailAudit(dir, 100, lineBytes * 2); // the cut lands on a line boundary
  expect(exact.entries).toHaveLength(2);
});

test('query keys only; credential headers never copied even if allow-listed', () => {
  expect(redactQuery('?a=1&token=abc&a=2')).toBe('a=<redacted>&token=<redacted>&a=<redacted>');
  expect(redactQuery('')).toBeUndefined();
  expect(redactQuery('?' + Array.from({ length: 60 }, (_, i) => `k${i}=v`).join('&'))!.split('&')).toHaveLength(50);
  const h = new Headers({ authorization: 'Bearer x', cookie: 'c', 'x-client-id': 'obs' });
  expect(pickHeaders(h, ['authorization', 'cookie', 'x-client-id', 'x-missing'])).toEqual({ 'x-client-id': 'obs' });
});

test('a failing audit write never throws', () => {
  const log = new AuditLog(join('/proc', 'no-such-dir'), { enabled: true, maxBytes: 0, rotations: 0, headers: [] });
  const spy = console.error;
  let logged = '';
  console.error = (m: string) => { logged = m; };
  try { expect(() => log.write(entry(1))).not.toThrow(); } finally { console.error = spy; }
  expect(logged).toContain('audit log write failed');
});
