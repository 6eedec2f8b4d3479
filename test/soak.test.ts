// The bounded crash soak in CI (issue 12 §7): the `npm run soak` module with 10 kill -9s of a real gateway under
// a small mixed workload; every durability check must hold. The full soak (100 kills, split mode) is the script.
import { expect, test } from 'bun:test';
import { formatReport, runSoak } from '../scripts/soak/index.ts';

test('10 random kill -9s of a gateway under a mixed workload lose and duplicate nothing', async () => {
  const report = await runSoak({ kills: 10, items: 35, split: false, minAliveMs: 100, maxAliveMs: 400, settleTimeoutMs: 30_000 });
  if (!report.ok) console.error(formatReport(report));
  expect(report.violations).toEqual([]);
  expect(report.kills).toBe(10);
  // Every kind of work was acknowledged and checked.
  for (const k of report.kinds) expect(k.acknowledged).toBeGreaterThan(0);
  expect(report.acknowledged_commands).toBeGreaterThan(0);
  expect(report.chains_verified).toBe(report.runs_in_db);
}, 90_000);
