// A real gateway for HTTP tests: temp data dir, real SQLite store, real bundle registry over a temp flows dir
// (real bundles copied in, small ones built with fflate), real runtime (+ optional real runner), and the app
// listening on 127.0.0.1:<ephemeral>.
import { strToU8, zipSync } from 'fflate';
import { flowDoc as bundleFlowDoc } from '../flow/bundle/helpers.ts';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type GatewayConfig } from '../../src/config.ts';
import { BundleRegistry } from '../../src/flow/bundle/registry.ts';
import { createApp } from '../../src/http/app.ts';
import type { SecurityPolicy } from '../../src/http/security/index.ts';
import type { LlmDiscovery } from '../../src/llm/discovery.ts';
import { graphWorkflow, StaticWorkflows } from '../../src/runtime/graph.ts';
import { Runner } from '../../src/runtime/runner.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { installSchedules, ScheduledWorkflows } from '../../src/features/schedules.ts';
import type { Workflow } from '../../src/runtime/types.ts';
import type { RunState, StepRecord, Vars } from '../../src/model/index.ts';
import { SqliteStore } from '../../src/store/index.ts';
import { nowIso } from '../../src/util/time.ts';


/** Minimal VisualFlow JSON: on_flow_start (with `params` as string pins) → on_flow_end. */
export const flowDoc = (id: string, params: Record<string, unknown> = {}): Vars => bundleFlowDoc(id, { params });

/** A real `.flow` zip. Every flow is an entrypoint. */
export function bundleZip(id: string, version = '0.0.1', flows: Record<string, Vars> = { root: flowDoc('root', { prompt: 'hi' }) }): Uint8Array {
  const manifest = {
    bundle_format_version: '1',
    bundle_id: id,
    bundle_version: version,
    created_at: '2026-01-24T00:00:00Z',
    entrypoints: Object.keys(flows).map((f) => ({ flow_id: f, name: f, description: '', interfaces: [] })),
    default_entrypoint: Object.keys(flows)[0],
    flows: Object.fromEntries(Object.keys(flows).map((f) => [f, `flows/${f}.json`])),
    metadata: { test: true },
  };
  const files: Record<string, Uint8Array> = { 'manifest.json': strToU8(JSON.stringify(manifest)) };
  for (const [f, doc] of Object.entries(flows)) files[`flows/${f}.json`] = strToU8(JSON.stringify(doc));
  return zipSync(files);
}

/**
 * Native workflows standing in for the bundles' flows (same namespaced ids), so runs execute through the
 * real runtime: `ask@0.0.1:root` asks the user then completes with the answer; `quick@0.0.1:root` completes.
 */
export const testWorkflows = (): Workflow[] => [
  graphWorkflow('ask@0.0.1:root', 'ask', {
    ask: () => ({ effect: { type: 'ask_user', payload: { prompt: 'who are you ?' }, result_key: 'answer' }, next_node: 'end' }),
    end: (run) => ({ complete_output: { answer: run.vars.answer ?? null } }),
  }),
  graphWorkflow('quick@0.0.1:root', 'end', { end: () => ({ complete_output: { ok: true } }) }),
];

export interface GatewayOptions {
  /** Extra built bundles: file name → bytes. Default: ask + quick. */
  bundles?: Record<string, Uint8Array>;
  runner?: boolean;
  security?: (dataDir: string) => SecurityPolicy | null;
  llm?: LlmDiscovery;
  config?: Partial<GatewayConfig>;
  /** More native workflows, beside testWorkflows(). */
  workflows?: Workflow[];
}

export interface TestGateway {
  base: string;
  dataDir: string;
  config: GatewayConfig;
  /** The SQLite store (tests may tamper through `store.db`). */
  store: SqliteStore;
  registry: BundleRegistry;
  runtime: Runtime;
  runner: Runner | null;
  app: ReturnType<typeof createApp>;
  url(path: string): string;
  json<T = any>(path: string, init?: RequestInit): Promise<{ status: number; body: T; headers: Headers }>;
  post<T = any>(path: string, body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }>;
  /** Seeds a run directly in the store (no workflow needed), e.g. a finished run with given records. */
  seedRun(run?: Partial<RunState>, records?: Partial<StepRecord>[]): Promise<RunState>;
  appendRecord(runId: string, rec?: Partial<StepRecord>): Promise<void>;
  close(): Promise<void>;
}

