// `migrate --from <python data dir>`: import a Python AbstractGateway data directory (file or SQLite backend)
// into this gateway's store. `migrate --to <postgres url>`: copy this data directory's SQLite database (runs,
// ledgers with their hashes, commands with outcomes and the cursor, artifacts) into PostgreSQL. The logic lives
// in src/migrate/; this file only does flags, progress and output.
import { defineCommand } from 'citty';
import { CliFailure, UsageError, c, configFrom, dataDirArgs, flowsDirArgs, jsonArgs, openStore, printJson } from './common.ts';
import { existsSync } from 'node:fs';
import { progressReporter } from './progress.ts';

export default defineCommand({
  meta: { name: 'migrate', description: 'Import a Python AbstractGateway data directory, or copy this data directory into PostgreSQL (--to)' },
  args: {
    to: { type: 'string', valueHint: 'postgres-url', description: "Copy --data-dir's SQLite database into this PostgreSQL database (idempotent)" },
    from: { type: 'string', valueHint: 'dir', description: 'The Python gateway data directory (file backend and/or gateway.sqlite3)' },
    flows: { type: 'string', valueHint: 'dir', description: "Also install the Python gateway's bundles (its ABSTRACTGATEWAY_FLOWS_DIR) into --flows-dir" },
    ...flowsDirArgs,
    ...dataDirArgs,
    ...jsonArgs,
  },
  async run({ args }) {
    if (args.from && args.to) throw new UsageError('--from and --to are two different migrations', 'Import a Python data dir with --from, or copy this data dir into PostgreSQL with --to, one at a time.');
    if (args.to) return copyToPostgres(args.to, args);
    if (!args.from) throw new UsageError('--from <dir> is required', 'Example: abstractgateway migrate --from ./runtime --data-dir ~/.local/share/abstractgateway');
    const config = configFrom(args);
    const { migrate, MigrateError } = await import('../migrate/index.ts');
    const store = await openStore(config);
    const bar = progressReporter(process.stderr, { quiet: !!args.json });
    const state = new Map<string, number>();
    try {
      if (!args.json) process.stderr.write(`Importing ${args.from} into ${store.backend === 'sqlite' ? config.dataDir : `${store.backend} ${store.location}`}\n`);
      const summary = await migrate({
        from: args.from,
        store,
        onProgress: ({ phase, done, total }) => {
          const key = `${phase}`;
          if (done >= total) {
            if (state.get(key) !== total) bar.finish(phase, done, total);
            state.set(key, total);
          } else bar.update(phase, done, total);
        },
      });
      let bundles: import('../migrate/bundles.ts').BundleImport | null = null;
      if (args.flows) {
        const [{ importBundles }, { BundleRegistry }] = await Promise.all([import('../migrate/bundles.ts'), import('../flow/bundle/registry.ts')]);
        const registry = new BundleRegistry({ flowsDir: config.flowsDir, dataDir: config.dataDir });
        registry.reload();
        bundles = importBundles(args.flows, registry);
      }
      if (args.json) return printJson({ ...summary, bundles });
      const s = summary;
      const out = [
        '',
        c.bold('Migration summary'),
        `  sources    ${s.sources.map((x) => `${x.kind} (${x.location})`).join(', ')}`,
        `  runs       ${s.runs.imported} imported, ${s.runs.updated} updated, ${s.runs.unchanged} unchanged`,
        `  ledger     ${s.ledger.records} records imported into ${s.ledger.runs} runs, ${s.ledger.unchanged} already present`,
        `  commands   ${s.commands.imported} imported, ${s.commands.unchanged} already present`,
        `  cursor     gateway_runner ${s.cursor.before} -> ${s.cursor.after}${s.cursor.source === null ? ' (no source cursor)' : ` (source ${s.cursor.source})`}`,
        `  artifacts  ${s.artifacts.imported} imported, ${s.artifacts.unchanged} already present`,
        ...(bundles ? [`  bundles    ${bundles.installed.length} installed into ${config.flowsDir}, ${bundles.unchanged.length} already there${bundles.skipped.length ? `, ${bundles.skipped.length} skipped` : ''}`,
          ...bundles.skipped.map((b) => `    ${c.yellow(b.where)}: ${b.reason}`)] : []),
        `  skipped    ${s.skipped.length}`,
        ...s.skipped.slice(0, 50).map((b) => `    ${c.yellow(b.where)}: ${b.reason}`),
        ...(s.skipped.length > 50 ? [`    ... and ${s.skipped.length - 50} more (use --json for all)`] : []),
        `  took       ${s.duration_ms} ms`,
        '',
        'Ledger hashes were recomputed on import (see docs/operations.md). Start the gateway on the new data dir:',
        `  abstractgateway serve --data-dir ${config.dataDir}`,
      ];
      process.stdout.write(out.join('\n') + '\n');
    } catch (err) {
      if (err instanceof MigrateError) throw new CliFailure(err.message, err.hint);
      throw err;
    } finally {
      await store.close();
    }
  },
});

