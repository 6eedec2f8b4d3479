// PostgreSQL figures of the bench (`--only pg`, docs/scaling.md "How far one PostgreSQL goes"): trivial runs/s
// over HTTP with one API process (`serve --no-runner`) and 1, 2 and 4 `runner` processes on one database, next to
// the SQLite single-process figure measured in the same run; per run: the PostgreSQL server's CPU time, ledger and
// run-row bytes (tables + indexes) and WAL bytes. The database: AG_BENCH_DATABASE_URL or
// ABSTRACTGATEWAY_TEST_DATABASE_URL (a superuser URL: each measurement gets a database of its own), else a
// throwaway cluster from scripts/pg/cluster.sh on port 55499, stopped at the end.
import { SQL } from 'bun';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, get, post, q, ref, startServer, timesRatio, writeBenchBundles, type Figure } from './common.ts';
import { trivialRuns } from './http.ts';

const ROOT = join(import.meta.dir, '../..');
const CLIENTS = Number(process.env.AG_BENCH_CLIENTS ?? 32);
const SECONDS = 5;

/** CPU seconds used so far by every process named `postgres` (server backends live as long as their connection). */
function postgresCpuSeconds(): number {
  const hz = 100;
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (comm !== 'postgres') continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime
    } catch { /* exited meanwhile */ }
  }
  return ticks / hz;
}

async function adminUrl(): Promise<{ url: string; stop(): Promise<void> }> {
  const given = process.env.AG_BENCH_DATABASE_URL ?? process.env.ABSTRACTGATEWAY_TEST_DATABASE_URL;
  if (given) return { url: given, stop: async () => {} };
  const script = join(ROOT, 'scripts/pg/cluster.sh');
  const p = Bun.spawn(['bash', script, 'start', '55499'], { stdout: 'pipe', stderr: 'inherit' });
  const out = (await new Response(p.stdout).text()).trim();
  if ((await p.exited) !== 0 || !out) throw new Error('no PostgreSQL: set AG_BENCH_DATABASE_URL, or install postgresql (scripts/pg/cluster.sh)');
  return { url: out.split('\n').at(-1)!, stop: async () => { await Bun.spawn(['bash', script, 'stop', '55499']).exited; } };
}

interface Measured { rate: number; runs: number; cpuMsPerRun: number; ledgerBytes: number; runBytes: number; walBytes: number }

async function measure(admin: string, dir: string, runners: number): Promise<Measured> {
  const name = `ag_bench_${runners}_${Date.now().toString(36)}`;
  const sa = new SQL(admin, { max: 1 });
  await sa.unsafe(`CREATE DATABASE "${name}"`);
  const u = new URL(admin);
  u.pathname = `/${name}`;
  const url = u.toString();
  const env = { ABSTRACTGATEWAY_STORE_BACKEND: 'postgres', ABSTRACTGATEWAY_DATABASE_URL: url, ABSTRACTGATEWAY_RUNNER: '0', ABSTRACTGATEWAY_POLL_S: '0.25' };
  const sub = `${dir}/${runners}`;
  writeBenchBundles(join(sub, 'flows'));
  const server = await startServer(sub, env);
  const procs = Array.from({ length: runners }, () => Bun.spawn([process.execPath, join(ROOT, 'src/cli.ts'), 'runner', '--quiet', '--data-dir', sub], {
    env: { ...process.env, ...env, ABSTRACTGATEWAY_FLOWS_DIR: join(sub, 'flows'), NO_COLOR: '1' }, stdout: 'ignore', stderr: 'pipe',
  }));
  const db = new SQL(url, { max: 1, database: name });
  try {
    // Wait until every runner is up (each logs `runner active` on stderr).
    await Promise.all(procs.map(async (p) => {
      const dec = new TextDecoder();
      let text = '';
      for await (const chunk of p.stderr) { text += dec.decode(chunk); if (text.includes('runner active')) return; }
      throw new Error(`runner exited: ${text}`);
    }));
    const wal0 = (await db.unsafe('SELECT pg_current_wal_lsn()::text AS l'))[0].l as string;
    const cpu0 = postgresCpuSeconds();
    let started = 0;
    const t0 = performance.now();
    const deadline = t0 + SECONDS * 1000;
    await Promise.all(Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < deadline) { await post(`${server.url}/api/gateway/runs/start`, { bundle_id: 'trivial' }); started++; }
    }));
    for (;;) {
      const running = await get(`${server.url}/api/gateway/runs?status=running&limit=1&include_ledger_len=false`);
      if (!running.items.length) break;
      await Bun.sleep(5);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = postgresCpuSeconds() - cpu0;
    const [row] = await db.unsafe(
      `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::float8 AS wal, pg_total_relation_size('ledger')::float8 AS ledger,
              pg_total_relation_size('runs')::float8 AS runs, (SELECT COUNT(*) FROM runs)::int AS n`, [wal0]);
    return { rate: started / elapsed, runs: row.n, cpuMsPerRun: (cpu * 1000) / row.n, ledgerBytes: row.ledger / row.n, runBytes: row.runs / row.n, walBytes: row.wal / row.n };
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await server.stop();
    await db.close();
    await sa.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await sa.close();
  }
}

export async function postgresFigures(dir: string): Promise<Figure[]> {
  const sqlite = await trivialRuns(`${dir}/sqlite`);
  const admin = await adminUrl();
  try {
    const out: Figure[] = [];
    const by: Record<number, Measured> = {};
    for (const runners of [1, 2, 4]) {
      const m = (by[runners] = await measure(admin.url, dir, runners));
      out.push({
        name: `PostgreSQL: trivial runs started+completed/s (HTTP, ${CLIENTS} clients, 1 API + ${runners} runner process${runners > 1 ? 'es' : ''})`,
        value: q(m.rate, 'runs/s', `${fmt(m.rate)} runs/s`),
        reference: ref('SQLite, one process, same run', sqlite.value.value, 'runs/s', `SQLite one process: ${sqlite.value.text}`),
        ratio: timesRatio(m.rate, sqlite.value.value),
        target: runners > 1 ? `> 1 runner (${fmt(by[1]!.rate)})` : undefined,
        ok: runners > 1 ? m.rate > by[1]!.rate : undefined,
      });
    }
    const m = by[1]!;
    out.push({
      name: 'PostgreSQL: server CPU per trivial run (1 runner), so runs/s per PostgreSQL core',
      value: q(m.cpuMsPerRun, 'ms', `${m.cpuMsPerRun.toFixed(2)} ms (${fmt(1000 / m.cpuMsPerRun)} runs/s per core)`),
      reference: null, ratio: null,
    });
    out.push({
      name: 'PostgreSQL: bytes per trivial run (ledger / run row, tables + indexes; WAL written)',
      value: q(m.ledgerBytes, 'B', `ledger ${fmt(m.ledgerBytes)} B, run row ${fmt(m.runBytes)} B, WAL ${fmt(m.walBytes)} B`),
      reference: null, ratio: null,
    });
    return out;
  } finally {
    await admin.stop();
  }
}
