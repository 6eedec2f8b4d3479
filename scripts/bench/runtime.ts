// Runtime throughput next to raw SQLite on the same disk, printed as ratios.
//   bun scripts/bench/runtime.ts [--steps 10000]
import { Database } from 'bun:sqlite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/store/index.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { StaticWorkflows, graphWorkflow } from '../../src/runtime/graph.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const STEPS = arg('steps', 10_000);

export interface Figure { name: string; value: number; unit: string; reference?: { name: string; value: number } }

function rawSqlite(dir: string): { insertTx: number; batchedAppends: number } {
  const db = new Database(join(dir, 'raw.sqlite3'), { create: true, strict: true });
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000');
  db.exec('CREATE TABLE ledger (run_id TEXT NOT NULL, seq INTEGER NOT NULL, record_json TEXT NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID');
  const ins = db.query('INSERT INTO ledger (run_id, seq, record_json) VALUES (?, ?, ?)');
  const payload = JSON.stringify({ status: 'completed', effect: { type: 'x', payload: { i: 1 } }, pad: 'x'.repeat(300) });
  const n = 3000;
  let t = performance.now();
  for (let i = 0; i < n; i++) db.transaction(() => ins.run('a', i, payload)).immediate();
  const insertTx = n / ((performance.now() - t) / 1000);
  const m = 50_000;
  t = performance.now();
  db.transaction(() => { for (let i = 0; i < m; i++) ins.run('b', i, payload); }).immediate();
  const batchedAppends = m / ((performance.now() - t) / 1000);
  db.close();
  return { insertTx, batchedAppends };
}

async function runtimeSteps(dir: string): Promise<{ stepsPerSec: number; appendsPerSec: number }> {
  const store = Store.open(join(dir, 'gw.sqlite3'));
  const loop = graphWorkflow('loop', 'body', {
    body: (run) => {
      run.vars.i += 1;
      return run.vars.i < STEPS ? { next_node: 'body' } : { complete_output: { i: run.vars.i } };
    },
  });
  const chatty = graphWorkflow('chatty', 'body', {
    body: (run) => {
      run.vars.i += 1;
      return run.vars.i <= STEPS / 10
        ? { effect: { type: 'answer_user', payload: { message: `step ${run.vars.i}` }, result_key: null }, next_node: 'body' }
        : { complete_output: { i: run.vars.i } };
    },
  });
  const rt = new Runtime(store, new StaticWorkflows([loop, chatty]));
  let run = await rt.start('loop', { vars: { i: 0 } });
  let t = performance.now();
  while (run.status === 'running') run = await rt.tick(run.run_id, 100);
  const stepsPerSec = STEPS / ((performance.now() - t) / 1000);
  run = await rt.start('chatty', { vars: { i: 0 } });
  t = performance.now();
  while (run.status === 'running') run = await rt.tick(run.run_id, 100);
  const appends = store.ledger.count(run.run_id);
  const appendsPerSec = appends / ((performance.now() - t) / 1000);
  store.close();
  return { stepsPerSec, appendsPerSec };
}

export async function benchRuntime(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ag-bench-'));
  try {
    const raw = rawSqlite(dir);
    const rt = await runtimeSteps(dir);
    return [
      { name: `steps/s in one run (loop of ${STEPS} pure steps, 100 per tick)`, value: rt.stepsPerSec, unit: 'steps/s', reference: { name: 'raw SQLite one-row insert tx/s', value: raw.insertTx } },
      { name: 'ledger appends/s (answer_user effect per step)', value: rt.appendsPerSec, unit: 'records/s', reference: { name: 'raw SQLite batched appends/s', value: raw.batchedAppends } },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printTable(figures: Figure[]): void {
  const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
  console.log('| figure | value | reference (same run) | ratio |');
  console.log('|---|---|---|---|');
  for (const f of figures) {
    const ref = f.reference ? `${f.reference.name}: ${fmt(f.reference.value)}` : '—';
    const ratio = f.reference ? `${((f.value / f.reference.value) * 100).toFixed(1)} %` : '—';
    console.log(`| ${f.name} | ${fmt(f.value)} ${f.unit} | ${ref} | ${ratio} |`);
  }
}

if (import.meta.main) printTable(await benchRuntime());
