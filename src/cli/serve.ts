// `serve`: the HTTP API, plus the runner unless --no-runner (split deployment: `serve --no-runner` next to one
// `runner` process on the same data directory). Shuts down cleanly on SIGINT/SIGTERM.
import { defineCommand } from 'citty';
import { join } from 'node:path';
import { CliFailure, EXIT, configFrom, dataDirArgs, errMessage, flowsDirArgs, intArg, useErrColor } from './common.ts';
import { seedFlows } from './seed.ts';

const portInUse = (host: string, port: number) =>
  new CliFailure(`Port ${port} on ${host} is already in use`, 'Pick another with --port (0 = any free port), or stop the process using it (`abstractgateway doctor` checks this).');

export default defineCommand({
  meta: { name: 'serve', description: 'Run the gateway HTTP API (and the runner, unless --no-runner)' },
  args: {
    host: { type: 'string', valueHint: 'host', description: 'Interface to bind (env ABSTRACTGATEWAY_HOST; default 127.0.0.1)' },
    port: { type: 'string', alias: 'p', valueHint: 'port', description: 'Port, 0 = any free port (env ABSTRACTGATEWAY_PORT; default 8080)' },
    runner: { type: 'boolean', default: true, description: 'Also run the runner in this process', negativeDescription: 'API only: runs are ticked by a separate `abstractgateway runner`' },
    'log-format': { type: 'enum', options: ['text', 'json'], valueHint: 'text|json', description: 'Server log: text (default on a terminal) or JSON lines (default otherwise; env ABSTRACTGATEWAY_LOG_FORMAT)' },
    quiet: { type: 'boolean', alias: 'q', description: 'No request or run log lines (start-up lines and errors still print)' },
    ...dataDirArgs,
    ...flowsDirArgs,
  },
  async run({ args, rawArgs }) {
    const port = intArg('port', args.port, 0, 65535);
    // Only an explicit --runner/--no-runner overrides ABSTRACTGATEWAY_RUNNER (citty fills in the default).
    const runnerFlag = rawArgs.includes('--no-runner') ? false : rawArgs.includes('--runner') ? true : undefined;
    const config = configFrom(args, { host: args.host?.trim() || undefined, port, runner: runnerFlag });
    if (config.flowsDir === join(config.dataDir, 'flows')) {
      const seeded = await seedFlows(config.flowsDir);
      if (seeded.length) console.error(`First run: installed example bundles into ${config.flowsDir}: ${seeded.join(', ')}`);
    }
    const { serveGateway } = await import('../serve.ts');
    let served: Awaited<ReturnType<typeof serveGateway>>;
    try {
      served = await serveGateway(config, {
        serverLog: { format: args['log-format'] as 'text' | 'json' | undefined, quiet: !!args.quiet, color: useErrColor },
      });
    } catch (e) {
      const msg = errMessage(e);
      if (/EADDRINUSE|address already in use|port .* in use/i.test(msg) || (e as NodeJS.ErrnoException)?.code === 'EADDRINUSE') {
        throw portInUse(config.host, config.port);
      }
      if (/auth token|Refusing to start/i.test(msg)) {
        // The refusal ends with how to fix it ("Generate one with …"): that part is the hint line.
        const at = msg.indexOf('Generate one');
        throw new CliFailure(at > 0 ? msg.slice(0, at).trim() : msg, at > 0 ? msg.slice(at) : 'See docs/operations.md (security).', EXIT.USAGE);
      }
      throw e;
    }
    let stopping = false;
    const shutdown = async (sig: string) => {
      if (stopping) process.exit(EXIT.FAIL); // second signal: stop waiting
      stopping = true;
      console.error(`${sig}: stopping (finishing in-flight steps; press Ctrl-C again to force)`);
      try {
        await served.stop();
        process.exit(EXIT.OK);
      } catch (err) {
        console.error(`error while stopping: ${errMessage(err)}`);
        process.exit(EXIT.FAIL);
      }
    };
    process.on('SIGINT', () => void shutdown('SIGINT'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
  },
});
