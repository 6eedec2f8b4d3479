// Builds the web console (src/console/main.tsx + styles) for the browser with Bun's bundler, in memory.
// Used twice: by scripts/build.ts (writes dist/console/, embedded into the binary with `--asset`) and, lazily on
// the first /console request, by src/http/console/routes.ts when no embedded copy exists (`npm start`).
// Contract: returns the minified JS and CSS as strings; throws Error with the bundler's messages on failure.
// Nothing here is imported by the server's static import graph (the route imports it dynamically).
import { join } from 'node:path';

export interface ConsoleAssets {
  js: string;
  css: string;
}

export async function buildConsole(): Promise<ConsoleAssets> {
  const result = await Bun.build({
    entrypoints: [join(import.meta.dir, 'main.tsx')],
    target: 'browser',
    format: 'esm',
    minify: true,
    throw: false,
    jsx: { runtime: 'automatic', importSource: 'preact' },
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  if (!result.success) {
    throw new Error(`console build failed: ${result.logs.map((l) => String(l.message ?? l)).join('; ')}`);
  }
  let js = '';
  let css = '';
  for (const out of result.outputs) {
    if (out.path.endsWith('.js')) js += await out.text();
    else if (out.path.endsWith('.css')) css += await out.text();
  }
  if (!js) throw new Error('console build produced no JavaScript');
  return { js, css };
}
