import { expect, test } from 'bun:test';
import { clientIp, isLoopback } from '../../../src/http/security/client.ts';

const req = (headers: Record<string, string> = {}) => new Request('http://127.0.0.1/api/gateway/runs', { headers });

test('loopback addresses', () => {
  for (const ip of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(isLoopback(ip)).toBe(true);
  for (const ip of ['10.0.0.1', '0.0.0.0', '::', 'unknown', '128.0.0.1', '127.0.0.1.evil']) expect(isLoopback(ip)).toBe(false);
});

test('X-Forwarded-For is used only when the proxy is trusted; IPv4-mapped IPv6 is unwrapped', () => {
  const r = req({ 'x-forwarded-for': ' ::ffff:203.0.113.5 , 10.0.0.1' });
  expect(clientIp(r, null, true)).toBe('203.0.113.5');
  expect(clientIp(r, null, false)).toBe('unknown');
  expect(clientIp(req(), null, true)).toBe('unknown');
});

test('the socket peer comes from the server (real Bun server)', async () => {
  let seen = '';
  const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch(r, srv) { seen = clientIp(r, srv, false); return new Response('ok'); } });
  try {
    await (await fetch(`http://127.0.0.1:${server.port}/`, { headers: { 'x-forwarded-for': '1.2.3.4' } })).text();
    expect(seen).toBe('127.0.0.1');
  } finally { await server.stop(true); }
});
