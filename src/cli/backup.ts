// `backup <file>`: a consistent copy of the SQLite database while the gateway keeps running (VACUUM INTO,
// WAL-safe). On PostgreSQL the data (artifact bytes included) lives in the database: this command explains how
// to use `pg_dump` instead and exits 2.
import { defineCommand } from 'citty';
import { existsSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SqliteStore } from '../store/index.ts';
import { CliFailure, EXIT, configFrom, dataDirArgs, errMessage, jsonArgs, openStore, printJson } from './common.ts';

export default defineCommand({
  meta: { name: 'backup', description: 'Write an online, consistent copy of the gateway database to FILE' },
  args: {
    file: { type: 'positional', required: true, description: 'Destination file (must not exist unless --overwrite)' },
    overwrite: { type: 'boolean', description: 'Replace FILE if it exists' },
    ...dataDirArgs,
    ...jsonArgs,
  },
  async run({ args }) {
    const config = configFrom(args);
    if (config.storeBackend === 'postgres') {
      const { redactUrl } = await import('../store/postgres/index.ts');
      const url = config.databaseUrl ? redactUrl(config.databaseUrl) : '<ABSTRACTGATEWAY_DATABASE_URL>';
      throw new CliFailure(
        `backup copies SQLite databases only; this gateway stores its data (runs, ledgers, commands and artifact bytes) in PostgreSQL at ${url}`,
        `Back it up with PostgreSQL's own tools while the gateway runs: pg_dump "${url}" > ${args.file} ` +
          `(restore with psql "<url>" < ${args.file}; or pg_dump -Fc, then pg_restore). Nothing else to copy: artifacts are in the database.` +
          (url !== config.databaseUrl && config.databaseUrl ? ' The password is left out above: give it through PGPASSWORD or ~/.pgpass.' : ''),
        EXIT.USAGE,
      );
    }
    const dest = resolve(args.file);
    if (existsSync(dest)) {
      if (!args.overwrite) throw new CliFailure(`${dest} already exists`, 'Choose a new file name, or pass --overwrite.');
      rmSync(dest);
    }
    const store = await openStore(config, { mustExist: true });
    const t0 = performance.now();
    try {
      (store as SqliteStore).backup(dest);
    } catch (e) {
      throw new CliFailure(`Backup failed: ${errMessage(e)}`, 'Check that the destination directory exists and is writable.');
    } finally {
      await store.close();
    }
    const ms = Math.round(performance.now() - t0);
    const size = statSync(dest).size;
    if (args.json) return printJson({ ok: true, file: dest, bytes: size, duration_ms: ms });
    process.stdout.write(`Backed up ${config.dbPath} to ${dest} (${(size / 1024).toFixed(1)} KiB in ${ms} ms)\n`);
    process.stdout.write(`Artifacts are files: copy ${config.dataDir}/artifacts too (blobs are immutable, so rsync is safe while running).\n`);
  },
});
