// Escape attempts against the code-node sandbox, run as real flows through the real Runtime over a real
// SQLite file store: each attempt is refused or runs harmlessly, and neither the gateway token, any
// ABSTRACTGATEWAY_* value nor /etc/passwd content ever reaches the ledger; no file appears on the host.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowWorkflows } from '../../src/flow/workflows.ts';
import { resetPythonSandbox, sandboxLimits } from '../../src/sandbox/python.ts';
import type { Vars } from '../../src/model/index.ts';
import { createHarness, tempDir } from '../support/harness.ts';
import { attempt, escapeAttempts } from './attempts.ts';
import { end, flow, n, start } from '../support/visualflow.ts';

setDefaultTimeout(240_000);

const TOKEN = `tok-${crypto.randomUUID()}`;
const SENTINEL = `sentinel-${crypto.randomUUID()}`;
const MARK = `ag-escape-${crypto.randomUUID()}`;
const passwd = existsSync('/etc/passwd') ? readFileSync('/etc/passwd', 'utf8') : 'root:x:0:0:';
const passwdLine = passwd.split('\n').find((l) => l.includes(':'))!;
const dir = tempDir('ag-escape-');
const saved = { token: process.env.ABSTRACTGATEWAY_AUTH_TOKEN, sentinel: process.env.ABSTRACTGATEWAY_TEST_SENTINEL };
// Attempts are judged on what they reach, never on how fast they run: a generous wall-time cap (a loaded CI machine
// once took 1.5 s for `import urllib`); the cap itself is tested with its own short limit below.
const LIMITS = { ...sandboxLimits(), timeoutMs: 60_000, memoryMb: 256, warmWorkers: 0 };
let connections = 0;
let server: Bun.TCPSocketListener<undefined> | null = null;

beforeAll(() => {
  process.env.ABSTRACTGATEWAY_AUTH_TOKEN = TOKEN;
  process.env.ABSTRACTGATEWAY_TEST_SENTINEL = SENTINEL;
  server = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { open: () => { connections++; }, data: () => {} } });
  resetPythonSandbox(LIMITS);
});

afterAll(() => {
  server?.stop(true);
  resetPythonSandbox();
  if (saved.token === undefined) delete process.env.ABSTRACTGATEWAY_AUTH_TOKEN; else process.env.ABSTRACTGATEWAY_AUTH_TOKEN = saved.token;
  if (saved.sentinel === undefined) delete process.env.ABSTRACTGATEWAY_TEST_SENTINEL; else process.env.ABSTRACTGATEWAY_TEST_SENTINEL = saved.sentinel;
  dir.cleanup();
});

function chainFlow(id: string, attempts: Record<string, string>): Vars {
  const names = Object.keys(attempts);
  const nodes = [start('s'), ...names.map((k) => n(k, 'code', { in: ['exec-in'], out: ['exec-out', 'output'], code: attempt(attempts[k]!) })),
    end('e', names)];
  const edges = ['s.exec-out>' + names[0] + '.exec-in', ...names.slice(1).map((k, i) => `${names[i]}.exec-out>${k}.exec-in`),
    `${names.at(-1)}.exec-out>e.exec-in`, ...names.map((k) => `${k}.output>e.${k}`)];
  return flow(id, nodes, edges);
}

function harness(docs: Vars[]) {
  const byId = new Map(docs.map((d) => [d.id as string, d]));
  return createHarness({ workflows: new FlowWorkflows({ source: { getWorkflow: (id) => structuredClone(byId.get(id)) } }), path: join(dir.path, `${crypto.randomUUID()}.sqlite3`) });
}

/** Everything the run left in the store, as one string. */
async function persisted(h: ReturnType<typeof harness>, runId: string): Promise<string> {
  return JSON.stringify({ run: await h.run(runId), ledger: await h.ledger(runId) });
}

function expectNoLeak(text: string): void {
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(SENTINEL);
  expect(text).not.toContain(passwdLine);
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('ABSTRACTGATEWAY_') && v && v.length >= 6) expect(text).not.toContain(v);
  }
}

