// `npm run build:all`: one executable per desktop platform, cross-compiled from this machine with the same
// build as `npm run build` (scripts/build.ts buildBinary: same entry, same embedded examples and assets).
//   dist/abstractgateway-linux-x64, -linux-arm64, -darwin-x64, -darwin-arm64, -windows-x64.exe
// Sequential on purpose (each build is CPU-bound). `--only linux-arm64,darwin-arm64` builds a subset.
import { parseArgs } from 'node:util';
import { buildBinary, prepareAssets } from './build.ts';

export const TARGETS = [
  { name: 'linux-x64', target: 'bun-linux-x64', file: 'abstractgateway-linux-x64' },
  { name: 'linux-arm64', target: 'bun-linux-arm64', file: 'abstractgateway-linux-arm64' },
  { name: 'darwin-x64', target: 'bun-darwin-x64', file: 'abstractgateway-darwin-x64' },
  { name: 'darwin-arm64', target: 'bun-darwin-arm64', file: 'abstractgateway-darwin-arm64' },
  { name: 'windows-x64', target: 'bun-windows-x64', file: 'abstractgateway-windows-x64.exe' },
] as const;

if (import.meta.main) {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { only: { type: 'string' }, dir: { type: 'string', default: 'dist' } } });
  const only = values.only ? new Set(values.only.split(',').map((s) => s.trim())) : null;
  const unknown = [...(only ?? [])].filter((n) => !TARGETS.some((t) => t.name === n));
  if (unknown.length) {
    console.error(`unknown target(s): ${unknown.join(', ')}; valid: ${TARGETS.map((t) => t.name).join(', ')}`);
    process.exit(2);
  }
  await prepareAssets();
  const t0 = performance.now();
  for (const t of TARGETS) if (!only || only.has(t.name)) await buildBinary({ outfile: `${values.dir}/${t.file}`, target: t.target });
  console.log(`all done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
