import { afterAll, describe, expect, test } from 'bun:test';
import { AuthLockout, type LockoutConfig } from '../../../src/http/security/lockout.ts';
import { auth, policyFor, serve, tempDir, TOKEN, type Served } from './harness.ts';

const cfg: LockoutConfig = { after: 5, baseS: 1, maxS: 60, decayS: 900, maxEntries: 100 };

function clocked(over: Partial<LockoutConfig> = {}) {
  let now = 1_000_000;
  const lock = new AuthLockout({ ...cfg, ...over }, () => now);
  return { lock, advance: (ms: number) => { now += ms; } };
}

describe('AuthLockout', () => {
  test('the 5th failure locks 1 s, then 2, 4, 8 ... capped at 60 s', () => {
    const { lock } = clocked();
    const locks = Array.from({ length: 12 }, () => lock.recordFailure('1.2.3.4'));
    expect(locks).toEqual([0, 0, 0, 0, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  });

  test('a lock keeps sub-second precision and expires on time', () => {
    const { lock, advance } = clocked({ after: 1, baseS: 0.25 });
    expect(lock.recordFailure('ip')).toBe(250);
    advance(249);
    expect(lock.remainingMs('ip')).toBe(1);
    advance(1);
    expect(lock.remainingMs('ip')).toBe(0);
  });

  test('success resets the count; IPs are independent', () => {
    const { lock } = clocked({ after: 2 });
    lock.recordFailure('a');
    lock.recordSuccess('a');
    expect(lock.recordFailure('a')).toBe(0);
    expect(lock.recordFailure('b')).toBe(0);
    expect(lock.recordFailure('a')).toBe(1000);
  });

  test('failures decay after a quiet period, but never while locked', () => {
    const { lock, advance } = clocked({ after: 3, decayS: 10, maxS: 60, baseS: 30 });
    lock.recordFailure('ip'); lock.recordFailure('ip');
    advance(9_999);
    expect(lock.recordFailure('ip')).toBe(30_000); // still counted: 3rd failure locks
    advance(29_000);
    expect(lock.remainingMs('ip')).toBe(1_000);
    advance(10_999); // lock over for 9.999 s: still remembered
    expect(lock.remainingMs('ip')).toBe(0);
    expect(lock.size).toBe(1);
    advance(1); // 10 s after the lock ended
    expect(lock.recordFailure('ip')).toBe(0); // count restarted at 1
  });

  test('memory is bounded: least recently failing IPs are evicted first', () => {
    const { lock } = clocked({ after: 2, maxEntries: 3 });
    for (const ip of ['a', 'b', 'c']) lock.recordFailure(ip);
    lock.recordFailure('a'); // a is now the most recent (and locked)
    lock.recordFailure('d'); // evicts b
    expect(lock.size).toBe(3);
    expect(lock.recordFailure('b')).toBe(0); // b started over
    expect(lock.remainingMs('a')).toBe(1000);
  });
});

describe('lockout over HTTP', () => {
  const servers: Served[] = [];
  afterAll(() => servers.forEach((s) => s.stop()));

  test('backoff grows, applies even to a valid token, Retry-After rounds up, a success resets', async () => {
    const dir = tempDir();
    const s = serve(policyFor(dir, { ABSTRACTGATEWAY_LOCKOUT_AFTER: '2', ABSTRACTGATEWAY_LOCKOUT_BASE_S: '0.2', ABSTRACTGATEWAY_LOCKOUT_MAX_S: '0.8' }), dir);
    servers.push(s);
    const bad = () => fetch(s.base + '/api/gateway/runs', { headers: auth('wrong-wrong-wrong') });
    expect((await bad()).status).toBe(401);
    const locked = await bad(); // 2nd failure triggers a 0.2 s lock and already answers 429
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBe('1');
    expect(((await locked.json()) as { code: string }).code).toBe('auth_lockout');
    const good = await fetch(s.base + '/api/gateway/runs', { headers: auth() });
    expect(good.status).toBe(429); // locked means locked, token or not
    await Bun.sleep(250);
    const t0 = performance.now();
    expect((await bad()).status).toBe(429); // 3rd failure: 0.4 s
    await Bun.sleep(100);
    expect((await fetch(s.base + '/api/gateway/runs', { headers: auth() })).status).toBe(429);
    while ((await fetch(s.base + '/api/gateway/runs', { headers: auth() })).status === 429) await Bun.sleep(10);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(390);
    // the success above cleared the record: one failure is a plain 401 again
    expect((await bad()).status).toBe(401);
  });

  test('TRUST_PROXY keys the lockout on the first X-Forwarded-For entry', async () => {
    const dir = tempDir();
    const s = serve(policyFor(dir, { ABSTRACTGATEWAY_LOCKOUT_AFTER: '1', ABSTRACTGATEWAY_TRUST_PROXY: '1' }), dir);
    servers.push(s);
    const from = (ip: string, token = 'nope-nope-nope') => fetch(s.base + '/api/gateway/runs', { headers: { ...auth(token), 'x-forwarded-for': `${ip}, 10.0.0.1` } });
    expect((await from('198.51.100.7')).status).toBe(429);
    expect((await from('198.51.100.7', TOKEN)).status).toBe(429);
    expect((await from('198.51.100.8', TOKEN)).status).toBe(200);
  });
});
