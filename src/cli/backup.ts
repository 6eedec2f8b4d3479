// `backup <file>`: a consistent copy of the database while the gateway keeps running (VACUUM INTO, WAL-safe).
import { defineCommand } from 'citty';
import { existsSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliFailure, configFrom, dataDirArgs, errMessage, jsonArgs, openStore, printJson } from './common.ts';

export default defineCommand({
  meta: { name: 'backup', description: 'Write an online, consistent copy of the gateway database to FILE' },
  args: {
    file: { type: 'positional', required: true, description: 'Destination file (must not exist unless --overwrite)' },
    overwrite: { type: 'boolean', description: 'Replace FILE if it exists' },
    ...dataDirArgs,
    ...jsonArgs,
  },
  async run({ args }) {
    const dest = resolve(args.file);
    if (existsSync(dest)) {
      if (!args.overwrite) throw new CliFailure(`${dest} already exists`, 'Choose a new file name, or pass --overwrite.');
      rmSync(dest);
    }
    const config = configFrom(args);
    const store = await openStore(config, { mustExist: true });
    const t0 = performance.now();
    try {
      store.backup(dest);
    } catch (e) {
      throw new CliFailure(`Backup failed: ${errMessage(e)}`, 'Check that the destination directory exists and is writable.');
    } finally {
      store.close();
    }
    const ms = Math.round(performance.now() - t0);
    const size = statSync(dest).size;
    if (args.json) return printJson({ ok: true, file: dest, bytes: size, duration_ms: ms });
    process.stdout.write(`Backed up ${config.dbPath} to ${dest} (${(size / 1024).toFixed(1)} KiB in ${ms} ms)\n`);
    process.stdout.write(`Artifacts are files: copy ${config.dataDir}/artifacts too (blobs are immutable, so rsync is safe while running).\n`);
  },
});
