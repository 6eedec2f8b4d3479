// Builds the single-file executable: `bun build --compile --minify --bytecode src/cli.ts`.
// Embedded: the example bundles (src/cli/seed.ts), the swagger-ui assets (src/http/docs) and the Pyodide
// runtime of the code-node sandbox (src/sandbox/assets.ts), all imported with `{ type: 'file' }`, so the
// binary runs from an empty directory with no node_modules. The sandbox's worker is a second entrypoint
// (Bun bundles each entrypoint of a compiled executable separately; `new Worker(url)` finds it there).
//   bun scripts/build.ts [--outfile dist/abstractgateway] [--target bun-linux-arm64]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { packExample } from './make-examples.ts';

const root = join(import.meta.dir, '..');
const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { outfile: { type: 'string', default: 'dist/abstractgateway' }, target: { type: 'string' } },
});
const outfile = resolve(root, values.outfile!);

// The embedded examples are committed outputs: warn when their sources changed since.
for (const id of readdirSync(join(root, 'assets', 'examples'))) {
  const { name, bytes } = packExample(join(root, 'assets', 'examples', id));
  let current: Buffer | null = null;
  try { current = readFileSync(join(root, 'assets', 'bundles', name)); } catch { /* missing */ }
  if (!current || Buffer.compare(current, Buffer.from(bytes)) !== 0) {
    console.warn(`warning: assets/bundles/${name} is out of date; run \`bun scripts/make-examples.ts\``);
  }
}

const cmd = [
  process.execPath, 'build', '--compile', '--minify', '--bytecode',
  ...(values.target ? [`--target=${values.target}`] : []),
  'src/cli.ts', 'src/sandbox/python-worker.ts', '--outfile', outfile,
];
console.log(`building ${relative(root, outfile)}${values.target ? ` for ${values.target}` : ''} ...`);
const t0 = performance.now();
const proc = Bun.spawn(cmd, { cwd: root, stdout: 'inherit', stderr: 'inherit' });
const code = await proc.exited;
const secs = ((performance.now() - t0) / 1000).toFixed(2);
if (code !== 0) {
  console.error(`build failed (exit ${code}) after ${secs} s`);
  process.exit(code || 1);
}
const size = statSync(outfile).size;
console.log(`built ${relative(root, outfile)}: ${(size / 1024 / 1024).toFixed(1)} MiB in ${secs} s`);
