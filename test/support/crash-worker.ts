// Child process for the crash test: opens the store, creates the runs on first start, and drives them with the
// real runner until all are terminal. The parent kills it with SIGKILL at random moments and restarts it. The
// target is a SQLite file path or a postgres:// URL (then claims last 1.5 s, so a killed worker's runs come back soon).
import { openStore } from '../../src/store/index.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { Runner } from '../../src/runtime/runner.ts';
import { StaticWorkflows, graphWorkflow } from '../../src/runtime/graph.ts';

const [dbPath, runsArg, stepsArg] = process.argv.slice(2);
const RUNS = Number(runsArg ?? 20);
const STEPS = Number(stepsArg ?? 30);

export const crashWorkflow = graphWorkflow('crashy', 'loop', {
  loop: (run) =>
    run.vars.i < STEPS
      ? { effect: { type: 'work', payload: { i: run.vars.i }, result_key: 'last' }, next_node: 'inc' }
      : { complete_output: { sum: run.vars.sum, i: run.vars.i } },
  inc: (run) => {
    run.vars.sum += run.vars.last.v;
    run.vars.i += 1;
    return run.vars.i % 5 === 0
      ? { effect: { type: 'answer_user', payload: { message: `at ${run.vars.i}` }, result_key: null }, next_node: 'loop' }
      : { next_node: 'loop' };
  },
});

const pg = dbPath!.startsWith('postgres://');
const store = await openStore(pg ? { backend: 'postgres', databaseUrl: dbPath!, poolMax: 4 } : { dbPath: dbPath! });
const runtime = new Runtime(store, new StaticWorkflows([crashWorkflow]), { claimMs: 1500 });
runtime.registerEffect('work', async (ctx) => {
  await Bun.sleep(1);
  return { status: 'completed', result: { v: ctx.effect.payload.i * 2 } };
});
// All runs in one transaction: a kill during seeding leaves none or all of them.
if ((await store.runs.count()) === 0) {
  await store.tx(async () => {
    for (let i = 0; i < RUNS; i++) await runtime.createRun(crashWorkflow, { vars: { i: 0, sum: 0 } });
  });
}
const runner = new Runner(store, runtime, { pollMs: 10, commandBatchLimit: 100, tickMaxSteps: 7, runScanLimit: 100 });
while (!(await runner.start())) await Bun.sleep(20);
for (;;) {
  const left = (await store.runs.list({ status: 'running', limit: 1 })).items.length + (await store.runs.list({ status: 'waiting', limit: 1 })).items.length;
  if (left === 0) break;
  await Bun.sleep(10);
}
await runner.stop();
await store.close();
process.exit(0);
