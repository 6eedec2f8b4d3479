// The stream pool's fairness policy (limits.ts StreamPool) with an injected clock: who is replaced when the pool
// is full or one address is over its share. The live socket behaviour is in test/http/hostile.test.ts.
import { expect, test } from 'bun:test';
import { StreamPool, type StreamGrant } from '../../../src/http/security/limits.ts';

function harness(size: number, perClient = 0) {
  let now = 1000;
  const pool = new StreamPool(size, perClient, () => now);
  const evicted: string[] = [];
  const open = (name: string, ip: string, stalledSince: number | null = null, attach = true): StreamGrant | null => {
    now += 10;
    const g = pool.acquire(ip);
    if (g && attach) g.attach({ stalledSince: () => stalledSince, evict: () => evicted.push(name) });
    return g;
  };
  return { pool, evicted, open };
}

test('full pool: the stream stalled longest on a full socket buffer is replaced first, whatever its address', () => {
  const { pool, evicted, open } = harness(3);
  open('a', '10.0.0.1');
  open('b', '10.0.0.2', 5000);
  open('c', '10.0.0.1', 4000);
  expect(open('d', '10.0.0.3')).not.toBeNull();
  expect(evicted).toEqual(['c']);
  expect(pool.used).toBe(3);
});

test('full pool, nobody stalled: the oldest stream of the address holding the most is replaced', () => {
  const { evicted, open } = harness(4);
  open('x1', '10.0.0.9');
  open('a1', '10.0.0.1');
  open('a2', '10.0.0.1');
  open('a3', '10.0.0.1');
  expect(open('new', '10.0.0.2')).not.toBeNull();
  expect(evicted).toEqual(['a1']); // x1 is older but its address holds only one stream
});

test('per-client share: an address over its share replaces its own oldest stream, never another address’s', () => {
  const { evicted, open } = harness(10, 2);
  open('other', '10.0.0.9');
  open('m1', '10.0.0.1');
  open('m2', '10.0.0.1');
  open('m3', '10.0.0.1');
  expect(evicted).toEqual(['m1']);
});

test('streams still being set up (not attached) are never replaced: then the caller answers 429; release frees', () => {
  const { pool, evicted, open } = harness(2);
  const a = open('a', '10.0.0.1', null, false)!;
  open('b', '10.0.0.1', null, false);
  expect(open('c', '10.0.0.2')).toBeNull();
  expect(evicted).toEqual([]);
  a.release();
  a.release(); // idempotent
  expect(pool.used).toBe(1);
  expect(open('c', '10.0.0.2')).not.toBeNull();
});

test('default share is a quarter of the pool, at least 8, at most the pool; size 0 = unlimited', () => {
  expect(new StreamPool(256).perClient).toBe(64);
  expect(new StreamPool(16).perClient).toBe(8);
  expect(new StreamPool(4).perClient).toBe(4);
  expect(new StreamPool(0).perClient).toBe(0);
  const unlimited = new StreamPool(0);
  for (let i = 0; i < 1000; i++) expect(unlimited.acquire('1.1.1.1')).not.toBeNull();
});
