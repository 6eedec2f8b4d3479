// `npm run fuzz`: the HTTP fuzz campaign of issue 12 §7 against a fresh in-process gateway (temp data dir,
// removed afterwards). Deterministic: the same --seed replays the same requests; --trace N prints request N.
//   bun scripts/fuzz.ts [--requests 20000] [--seed 1] [--json] [--trace 12,345]
// Prints the summary table (or the JSON report with --json); exit 1 when there is any finding, 2 on bad flags.
import { parseArgs } from 'node:util';
import { startFuzzTarget } from '../test/http/fuzz-target.ts';
import { formatReport, fuzz } from '../test/support/fuzz.ts';

const HELP = `usage: bun scripts/fuzz.ts [--requests N] [--seed S] [--json] [--trace n,n]

  --requests N   requests to send (default 20000)
  --seed S       PRNG seed (default 1); the same seed sends the same requests
  --json         print the report as JSON instead of the table
  --trace n,n    print these request numbers in full (to replay a finding)
  -h, --help     this help

Exit status: 0 no finding, 1 findings (5xx, stall, reset, database changed by a rejected request), 2 bad usage.`;

let values: { requests?: string; seed?: string; json?: boolean; trace?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: {
      requests: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' }, trace: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }));
} catch (e) {
  console.error(`${e instanceof Error ? e.message : String(e)}\n\n${HELP}`);
  process.exit(2);
}
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const int = (name: string, v: string | undefined, dflt: number): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`--${name} ${JSON.stringify(v)} is not a whole number >= 0 (see --help)`);
    process.exit(2);
  }
  return n;
};
const requests = int('requests', values.requests, 20_000);
const seed = int('seed', values.seed, 1);
const trace = new Set((values.trace ?? '').split(',').filter(Boolean).map((x) => int('trace', x, 0)));

const { live, target } = await startFuzzTarget();
const before = live.fingerprint();
let report;
try {
  report = await fuzz(target, {
    requests, seed,
    trace: trace.size ? { only: trace, log: (l) => console.error(l) } : undefined,
    onProgress: values.json || !process.stderr.isTTY ? undefined : (n) => { if (n % 1000 === 0) process.stderr.write(`\r${n}/${requests}`); },
  });
} finally {
  if (!values.json && process.stderr.isTTY) process.stderr.write('\r');
}
const after = live.fingerprint();
await live.stop();
if (values.json) console.log(JSON.stringify({ ...report, database_changed_overall: before !== after }, null, 2));
else console.log(`${formatReport(report)}\ndatabase checksum before/after: ${before === after ? 'unchanged' : 'changed (by accepted requests)'}`);
process.exit(report.findings.length ? 1 : 0);
