// The runner process must not load the HTTP stack (as the reference: importing the runner does not import the web
// framework): walk the static import graph of the core composition root.
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

function importGraph(entry: string): Set<string> {
  const transpiler = new Bun.Transpiler({ loader: 'ts' });
  const seen = new Set<string>();
  const stack = [resolve(entry)];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.endsWith('.ts')) continue; // json and embedded asset imports
    for (const imp of transpiler.scanImports(readFileSync(file, 'utf8'))) {
      if (imp.kind === 'dynamic-import') continue; // lazy imports do not load with the module
      if (imp.path.startsWith('.')) stack.push(resolve(dirname(file), imp.path));
      else seen.add(`pkg:${imp.path}`);
    }
  }
  return seen;
}

test('src/gateway.ts (used by the runner command) does not import Elysia or src/http', () => {
  const graph = [...importGraph(`${import.meta.dir}/../src/gateway.ts`)];
  expect(graph.some((f) => f.includes('src/runtime/runner.ts'))).toBe(true);
  expect(graph.filter((f) => f.startsWith('pkg:elysia') || f.startsWith('pkg:@elysiajs') || f.includes('/src/http/'))).toEqual([]);
});

test('src/serve.ts adds the HTTP stack', () => {
  const graph = [...importGraph(`${import.meta.dir}/../src/serve.ts`)];
  expect(graph).toContain('pkg:elysia');
});

test('the web console stays out of the runner and out of the server start-up graph', () => {
  const runner = [...importGraph(`${import.meta.dir}/../src/gateway.ts`)];
  expect(runner.filter((f) => f.includes('/src/console/') || f.startsWith('pkg:preact'))).toEqual([]);
  // The server reaches src/console only through a lazy import (the on-demand build when nothing is embedded).
  const serve = [...importGraph(`${import.meta.dir}/../src/serve.ts`)];
  expect(serve.some((f) => f.endsWith('src/http/console/routes.ts'))).toBe(true);
  expect(serve.filter((f) => f.includes('/src/console/') || f.startsWith('pkg:preact'))).toEqual([]);
});

test('the console bundle imports no server module (its schema imports are type-only)', () => {
  const transpiler = new Bun.Transpiler({ loader: 'tsx', tsconfig: { compilerOptions: { jsx: 'react-jsx', jsxImportSource: 'preact' } } });
  const seen = new Set<string>();
  const stack = [resolve(`${import.meta.dir}/../src/console/main.tsx`)];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file) || !/\.tsx?$/.test(file)) continue;
    seen.add(file);
    for (const imp of transpiler.scanImports(readFileSync(file, 'utf8'))) {
      if (imp.path.startsWith('.')) stack.push(resolve(dirname(file), imp.path));
      else seen.add(`pkg:${imp.path}`);
    }
  }
  // (The transpiler adds its own JSX runtime import; the real build maps JSX to preact, see src/console/build.ts.)
  const outside = [...seen].filter((f) => !f.includes('/src/console/') && !f.startsWith('pkg:preact') && f !== 'pkg:react');
  expect(outside).toEqual([]);
  expect([...seen].some((f) => f.endsWith('src/console/views/run.tsx'))).toBe(true);
});