/** `migrate --to <url>`: this data directory's SQLite database into PostgreSQL, through the store contract. */
async function copyToPostgres(url: string, args: Record<string, unknown>): Promise<void> {
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new UsageError(`--to ${JSON.stringify(url)} is not a PostgreSQL URL`, 'Example: abstractgateway migrate --to postgres://user:pass@db:5432/gateway --data-dir ./runtime');
  }
  const config = configFrom(args as never);
  if (!existsSync(config.dbPath)) throw new CliFailure(`No database at ${config.dbPath}`, 'Point --data-dir at the data directory to copy (the one `serve` uses).');
  const [{ copyStore }, { openStore: open }] = await Promise.all([import('../migrate/to-store.ts'), import('../store/index.ts')]);
  const from = await open({ backend: 'sqlite', dbPath: config.dbPath, artifactsDir: `${config.dataDir}/artifacts` });
  let to;
  try {
    to = await open({ backend: 'postgres', databaseUrl: url, poolMax: 4 });
  } catch (err) {
    await from.close();
    throw new CliFailure(`Cannot open ${redact(url)}: ${err instanceof Error ? err.message : String(err)}`, 'Check the URL, that the server is up and that the user may create tables in that database.');
  }
  const bar = progressReporter(process.stderr, { quiet: !!args.json });
  try {
    if (!args.json) process.stderr.write(`Copying ${config.dbPath} into ${to.location}\n`);
    const s = await copyStore({
      from, to,
      onProgress: ({ phase, done, total }) => (done >= total ? bar.finish(phase, done, total) : bar.update(phase, done, total)),
    });
    if (args.json) return printJson(s);
    const out = [
      '',
      c.bold('Copy summary'),
      `  from       ${s.from}`,
      `  to         ${s.to}`,
      `  runs       ${s.runs.copied} copied, ${s.runs.updated} updated, ${s.runs.unchanged} unchanged${s.runs.kept_newer ? `, ${s.runs.kept_newer} newer in the target (kept)` : ''}`,
      `  ledger     ${s.ledger.records} records copied into ${s.ledger.runs} runs, ${s.ledger.unchanged} already present (hashes kept)`,
      ...(s.ledger.diverged.length ? [`  ${c.yellow('diverged')}   ${s.ledger.diverged.length} ledgers differ in the target and were left alone: ${s.ledger.diverged.slice(0, 5).join(', ')}`] : []),
      `  commands   ${s.commands.copied} copied, ${s.commands.unchanged} already present`,
      `  cursor     ${s.cursor.before} -> ${s.cursor.after}`,
      `  artifacts  ${s.artifacts.copied} copied, ${s.artifacts.unchanged} already present`,
      `  took       ${s.duration_ms} ms`,
      '',
      'Run the gateway on PostgreSQL (docs/scaling.md):',
      `  ABSTRACTGATEWAY_STORE_BACKEND=postgres ABSTRACTGATEWAY_DATABASE_URL='${redact(url)}' abstractgateway serve`,
    ];
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    await from.close();
    await to.close();
  }
}

const redact = (url: string): string => url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
