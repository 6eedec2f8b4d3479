// Steps per second inside one run: a VisualFlow `for` loop of 10,000 iterations with a set_var body, through the
// production composition (compiled flow, runtime, SQLite), vs raw one-row append transactions.
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createGateway } from '../../src/gateway.ts';
import { fmt, rawInsertTx, writeBenchBundles, type Figure } from './common.ts';

export async function loopSteps(dir: string, iterations = 10_000): Promise<Figure> {
  writeBenchBundles(join(dir, 'flows'));
  const gw = await createGateway(loadConfig({}, { dataDir: dir, flowsDir: join(dir, 'flows') }), { log: () => {} });
  try {
    const { workflow_id } = gw.registry.resolveStart({ bundle_id: 'loop' });
    const run = await gw.runtime.start(workflow_id);
    const t = performance.now();
    let r = run;
    while (r.status === 'running') r = await gw.runtime.tick(run.run_id, gw.config.tickMaxSteps);
    const secs = (performance.now() - t) / 1000;
    if (r.status !== 'completed' || r.vars.counter !== iterations - 1) throw new Error(`loop run ended ${r.status} with counter ${r.vars.counter}`);
    const steps = iterations * 2 + 2; // each iteration: the `for` scheduler step + the set_var body; plus start/end
    const rate = steps / secs;
    const raw = rawInsertTx(dir);
    return {
      name: `steps/s in one run (VisualFlow for loop of ${fmt(iterations)} with a set_var body)`,
      value: `${fmt(rate)} steps/s (${fmt(iterations / secs)} iterations/s)`,
      reference: `raw SQLite one-row append tx/s: ${fmt(raw)}`,
      ratio: `${((rate / raw) * 100).toFixed(1)} %`,
      target: '≥ 50 %',
      ok: rate / raw >= 0.5,
    };
  } finally {
    await gw.close();
  }
}

/** Ledger appends per second inside one run: a loop whose body says something (answer_user) each iteration. */
export async function ledgerAppends(dir: string, iterations = 5000): Promise<Figure> {
  writeBenchBundles(join(dir, 'flows'));
  const gw = await createGateway(loadConfig({}, { dataDir: dir, flowsDir: join(dir, 'flows') }), { log: () => {} });
  try {
    const { workflow_id } = gw.registry.resolveStart({ bundle_id: 'chatty' });
    const run = await gw.runtime.start(workflow_id);
    const t = performance.now();
    let r = run;
    while (r.status === 'running') r = await gw.runtime.tick(run.run_id, gw.config.tickMaxSteps);
    const secs = (performance.now() - t) / 1000;
    const records = gw.store.ledger.count(run.run_id);
    if (r.status !== 'completed' || records < iterations * 2) throw new Error(`chatty run ended ${r.status} with ${records} records`);
    const rate = records / secs;
    const raw = rawInsertTx(dir);
    return {
      name: `ledger appends/s in one run (answer_user in a loop of ${fmt(iterations)}, hash-chained)`,
      value: `${fmt(rate)} records/s`,
      reference: `raw SQLite one-row append tx/s: ${fmt(raw)}`,
      ratio: `${((rate / raw) * 100).toFixed(1)} %`,
    };
  } finally {
    await gw.close();
  }
}