export async function startGateway(opts: GatewayOptions = {}): Promise<TestGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ag-http-'));
  const flowsDir = join(dataDir, 'flows');
  mkdirSync(flowsDir, { recursive: true });
  const bundles = opts.bundles ?? { 'ask@0.0.1.flow': bundleZip('ask'), 'quick@0.0.1.flow': bundleZip('quick') };
  for (const [name, bytes] of Object.entries(bundles)) writeFileSync(join(flowsDir, name), bytes);

  const config: GatewayConfig = { ...loadConfig({}, { dataDir, flowsDir, runner: !!opts.runner }), pollMs: 50, ...opts.config };
  const store = SqliteStore.open(config.dbPath);
  const registry = new BundleRegistry({ flowsDir, dataDir });
  registry.reload();
  let runtime!: Runtime;
  runtime = new Runtime(store, new StaticWorkflows([...testWorkflows(), ...(opts.workflows ?? [])], [new ScheduledWorkflows(() => runtime)]));
  installSchedules(runtime);
  const runner = opts.runner
    ? new Runner(store, runtime, { pollMs: 20, commandBatchLimit: 200, tickMaxSteps: 100, runScanLimit: 200 })
    : null;
  await runner?.start();
  const app = createApp({ store, registry, runtime, config, security: opts.security?.(dataDir) ?? null, llm: opts.llm ?? null });
  app.listen({ port: 0, hostname: '127.0.0.1' });
  const base = `http://127.0.0.1:${app.server!.port}`;

  const json = async (path: string, init?: RequestInit) => {
    const res = await fetch(base + path, init);
    const text = await res.text();
    let body: any = text;
    try { body = JSON.parse(text); } catch { /* not JSON: keep the text */ }
    return { status: res.status, body, headers: res.headers };
  };
  const appendRecord = async (runId: string, rec: Partial<StepRecord> = {}) => {
    const now = nowIso();
    await store.ledger.append({
      run_id: runId, step_id: crypto.randomUUID(), node_id: 'n1', status: 'completed', effect: null, result: null,
      error: null, started_at: now, ended_at: now, actor_id: 'gateway', session_id: runId, attempt: 1,
      idempotency_key: null, ...rec,
    });
  };

  return {
    base, dataDir, config, store, registry, runtime, runner, app,
    url: (p) => base + p,
    json,
    post: (path, body, headers = {}) =>
      json(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } }),
    async seedRun(partial = {}, records = []) {
      const now = nowIso();
      const run: RunState = {
        run_id: crypto.randomUUID(), workflow_id: 'seed@0.0.1:root', status: 'completed', current_node: 'end', vars: {},
        waiting: null, output: null, error: null, created_at: now, updated_at: now, actor_id: 'gateway',
        session_id: null, parent_run_id: null, ...partial,
      };
      await store.tx(async () => {
        await store.runs.save(run);
        for (const r of records) await appendRecord(run.run_id, r);
      });
      return run;
    },
    appendRecord,
    async close() {
      await app.stop(true);
      await runner?.stop();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Reads an SSE body incrementally; `until` resolves once the accumulated text satisfies the predicate. */
export function sseReader(res: Response) {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  return {
    get text() { return text; },
    async until(pred: (t: string) => boolean, timeoutMs = 3000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      while (!pred(text)) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`SSE timeout; got so far:\n${text}`);
        const chunk = await Promise.race([reader.read(), Bun.sleep(left).then(() => null)]);
        if (chunk === null) continue;
        if (chunk.done) { if (!pred(text)) throw new Error(`SSE ended early; got:\n${text}`); break; }
        text += dec.decode(chunk.value, { stream: true });
      }
      return text;
    },
    /** Reads to the end of the stream. */
    async rest(timeoutMs = 3000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`SSE did not end; got:\n${text}`);
        const chunk = await Promise.race([reader.read(), Bun.sleep(left).then(() => null)]);
        if (chunk === null) continue;
        if (chunk.done) return text;
        text += dec.decode(chunk.value, { stream: true });
      }
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

/** Parsed SSE events of a transcript (comments dropped). */
export function sseEvents(text: string): { id?: string; event?: string; data?: any }[] {
  return text
    .split('\n\n')
    .filter((b) => b.trim() && !b.startsWith(':'))
    .map((block) => {
      const ev: { id?: string; event?: string; data?: any } = {};
      for (const line of block.split('\n')) {
        const i = line.indexOf(': ');
        const [k, v] = i < 0 ? [line, ''] : [line.slice(0, i), line.slice(i + 2)];
        if (k === 'id') ev.id = v;
        else if (k === 'event') ev.event = v;
        else if (k === 'data') ev.data = JSON.parse(v);
      }
      return ev;
    });
}

export async function waitFor<T>(fn: () => T | Promise<T>, pred: (v: T) => boolean, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (pred(v)) return v;
    if (Date.now() > deadline) throw new Error(`waitFor timed out; last value: ${JSON.stringify(v)}`);
    await Bun.sleep(20);
  }
}