describe('escape corpus through the real flow engine', () => {
  test('every attempt is refused or harmless, and nothing secret reaches the ledger', async () => {
    const attempts = escapeAttempts(MARK, server!.port);
    const h = harness([chainFlow('escapes', attempts)]);
    try {
      const run = await h.runtime.start('escapes', { vars: {} });
      await h.settle();
      const done = await h.run(run.run_id);
      expect(done.status).toBe('completed');
      const out = done.output as Record<string, any>;
      const refused = (k: string) => expect(String(out[k]?.refused ?? '')).not.toBe('');
      // the virtual filesystem has no /etc, no /proc/*/environ; the interpreter has no host modules
      for (const k of ['open_passwd', 'proc_self_environ', 'proc_parent_environ', 'fork', 'subprocess', 'socket', 'urllib',
        'import_js', 'import_pyodide_js', 'ffi_function_ctor', 'ffi_async_ctor', 'ffi_prepare_stack', 'ffi_proto_pollution']) refused(k);
      expect(out.match_class_walk.refused).toMatch(/FileNotFoundError|No such file/);
      expect(out.environ).toEqual({ environ: {}, token: null });
      expect(out.listdir_root).not.toContain('etc');
      expect(out.sys_modules).toMatchObject({ js: false, pyodide_js: false });
      expect(out.jsproxy_scan).toEqual([]);
      expect(String(out.import_js.refused)).toContain("No module named 'js'");
      expectNoLeak(await persisted(h, run.run_id));
    } finally {
      await h.close();
    }
    for (const p of [join('/tmp', MARK), join(tmpdir(), MARK), join(process.cwd(), MARK)]) expect(existsSync(p)).toBe(false);
    expect(readdirSync(process.cwd()).some((f) => f.includes(MARK))).toBe(false);
    expect(connections).toBe(0);
  });

  test('an infinite loop is killed at the wall-time cap: the node fails naming the variable', async () => {
    resetPythonSandbox({ ...LIMITS, timeoutMs: 1500 });
    const h = harness([flow('spin', [start('s'), n('c', 'code', { in: ['exec-in'], out: ['exec-out'], codeBody: 'while True:\n    pass' })], ['s.exec-out>c.exec-in'])]);
    try {
      const run = await h.runtime.start('spin', { vars: {} });
      await h.settle();
      const done = await h.run(run.run_id);
      expect(String(done.output?.error ?? done.error)).toContain('Execution timed out after 1500 ms (raise ABSTRACTGATEWAY_CODE_TIMEOUT_MS');
      expectNoLeak(await persisted(h, run.run_id));
    } finally {
      await h.close();
      resetPythonSandbox(LIMITS);
    }
  });

  test('a memory bomb stops at the memory cap', async () => {
    const body = 'chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))';
    const h = harness([flow('bomb', [start('s'), n('c', 'code', { in: ['exec-in'], out: ['exec-out'], codeBody: body })], ['s.exec-out>c.exec-in'])]);
    try {
      const run = await h.runtime.start('bomb', { vars: {} });
      await h.settle();
      const done = await h.run(run.run_id);
      expect(String(done.output?.error ?? done.error)).toMatch(/Memory limit exceeded \(256 MB; raise ABSTRACTGATEWAY_CODE_MEMORY_MB|timed out/);
      expectNoLeak(await persisted(h, run.run_id));
    } finally {
      await h.close();
    }
  });

  test('runs do not share an interpreter: state left by one run is invisible to the next', async () => {
    const poison = "import builtins\nbuiltins.LEAK = d.get('secret')\nreturn 'set'";
    const probe = "import builtins\nreturn getattr(builtins, 'LEAK', None)";
    const h = harness([
      flow('poison', [start('s', ['secret']), n('c', 'code', { in: ['exec-in', 'secret'], out: ['exec-out', 'output'], code: attempt(poison) }), end('e', ['output'])], ['s.exec-out>c.exec-in', 'c.exec-out>e.exec-in', 'c.output>e.output']),
      flow('probe', [start('s'), n('c', 'code', { in: ['exec-in'], out: ['exec-out', 'output'], code: attempt(probe) }), end('e', ['output'])], ['s.exec-out>c.exec-in', 'c.exec-out>e.exec-in', 'c.output>e.output']),
    ]);
    try {
      const a = await h.runtime.start('poison', { vars: { secret: 'run-a-secret' } });
      await h.settle();
      expect((await h.run(a.run_id)).output).toMatchObject({ output: 'set' });
      const b = await h.runtime.start('probe', { vars: {} });
      await h.settle();
      expect((await h.run(b.run_id)).output).toMatchObject({ output: null });
    } finally {
      await h.close();
    }
  });
});
