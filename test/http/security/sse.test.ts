// SSE streams hold a slot of their own pool until the stream ends (docs/security.md, docs/api.md "Ledger: replay first").
import { afterAll, expect, test } from 'bun:test';
import { auth, policyFor, serve, tempDir, type Served } from './harness.ts';

const servers: Served[] = [];
function start(maxSse: number): Served {
  const dir = tempDir();
  const s = serve(policyFor(dir, { ABSTRACTGATEWAY_MAX_SSE: String(maxSse), ABSTRACTGATEWAY_MAX_CONCURRENCY: '1' }), dir);
  servers.push(s);
  return s;
}
afterAll(() => servers.forEach((s) => s.stop()));

/** Open a stream and wait for its first event, so it is certainly holding a slot. */
async function open(s: Served, path = '/api/gateway/runs/r1/ledger/stream', ac = new AbortController()) {
  const res = await fetch(s.base + path, { headers: auth(), signal: ac.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toStartWith('text/event-stream');
  const reader = res.body!.getReader();
  await reader.read();
  return { res, reader, ac };
}

async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) { if (await check()) return; await Bun.sleep(10); }
  throw new Error('condition not reached within 1 s');
}

const status = async (s: Served, path = '/api/gateway/runs/r2/ledger/stream') => {
  const ac = new AbortController();
  const res = await fetch(s.base + path, { headers: auth(), signal: ac.signal });
  ac.abort(); // we only need the status; do not keep a slot
  return res.status;
};

test('streams use their own pool: the general pool (size 1) stays free while 2 streams run; a 3rd → 429', async () => {
  const s = start(2);
  const a = await open(s);
  const b = await open(s);
  expect((await fetch(s.base + '/api/gateway/runs', { headers: auth() })).status).toBe(200);
  const third = await fetch(s.base + '/api/gateway/runs/r3/ledger/stream', { headers: auth() });
  expect(third.status).toBe(429);
  expect(third.headers.get('retry-after')).toBe('1');
  expect(((await third.json()) as { code: string }).code).toBe('concurrency_limit');
  a.ac.abort(); b.ac.abort();
});

test('a client disconnect releases the slot', async () => {
  const s = start(1);
  const a = await open(s);
  expect(await status(s)).toBe(429);
  a.ac.abort();
  await eventually(async () => (await status(s)) === 200);
});

test('a stream that ends by itself releases the slot (generator handler)', async () => {
  const s = start(1);
  const a = await open(s);
  s.gate.open();
  let rest = '';
  for (let r = await a.reader.read(); !r.done; r = await a.reader.read()) rest += new TextDecoder().decode(r.value);
  expect(rest).toContain('event: done');
  expect(s.streamsEnded()).toBe(1);
  await eventually(async () => (await status(s)) === 200);
});

test('a raw Response stream releases via releaseSseSlot(request)', async () => {
  const s = start(1);
  const raw = '/api/gateway/runs/r1/raw/ledger/stream';
  const a = await open(s, raw);
  expect(await status(s)).toBe(429);
  s.gate.open();
  while (!(await a.reader.read()).done) { /* drain */ }
  await eventually(async () => (await status(s)) === 200);
});

test('a stream route that answers 404 instead of streaming does not keep the slot', async () => {
  const s = start(1);
  for (let i = 0; i < 3; i++) {
    expect((await fetch(s.base + '/api/gateway/missing/ledger/stream', { headers: auth() })).status).toBe(404);
  }
  expect(await status(s)).toBe(200);
});
