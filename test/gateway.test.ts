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
