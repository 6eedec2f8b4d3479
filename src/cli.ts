#!/usr/bin/env bun
// abstractgateway: one binary for the server, the runner and operator tools. Subcommands load lazily so
// `--help` and small tools start fast; only `serve`/`runner` pull in the gateway.
import { defineCommand } from 'citty';
import pkg from '../package.json' with { type: 'json' };
import { runCli } from './cli/main.ts';

export const main = defineCommand({
  meta: { name: 'abstractgateway', version: pkg.version, description: 'Durable run gateway for visual workflows' },
  subCommands: {
    serve: () => import('./cli/serve.ts').then((m) => m.default),
    runner: () => import('./cli/runner.ts').then((m) => m.default),
    bundles: () => import('./cli/bundles.ts').then((m) => m.default),
    runs: () => import('./cli/runs.ts').then((m) => m.default),
    commands: () => import('./cli/commands.ts').then((m) => m.default),
    token: () => import('./cli/token.ts').then((m) => m.default),
    doctor: () => import('./cli/doctor.ts').then((m) => m.default),
    backup: () => import('./cli/backup.ts').then((m) => m.default),
    migrate: () => import('./cli/migrate.ts').then((m) => m.default),
    memory: () => import('./cli/memory.ts').then((m) => m.default),
  },
});

// No top-level await: `bun build --compile --bytecode` emits CommonJS, which does not allow it.
if (import.meta.main) {
  // Long-running commands (serve, runner, tail) keep the event loop alive themselves and exit on signals.
  void runCli(main).then((code) => {
    if (code !== 0) process.exit(code);
  });
}
