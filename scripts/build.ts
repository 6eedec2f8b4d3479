// Builds the single-file executable: `bun build --compile --minify --bytecode src/cli.ts`.
// Embedded: the example bundles (src/cli/seed.ts) and the swagger-ui assets (src/http/docs), both imported
// with `{ type: 'file' }`, and the web console (src/console, bundled first into dist/console/ and embedded with
// `--asset`; src/http/console/routes.ts finds it in Bun.embeddedFiles), so the binary runs from an empty
// directory with no node_modules.
//   bun scripts/build.ts [--outfile dist/abstractgateway] [--target bun-linux-arm64]
// `buildBinary()` is the one build; scripts/build-all.ts calls it once per desktop target (cross-compiling:
// bun fetches each target's runtime from the npm registry on first use and caches it). `prepareAssets()` runs
// the target-independent steps (examples check, console bundle) once before them.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildConsole } from '../src/console/build.ts';
import { packExample } from './make-examples.ts';

const root = join(import.meta.dir, '..');
const consoleDir = 'dist/console';

/** The embedded examples are committed outputs: warn when their sources changed since. */
export function checkExamples(): void {
  for (const id of readdirSync(join(root, 'assets', 'examples'))) {
    const { name, bytes } = packExample(join(root, 'assets', 'examples', id));
    let current: Buffer | null = null;
    try { current = readFileSync(join(root, 'assets', 'bundles', name)); } catch { /* missing */ }
    if (!current || Buffer.compare(current, Buffer.from(bytes)) !== 0) {
      console.warn(`warning: assets/bundles/${name} is out of date; run \`bun scripts/make-examples.ts\``);
    }
  }
}

/** Target-independent inputs of every build: the examples check and the web console's browser bundle. */
export async function prepareAssets(): Promise<void> {
  checkExamples();
  // The web console's browser bundle (no server code in it: its schema imports are type-only).
  const web = await buildConsole();
  mkdirSync(join(root, consoleDir), { recursive: true });
  writeFileSync(join(root, consoleDir, 'app.js'), web.js);
  writeFileSync(join(root, consoleDir, 'app.css'), web.css);
  console.log(`console: ${(web.js.length / 1024).toFixed(0)} KiB js, ${(web.css.length / 1024).toFixed(0)} KiB css`);
}

/** Builds one executable (host platform unless `target`) from prepared assets; exits the process on failure. */
export async function buildBinary(opts: { outfile: string; target?: string }): Promise<{ outfile: string; bytes: number; seconds: number }> {
  const outfile = resolve(root, opts.outfile);
  const cmd = [
    process.execPath, 'build', '--compile', '--minify', '--bytecode',
    ...(opts.target ? [`--target=${opts.target}`] : []),
    'src/cli.ts', '--asset', consoleDir, '--outfile', outfile,
  ];
  console.log(`building ${relative(root, outfile)}${opts.target ? ` for ${opts.target}` : ''} ...`);
  const t0 = performance.now();
  const proc = Bun.spawn(cmd, { cwd: root, stdout: 'inherit', stderr: 'inherit' });
  const code = await proc.exited;
  const secs = (performance.now() - t0) / 1000;
  if (code !== 0) {
    console.error(`build failed (exit ${code}) after ${secs.toFixed(2)} s`);
    process.exit(code || 1);
  }
  const size = statSync(outfile).size;
  console.log(`built ${relative(root, outfile)}: ${(size / 1024 / 1024).toFixed(1)} MiB in ${secs.toFixed(2)} s`);
  return { outfile, bytes: size, seconds: secs };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { outfile: { type: 'string', default: 'dist/abstractgateway' }, target: { type: 'string' } },
  });
  await prepareAssets();
  await buildBinary({ outfile: values.outfile!, target: values.target });
}
