// Test harness over the real store (SQLite in memory or in a temp file; or a fresh store of the current backend,
// `openHarness`) and the real runtime. The store is
// asynchronous: `ledger`, `run` and `close` return promises (await them).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore, type Store } from '../../src/store/index.ts';
import { openStore } from './backends.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { Runner } from '../../src/runtime/runner.ts';
import { StaticWorkflows } from '../../src/runtime/graph.ts';
import type { Workflow, WorkflowSource } from '../../src/runtime/types.ts';
import type { RunState, StepRecord, Vars } from '../../src/model/index.ts';
import type { Clock } from '../../src/util/clock.ts';

export function tempDir(prefix = 'ag-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export interface Harness<S extends Store = SqliteStore> {
  /** The store (`createHarness`: SQLite, tests may tamper through `store.db`; `openHarness`: the current backend). */
  store: S;
  runtime: Runtime;
  workflows: WorkflowSource;
  /** Ticks the run until it is no longer running (or `maxTicks` is hit). */
  runToEnd(runId: string, maxTicks?: number): Promise<RunState>;
  /** Resumes a waiting run with a payload, then runs it on. */
  answer(runId: string, payload: Vars, waitKey?: string | null): Promise<RunState>;
  /** Ticks every runnable run until none is left (listeners, children, parents). */
  settle(maxRounds?: number): Promise<void>;
  ledger(runId: string): Promise<StepRecord[]>;
  /** The stored checkpoint (throws when the run does not exist). */
  run(runId: string): Promise<RunState>;
  runner(opts?: Partial<ConstructorParameters<typeof Runner>[2]>): Runner;
  close(): Promise<void>;
}

/** `clock`: the runtime's (a ManualClock makes `until` waits due without waiting). */
type HarnessOptions = { workflows?: Workflow[] | WorkflowSource; path?: string; clock?: Clock };

export function createHarness(opts: HarnessOptions = {}): Harness {
  return harnessOver(SqliteStore.open(opts.path ?? ':memory:'), opts);
}

/** A harness on a fresh store of the current backend (test/support/backends.ts: `forEachBackend`). */
export async function openHarness(opts: Omit<HarnessOptions, 'path'> = {}): Promise<Harness<Store>> {
  return harnessOver(await openStore(), opts);
}

function harnessOver<S extends Store>(store: S, opts: HarnessOptions): Harness<S> {
  const workflows = Array.isArray(opts.workflows) || !opts.workflows ? new StaticWorkflows(opts.workflows ?? []) : opts.workflows;
  const runtime = new Runtime(store, workflows, { clock: opts.clock });
  const h: Harness<S> = {
    store,
    runtime,
    workflows,
    async runToEnd(runId, maxTicks = 1000) {
      let run = await runtime.tick(runId);
      for (let i = 0; i < maxTicks && run.status === 'running'; i++) run = await runtime.tick(runId);
      return run;
    },
    async answer(runId, payload, waitKey) {
      await runtime.resume(runId, payload, waitKey);
      await h.settle();
      return h.run(runId);
    },
    async settle(maxRounds = 1000) {
      for (let i = 0; i < maxRounds; i++) {
        const ids = await store.runs.listRunnable(1000, 'gateway');
        if (!ids.length) return;
        for (const id of ids) await runtime.tick(id);
      }
    },
    ledger: (runId) => store.ledger.listAfter(runId, 0, 1_000_000),
    async run(runId) {
      const run = await store.runs.get(runId);
      if (!run) throw new Error(`run ${runId} not found`);
      return run;
    },
    runner: (o = {}) => new Runner(store, runtime, { pollMs: 20, commandBatchLimit: 200, tickMaxSteps: 100, runScanLimit: 200, ...o }),
    close: () => store.close(),
  };
  return h;
}
