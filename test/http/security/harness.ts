// A dummy app with the security plugin mounted first, served over real HTTP on 127.0.0.1.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Elysia, sse } from 'elysia';
import { loadSecurityPolicy, releaseSseSlot, securityPlugin, type Env, type SecurityPolicy } from '../../../src/http/security/index.ts';

export const TOKEN = 'test-token-0123456789abcdef';

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'agw-sec-'));

/** Policy from env (token preset) with field overrides; never auto-generates a token file. */
export function policyFor(dataDir: string, env: Env = {}, overrides: Partial<SecurityPolicy> = {}): SecurityPolicy {
  return { ...loadSecurityPolicy({ ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN, ...env }, { dataDir, autoToken: false }), ...overrides };
}

export interface Served {
  base: string;
  dataDir: string;
  /** Resolves the pending /slow and /stream handlers. */
  gate: { open(): void; waiting(): number };
  streamsEnded: () => number;
  stop(): void;
}

export function serve(policy: SecurityPolicy, dataDir: string): Served {
  let waiters: (() => void)[] = [];
  const wait = () => new Promise<void>((r) => waiters.push(r));
  let ended = 0;
  const app = new Elysia()
    .use(securityPlugin(policy, { dataDir }))
    .get('/api/health', () => ({ status: 'ok' }))
    .get('/api/gatewayX', () => 'outside')
    .get('/api/gateway/runs', () => ({ items: [] }))
    .get('/api/gateway/slow', async () => { await wait(); return { slow: true }; })
    .post('/api/gateway/commands', ({ body }) => ({ accepted: true, got: body }))
    .post('/api/gateway/bundles/upload', async ({ request }) => ({ bytes: (await request.arrayBuffer()).byteLength }), { parse: 'none' })
    .post('/api/gateway/attachments/upload', async ({ request }) => ({ bytes: (await request.arrayBuffer()).byteLength }), { parse: 'none' })
    .post('/api/gateway/echo-size', async ({ request }) => ({ bytes: (await request.arrayBuffer()).byteLength }), { parse: 'none' })
    .get('/api/gateway/runs/:id/ledger/stream', async function* ({ params }) {
      try {
        yield sse({ event: 'step', data: { run: params.id } });
        await wait();
        yield sse({ event: 'done', data: { run: params.id } });
      } finally { ended++; }
    })
    .get('/api/gateway/runs/:id/raw/ledger/stream', ({ request }) => {
      // A raw Response stream: the handler must hand its slot back itself.
      const body = new ReadableStream({
        async start(c) {
          c.enqueue(new TextEncoder().encode('event: step\ndata: {}\n\n'));
          await wait();
          c.close();
          releaseSseSlot(request);
        },
      });
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
    })
    .get('/api/gateway/missing/ledger/stream', ({ status }) => status(404, { detail: 'Run not found' }))
    .listen({ port: 0, hostname: '127.0.0.1' });
  return {
    base: `http://127.0.0.1:${app.server!.port}`,
    dataDir,
    gate: { open() { const w = waiters; waiters = []; w.forEach((f) => f()); }, waiting: () => waiters.length },
    streamsEnded: () => ended,
    stop: () => app.stop(true),
  };
}

export const auth = (token = TOKEN): Record<string, string> => ({ authorization: `Bearer ${token}` });

/** Raw HTTP/1.1 over TCP: sends the request line exactly as written (fetch would normalise the path). */
export async function rawRequest(port: number, head: string): Promise<string> {
  const { promise, resolve } = Promise.withResolvers<string>();
  let buf = '';
  await Bun.connect({
    hostname: '127.0.0.1', port,
    socket: {
      open(s) { s.write(head); },
      data(_s, d) { buf += d.toString(); },
      close() { resolve(buf); },
      error() { resolve(buf); },
    },
  });
  return promise;
}

export const readLines = async (path: string): Promise<Record<string, unknown>[]> =>
  (await Bun.file(path).exists() ? await Bun.file(path).text() : '').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

/** Audit entries are appended after the response is sent: wait (≤ 2 s) until `n` lines are there. */
export async function waitForLines(path: string, n: number): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 200; i++) {
    const lines = await readLines(path);
    if (lines.length >= n) return lines;
    await Bun.sleep(10);
  }
  throw new Error(`expected ${n} audit lines in ${path}, got ${(await readLines(path)).length}`);
}
