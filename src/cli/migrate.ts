// `migrate --from <python data dir>`: import a Python AbstractGateway data directory (file or SQLite backend)
// into this gateway's store. The logic lives in src/migrate/; this file only does flags, progress and output.
import { defineCommand } from 'citty';
import { CliFailure, UsageError, c, configFrom, dataDirArgs, flowsDirArgs, jsonArgs, openStore, printJson } from './common.ts';
import { progressReporter } from './progress.ts';

export default defineCommand({
  meta: { name: 'migrate', description: 'Import a Python AbstractGateway data directory (runs, ledgers, commands, artifacts)' },
  args: {
    from: { type: 'string', valueHint: 'dir', description: 'The Python gateway data directory (file backend and/or gateway.sqlite3)' },
    flows: { type: 'string', valueHint: 'dir', description: "Also install the Python gateway's bundles (its ABSTRACTGATEWAY_FLOWS_DIR) into --flows-dir" },
    ...flowsDirArgs,
    ...dataDirArgs,
    ...jsonArgs,
  },
  async run({ args }) {
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
