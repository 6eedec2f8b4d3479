// In-run figures through the production composition (compiled flow, runtime, SQLite), in-process, next to raw
// one-row append transactions on the same disk.
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import type { RunState } from '../../src/model/index.ts';
import { fmt, percentRatio, q, rawInsertTx, ref, writeBenchBundles, type Figure } from './common.ts';

/** Starts `bundleId` and ticks it to the end; returns the final run, the elapsed seconds and the raw reference. */
async function runToEnd(dir: string, bundleId: string): Promise<{ gw: Gateway; run: RunState; secs: number; raw: number }> {
  writeBenchBundles(join(dir, 'flows'));
  const gw = await createGateway(loadConfig({}, { dataDir: dir, flowsDir: join(dir, 'flows') }), { log: () => {} });
  const { workflow_id } = gw.registry.resolveStart({ bundle_id: bundleId });
  const started = await gw.runtime.start(workflow_id);
  const t = performance.now();
  let run = started;
  while (run.status === 'running') run = await gw.runtime.tick(started.run_id, gw.config.tickMaxSteps);
  const secs = (performance.now() - t) / 1000;
  return { gw, run, secs, raw: rawInsertTx(dir) };
}

const rawRef = (raw: number) => ref('raw SQLite one-row append tx/s', raw, 'tx/s', `raw SQLite one-row append tx/s: ${fmt(raw)}`);

/** A VisualFlow `for` loop of 10,000 iterations with a set_var body. */
export async function loopSteps(dir: string, iterations = 10_000): Promise<Figure> {
  const { gw, run, secs, raw } = await runToEnd(dir, 'loop');
  try {
    if (run.status !== 'completed' || run.vars.counter !== iterations - 1) throw new Error(`loop run ended ${run.status} with counter ${run.vars.counter}`);
    const rate = (iterations * 2 + 2) / secs; // each iteration: the `for` scheduler step + the set_var body; plus start/end
    return {
      name: `steps/s in one run (VisualFlow for loop of ${fmt(iterations)} with a set_var body)`,
      value: q(rate, 'steps/s', `${fmt(rate)} steps/s (${fmt(iterations / secs)} iterations/s)`),
      reference: rawRef(raw),
      ratio: percentRatio(rate, raw),
      target: '≥ 50 %',
      ok: rate / raw >= 0.5,
    };
  } finally {
    await gw.close();
  }
}

/** Ledger appends per second inside one run: a loop whose body says something (answer_user) each iteration. */
export async function ledgerAppends(dir: string, iterations = 5000): Promise<Figure> {
  const { gw, run, secs, raw } = await runToEnd(dir, 'chatty');
  try {
    const records = await gw.store.ledger.count(run.run_id);
    if (run.status !== 'completed' || records < iterations * 2) throw new Error(`chatty run ended ${run.status} with ${records} records`);
    return {
      name: `ledger appends/s in one run (answer_user in a loop of ${fmt(iterations)}, hash-chained)`,
      value: q(records / secs, 'records/s', `${fmt(records / secs)} records/s`),
      reference: rawRef(raw),
      ratio: percentRatio(records / secs, raw),
    };
  } finally {
    await gw.close();
  }
}
