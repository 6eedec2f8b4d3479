// The benchmark suite: `npm run bench`. Prints one table of figures, each next to a reference measured in the
// same run on the same machine, or with `--json` the same figures as a JSON array of
// `{name, value, unit, reference, ratio, target, ok}`. Not part of `npm test`; cleans up its temp dirs.
// `--only name,name` picks figures (names in SUITE below); unknown flags or names exit 2.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Figure } from './common.ts';
import { ledgerAppends, loopSteps } from './engine.ts';
import { fanOut, ledgerReplay, resumeLatency, runsList, trivialRuns } from './http.ts';
import { growth, memory, mixedLoad, threeStep } from './load.ts';
import { startup } from './startup.ts';
import { postgresFigures } from './postgres.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ag-bench-'));
  dirs.push(d);
  return d;
};

const SUITE: Record<string, () => Promise<Figure | Figure[]>> = {
  trivial: () => trivialRuns(tmp()),
  threestep: () => threeStep(tmp()),
  steps: () => loopSteps(tmp()),
  appends: () => ledgerAppends(tmp()),
  resume: () => resumeLatency(tmp()),
  fanout: () => fanOut(tmp()),
  replay: () => ledgerReplay(tmp()),
  list: () => runsList(tmp(), tmp()),
  mixed: () => mixedLoad(tmp()),
  memory: () => memory(tmp()),
  growth: () => growth(tmp()),
  startup: () => startup(),
  pg: () => postgresFigures(tmp()),
};

function usage(msg: string): never {
  process.stderr.write(`bench: ${msg}\nusage: npm run bench -- [--only ${Object.keys(SUITE).join(',')}] [--json]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let only: Set<string> | null = null;
let json = false;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--json') json = true;
  else if (args[i] === '--only' && args[i + 1]) only = new Set(args[++i]!.split(','));
  else if (args[i] === '--help' || args[i] === '-h') usage('the benchmark suite');
  else usage(`unknown argument ${args[i]}`);
}
for (const name of only ?? []) if (!(name in SUITE)) usage(`unknown figure ${name}`);

const figures: Figure[] = [];
const t0 = performance.now();
try {
  for (const [name, fn] of Object.entries(SUITE)) {
    if (only && !only.has(name)) continue;
    const t = performance.now();
    process.stderr.write(`bench: ${name} … `);
    try {
      const f = await fn();
      figures.push(...(Array.isArray(f) ? f : [f]));
      process.stderr.write(`${((performance.now() - t) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      const message = (err as Error).message;
      process.stderr.write(`failed: ${message}\n`);
      figures.push({ name, value: { value: NaN, unit: '', text: `failed: ${message}` }, reference: null, ratio: null, target: 'runs', ok: false });
    }
  }
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

const secs = (performance.now() - t0) / 1000;
if (json) {
  const num = (n: number) => (Number.isFinite(n) ? Number(n.toPrecision(6)) : null);
  console.log(JSON.stringify(figures.map((f) => ({
    name: f.name,
    value: num(f.value.value),
    unit: f.value.unit,
    reference: f.reference ? { label: f.reference.label, value: num(f.reference.value), unit: f.reference.unit } : null,
    ratio: f.ratio ? num(f.ratio.value) : null,
    target: f.target ?? null,
    ok: f.ok ?? null,
  })), null, 2));
} else {
  console.log(`| figure | value | reference (same run) | ratio | target |`);
  console.log(`|---|---|---|---|---|`);
  for (const f of figures) {
    const target = f.target ? `${f.target} ${f.ok ? '✓' : '✗'}` : '—';
    console.log(`| ${f.name} | ${f.value.text} | ${f.reference?.text ?? '—'} | ${f.ratio?.text ?? '—'} | ${target} |`);
  }
  const missed = figures.filter((f) => f.target && !f.ok).map((f) => f.name);
  console.log(`\n${figures.length} figures in ${secs.toFixed(0)} s on ${navigator.hardwareConcurrency} cores, Bun ${Bun.version}`);
  if (missed.length) console.log(`missed targets (see docs/performance.md for why): ${missed.join('; ')}`);
}
