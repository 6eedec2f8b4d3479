// Runaway flows stop (issue 12 §4): a self-recursive VisualFlow hits the subflow depth limit or the per-tree run
// limit; the offending node fails with an error naming the limit and the variable that raises it.
import { afterEach, expect, test } from 'bun:test';
import { loadConfig, ConfigError } from '../../src/config.ts';
import { FlowWorkflows } from '../../src/flow/workflows.ts';
import type { Vars } from '../../src/model/index.ts';
import { openHarness, type Harness } from '../support/harness.ts';
import { forEachBackend } from '../support/backends.ts';
import { SqliteStore, type Store } from '../../src/store/index.ts';
import { end, flow, n, start } from '../support/visualflow.ts';

/** start → subflow(self) → end: recurses forever unless something stops it. */
const runaway = flow(
  'runaway',
  [start('s'), n('self', 'subflow', { in: ['exec-in'], out: ['exec-out', 'output'], subflowId: 'runaway' }), end('e', ['out'])],
  ['s.exec-out>self.exec-in', 'self.exec-out>e.exec-in', 'self.output>e.out'],
);

let h: Harness<Store> | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

async function harness(docs: Vars[]): Promise<Harness<Store>> {
  const byId = new Map(docs.map((d) => [d.id as string, d]));
  h = await openHarness({ workflows: new FlowWorkflows({ source: { getWorkflow: (id) => structuredClone(byId.get(id)) } }) });
  return h;
}

const count = (hh: Harness<Store>) => hh.store.runs.count();
const failed = async (hh: Harness<Store>) => {
  const rows = (await hh.store.runs.list({ status: 'failed', includeInternal: true, limit: 1000 })).items;
  return (await Promise.all(rows.map((r) => hh.store.runs.get(r.run_id)))) as any[];
};

forEachBackend(() => {
  test('a self-recursive flow stops at the subflow depth limit', async () => {
    const hh = await harness([runaway]);
    hh.runtime.treeLimits = { maxSubflowDepth: 5, maxTreeRuns: 10_000 };
    const root = await hh.runtime.start('runaway');
    await hh.settle();
    expect(await count(hh)).toBe(6); // the root and 5 nested levels
    const deepest = (await failed(hh)).find((r) => r.vars._runtime.tree?.depth === 5);
    expect(deepest).toBeDefined();
    expect(deepest.error).toContain('Subflow depth limit reached');
    expect(deepest.error).toContain('limit 5');
    expect(deepest.error).toContain('ABSTRACTGATEWAY_MAX_SUBFLOW_DEPTH');
    // Nothing is left running or waiting: the failure travels up the tree.
    expect(await hh.store.runs.listRunnable(100, 'gateway')).toEqual([]);
    expect(['completed', 'failed']).toContain((await hh.run(root.run_id)).status);
  });

  test('a self-recursive flow stops at the per-tree run limit', async () => {
    const hh = await harness([runaway]);
    hh.runtime.treeLimits = { maxSubflowDepth: 64, maxTreeRuns: 10 };
    const root = await hh.runtime.start('runaway');
    await hh.settle();
    expect(await count(hh)).toBe(11); // the root and the 10 runs it may start
    const offending = (await failed(hh)).find((r) => r.vars._runtime.tree?.depth === 10);
    expect(offending.error).toContain('Run tree limit reached');
    expect(offending.error).toContain(`root run ${root.run_id}`);
    expect(offending.error).toContain('ABSTRACTGATEWAY_MAX_TREE_RUNS');
    // The counter lives on the root (one keyed row, bumped in each child's insert transaction; the refused start
    // rolled its bump back), not in a scan of the tree.
    if (hh.store instanceof SqliteStore) {
      expect(hh.store.db.query('SELECT run_count FROM run_trees WHERE root_run_id = ?').get(root.run_id)).toEqual({ run_count: 10 });
    }
    // Another root has its own budget.
    const other = await hh.runtime.start('runaway');
    await hh.settle();
    expect(await hh.runtime.tree(other.run_id)).toHaveLength(11);
  });

  test('a flow exactly at the limits runs to completion', async () => {
    const depthOk = flow('two', [start('s'), n('sub', 'subflow', { in: ['exec-in'], out: ['exec-out'], subflowId: 'leaf' }), end('e')], ['s.exec-out>sub.exec-in', 'sub.exec-out>e.exec-in']);
    const leaf = flow('leaf', [start('s'), end('e')], ['s.exec-out>e.exec-in']);
    const hh = await harness([depthOk, leaf]);
    hh.runtime.treeLimits = { maxSubflowDepth: 1, maxTreeRuns: 1 };
    const run = await hh.runtime.start('two');
    await hh.settle();
    expect((await hh.run(run.run_id)).status).toBe('completed');
    expect(await hh.runtime.tree(run.run_id)).toHaveLength(2);
  });
});

test('the limits are configured by env and validated', () => {
  const base = { ABSTRACTGATEWAY_DATA_DIR: '/tmp/x' };
  expect(loadConfig(base)).toMatchObject({ maxSubflowDepth: 64, maxTreeRuns: 10_000 });
  expect(loadConfig({ ...base, ABSTRACTGATEWAY_MAX_SUBFLOW_DEPTH: '8', ABSTRACTGATEWAY_MAX_TREE_RUNS: '500' })).toMatchObject({ maxSubflowDepth: 8, maxTreeRuns: 500 });
  expect(() => loadConfig({ ...base, ABSTRACTGATEWAY_MAX_SUBFLOW_DEPTH: '0' })).toThrow(ConfigError);
  expect(() => loadConfig({ ...base, ABSTRACTGATEWAY_MAX_TREE_RUNS: 'lots' })).toThrow(/ABSTRACTGATEWAY_MAX_TREE_RUNS="lots" is invalid/);
});
