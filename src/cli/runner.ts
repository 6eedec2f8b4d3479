// `runner`: the worker half of a split deployment. Ticks runs and applies commands for one data directory,
// with no HTTP server. Only one runner may be active per data directory (a lease in the database): a second
// one waits, says so, and takes over as soon as the active one stops or dies.
import { defineCommand } from 'citty';
import { join } from 'node:path';
import { EXIT, ce, configFrom, dataDirArgs, errMessage, flowsDirArgs, useErrColor } from './common.ts';
import { seedFlows } from './seed.ts';

export default defineCommand({
  meta: { name: 'runner', description: 'Run only the runner (ticks runs, applies commands); pair with `serve --no-runner`' },
  args: {
    'log-format': { type: 'enum', options: ['text', 'json'], valueHint: 'text|json', description: 'Run lifecycle log: text (default on a terminal) or JSON lines (env ABSTRACTGATEWAY_LOG_FORMAT)' },
    quiet: { type: 'boolean', alias: 'q', description: 'No run lifecycle log lines' },
    ...dataDirArgs,
    ...flowsDirArgs,
  },
  async run({ args }) {
    const config = configFrom(args, { runner: true });
    if (config.flowsDir === join(config.dataDir, 'flows')) await seedFlows(config.flowsDir);
    const log = (m: string) => console.error(`${ce.dim(new Date().toISOString())} ${m}`);
    const { createGateway } = await import('../gateway.ts');
    const gw = await createGateway(config, { log });
    for (const n of gw.notices) log(n);
    // The runner ticks the runs in a split deployment: it logs their lifecycle events, as `serve` does.
    const { ServerLog, pickLogFormat } = await import('../http/logging/index.ts');
    const runLog = new ServerLog({ format: (args['log-format'] as 'text' | 'json' | undefined) ?? pickLogFormat(process.env.ABSTRACTGATEWAY_LOG_FORMAT, !!process.stderr.isTTY), quiet: !!args.quiet, color: useErrColor });
    if (runLog.enabled) runLog.observe(gw.store);

    let stopping = false;
    let wake: (() => void) | null = null;
    const shutdown = async (sig: string) => {
      if (stopping) process.exit(EXIT.FAIL);
      stopping = true;
      log(`${sig}: stopping the runner (finishing in-flight steps; Ctrl-C again to force)`);
      wake?.();
      try {
        await gw.close();
        log('runner stopped');
        process.exit(EXIT.OK);
      } catch (err) {
        log(`error while stopping: ${errMessage(err)}`);
        process.exit(EXIT.FAIL);
      }
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));

    const holder = async () => {
      const row = await gw.store.lease.holder(Date.now());
      return row ? `${row.host} pid ${row.pid}` : 'another process';
    };
    const sleep = (ms: number) => new Promise<void>((r) => { const t = setTimeout(r, ms); wake = () => { clearTimeout(t); r(); }; });
    // Supervise: take the lease or wait for it; if it is ever lost (e.g. this process was suspended past the
    // lease), go back to waiting instead of exiting.
    let waited = false;
    while (!stopping) {
      if (!(await gw.runner.start())) {
        if (!waited) log(`waiting: the runner for ${config.dataDir} is held by ${await holder()}; this process takes over when it stops`);
        waited = true;
        await sleep(1000);
        continue;
      }
      log(`${waited ? 'took over: ' : ''}runner active for ${config.dataDir} (pid ${process.pid}, ${gw.registry.bundleIds().length} bundles in ${config.flowsDir})`);
      waited = false;
      while (!stopping && gw.runner.active) await sleep(1000);
      if (!stopping) log('runner lease lost; waiting to take it back');
    }
  },
});
