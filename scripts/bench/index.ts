// The benchmark suite: `npm run bench`. Prints one table of figures, each next to a reference measured in the
// same run on the same machine. Not part of `npm test`; cleans up its temp dirs. `--only name,name` to pick.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Figure } from './common.ts';
import { ledgerAppends, loopSteps } from './engine.ts';
import { fanOut, ledgerReplay, resumeLatency, runsList, trivialRuns } from './http.ts';
import { startup } from './startup.ts';

const only = (() => {
  const i = process.argv.indexOf('--only');
  return i > 0 ? new Set(process.argv[i + 1]!.split(',')) : null;
})();

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'ag-bench-'));
  dirs.push(d);
  return d;
};

const suite: [string, () => Promise<Figure | Figure[]>][] = [
  ['trivial', () => trivialRuns(tmp())],
  ['steps', () => loopSteps(tmp())],
  ['appends', () => ledgerAppends(tmp())],
  ['resume', () => resumeLatency(tmp())],
  ['fanout', () => fanOut(tmp())],
  ['replay', () => ledgerReplay(tmp())],
  ['list', () => runsList(tmp(), tmp())],
  ['startup', () => startup()],
];

const figures: Figure[] = [];
const t0 = performance.now();
try {
  for (const [name, fn] of suite) {
    if (only && !only.has(name)) continue;
    const t = performance.now();
    process.stderr.write(`bench: ${name} … `);
    try {
      const f = await fn();
      figures.push(...(Array.isArray(f) ? f : [f]));
      process.stderr.write(`${((performance.now() - t) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      process.stderr.write(`failed: ${(err as Error).message}\n`);
      figures.push({ name, value: `failed: ${(err as Error).message}`, reference: '—', ratio: '—', ok: false });
    }
  }
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

console.log(`| figure | value | reference (same run) | ratio | target |`);
console.log(`|---|---|---|---|---|`);
for (const f of figures) {
  const target = f.target ? `${f.target} ${f.ok ? '✓' : '✗'}` : '—';
  console.log(`| ${f.name} | ${f.value} | ${f.reference} | ${f.ratio} | ${target} |`);
}
console.log(`\n${figures.length} figures in ${((performance.now() - t0) / 1000).toFixed(0)} s on ${navigator.hardwareConcurrency} cores, Bun ${Bun.version}`);
