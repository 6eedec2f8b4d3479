// `abstractgateway migrate` as a process: status lines when not on a terminal, the summary, idempotency.
import { afterAll, expect, setDefaultTimeout, test } from 'bun:test';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../support/harness.ts';
import { EXAMPLES, cli, cliJson } from '../cli/helpers.ts';
import { RUN_A, RUN_B, writeFileBackend } from './fixtures.ts';

setDefaultTimeout(30_000);
const tmp = tempDir('ag-mig-cli-');
afterAll(() => tmp.cleanup());

test('imports a Python data dir, prints progress lines and a summary with skipped lines; second run imports nothing', async () => {
  const from = join(tmp.path, 'python');
  const dataDir = join(tmp.path, 'new');
  writeFileBackend(from);
  const r = await cli(['migrate', '--from', from, '--data-dir', dataDir]);
  expect(r.code).toBe(0);
  expect(r.stderr).toContain(`Importing ${from} into ${dataDir}`);
  expect(r.stderr).toMatch(/^runs: 3\/3 checked$/m);
  expect(r.stderr).toMatch(/^artifacts: 3\/3 checked$/m);
  expect(r.stdout).toContain('Migration summary');
  expect(r.stdout).toMatch(/runs\s+2 imported, 0 updated, 0 unchanged/);
  expect(r.stdout).toMatch(/commands\s+3 imported/);
  expect(r.stdout).toMatch(/cursor\s+gateway_runner 0 -> 2 \(source 2\)/);
  expect(r.stdout).toContain(`ledger_${RUN_A}.jsonl:3: invalid JSON`);
  expect(r.stdout).toContain('commands.jsonl:3: missing command_id');

  const runs = await cliJson(['runs', 'list', '--data-dir', dataDir]);
  expect(runs.items.map((x: any) => x.run_id).sort()).toEqual([RUN_A, RUN_B].sort());
  expect((await cli(['runs', 'verify', RUN_A, '--data-dir', dataDir])).code).toBe(0);

  const again = await cliJson(['migrate', '--from', from, '--data-dir', dataDir]);
  expect(again.runs).toEqual({ imported: 0, updated: 0, unchanged: 2 });
  expect(again.ledger.records + again.commands.imported + again.artifacts.imported).toBe(0);
});

test('usage and source errors', async () => {
  const noFrom = await cli(['migrate', '--data-dir', join(tmp.path, 'x')]);
  expect(noFrom.code).toBe(2);
  expect(noFrom.stderr).toContain('--from <dir> is required');
  const missing = await cli(['migrate', '--from', join(tmp.path, 'nope'), '--data-dir', join(tmp.path, 'y')]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain('is not a directory');
  expect(missing.stderr).toContain('hint:');
});

test('--flows installs the Python bundles (idempotent; broken ones reported)', async () => {
  const from = join(tmp.path, 'py2');
  const pyFlows = join(tmp.path, 'py2-flows');
  const dataDir = join(tmp.path, 'new2');
  writeFileBackend(from);
  mkdirSync(pyFlows);
  for (const f of readdirSync(EXAMPLES)) copyFileSync(join(EXAMPLES, f), join(pyFlows, f.replace(/@.*/, '.flow'))); // Python-style names
  writeFileSync(join(pyFlows, 'broken.flow'), 'nope');
  const first = await cliJson(['migrate', '--from', from, '--flows', pyFlows, '--data-dir', dataDir]);
  expect(first.bundles.installed.sort()).toEqual(['ask@1.0.0', 'countdown@1.0.0', 'hello@1.0.0']);
  expect(first.bundles.skipped).toEqual([{ where: 'broken.flow', reason: expect.stringContaining('not a zip file') }]);
  expect(readdirSync(join(dataDir, 'flows')).sort()).toEqual(['ask@1.0.0.flow', 'countdown@1.0.0.flow', 'hello@1.0.0.flow']);
  const human = await cli(['migrate', '--from', from, '--flows', pyFlows, '--data-dir', dataDir]);
  expect(human.code).toBe(0);
  expect(human.stdout).toMatch(/bundles\s+0 installed into .*, 3 already there, 1 skipped/);
});
