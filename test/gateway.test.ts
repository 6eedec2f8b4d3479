// The runner process must not load the HTTP stack (as the reference: importing the runner does not import the web
// framework): walk the static import graph of the core composition root. Below: the whole layer table, and the
// floating-promise check over src/ (the project has no linter: this guards the async store against a forgotten await).
import { expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { floatingPromises } from '../scripts/check-promises.ts';

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

// ---- the layer table of docs/architecture.md, as a test ------------------------------------------------------
// Every static import (type-only ones included) between two parts of src/ must be allowed here; a violation
// fails with the offending file and import. Keep this table and the one in docs/architecture.md in step.

const SRC = resolve(import.meta.dir, '../src');
/** part → the parts it may import (besides itself). A part is a top-level folder or file of src/. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  model: [],
  util: ['model'],
  'config.ts': ['model', 'util'],
  auth: ['model', 'util'],
  store: ['model', 'util'],
  runtime: ['model', 'util', 'store'],
  features: ['model', 'util', 'store', 'runtime'],
  sandbox: ['model', 'util', 'config.ts'],
  flow: ['model', 'util', 'runtime/types.ts', 'sandbox'],
  llm: ['model', 'util', 'runtime'],
  migrate: ['model', 'util', 'store', 'flow'],
  memory: ['model', 'util', 'config.ts', 'store', 'runtime', 'llm'],
  telegram: ['model', 'util', 'config.ts', 'store', 'runtime', 'flow', 'llm'],
  /** Browser code: type-only imports of the HTTP schemas. */
  console: ['http'],
  'gateway.ts': ['model', 'util', 'config.ts', 'store', 'runtime', 'features', 'flow', 'llm', 'sandbox', 'memory', 'telegram'],
  http: ['model', 'util', 'config.ts', 'auth', 'store', 'runtime', 'features', 'flow', 'llm', 'sandbox', 'memory', 'telegram', 'console/build.ts'],
  'serve.ts': ['model', 'util', 'config.ts', 'auth', 'store', 'runtime', 'features', 'flow', 'llm', 'sandbox', 'memory', 'telegram', 'gateway.ts', 'http'],
  cli: ['model', 'util', 'config.ts', 'auth', 'store', 'runtime', 'features', 'flow', 'llm', 'sandbox', 'memory', 'telegram', 'migrate', 'gateway.ts', 'http', 'serve.ts', 'console'],
  'cli.ts': ['cli'],
};

/**
 * Known violations, each to be removed by moving the shared shape into src/model/: a new one fails the test.
 * (The flow-snapshot table implements an interface the flow layer declares.)
 */
const KNOWN_VIOLATIONS = new Set([
  'store/flow-snapshots.ts imports ../flow/bundle/flowdoc.ts (flow is not below store)',
  'store/flow-snapshots.ts imports ../flow/visualflow/snapshots.ts (flow is not below store)',
]);

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function srcFiles(): string[] {
  return [...new Bun.Glob('**/*.{ts,tsx}').scanSync(SRC)].map((f) => resolve(SRC, f));
}

/** `runtime/types.ts` → ['runtime', 'runtime/types.ts']: the part and the file, for rules naming either. */
function partsOf(file: string): { part: string; path: string } | null {
  const rel = file.slice(SRC.length + 1);
  if (rel.startsWith('..') || rel === file) return null;
  return { part: rel.split('/')[0]!, path: rel };
}

/** Violations in src/ (plus `extra` files given as path → source, to test the check itself). */
function layerViolations(extra: Record<string, string> = {}): string[] {
  const out: string[] = [];
  const sources = new Map<string, string>(srcFiles().map((f) => [f, readFileSync(f, 'utf8')]));
  for (const [rel, text] of Object.entries(extra)) sources.set(resolve(SRC, rel), text);
  for (const [file, text] of sources) {
    const from = partsOf(file)!;
    const allowed = MAY_IMPORT[from.part];
    if (!allowed) { out.push(`${from.path}: part '${from.part}' is not in the layer table`); continue; }
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2]!;
      const target = resolve(dirname(file), spec);
      if (!target.startsWith(SRC + '/')) continue; // package.json, assets
      const to = partsOf(target)!;
      if (to.part === from.part) continue;
      if (allowed.includes(to.part) || allowed.includes(to.path)) continue;
      const v = `${from.path} imports ${spec} (${to.part} is not below ${from.part})`;
      if (!KNOWN_VIOLATIONS.has(v) && !out.includes(v)) out.push(v);
    }
  }
  return out;
}

test('every import follows the layer table (docs/architecture.md)', () => {
  expect(layerViolations()).toEqual([]);
});

test('the run model is a leaf: src/model/ imports nothing else from src/', () => {
  for (const file of srcFiles().filter((f) => partsOf(f)!.part === 'model')) {
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT_RE)) {
      expect(`${partsOf(file)!.path} -> ${m[1] ?? m[2]}`).toMatch(/ -> \.\/[a-z-]+\.ts$/);
    }
  }
});

test('the layer check catches a violation (type-only imports too) and names the import', () => {
  expect(layerViolations({
    'store/probe.ts': "import type { Runtime } from '../runtime/runtime.ts';\n",
    'flow/engine/probe.ts': "export { AGENT_WORKFLOW_ID } from '../../llm/agent.ts';\n",
  })).toEqual([
    'store/probe.ts imports ../runtime/runtime.ts (runtime is not below store)',
    'flow/engine/probe.ts imports ../../llm/agent.ts (llm is not below flow)',
  ]);
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

// ---- no floating promises in src/ ------------------------------------------------------------------------------
// The store is asynchronous: a store call whose promise is dropped would run outside its transaction (and its
// failure would go unseen). Every promise in src/ is awaited, returned, chained or explicitly discarded with `void`.

test('src/ has no floating promises (scripts/check-promises.ts)', () => {
  const root = resolve(import.meta.dir, '..'); // absolute: the test may run from another directory
  expect(floatingPromises([`${root}/src`], `${root}/tsconfig.json`)).toEqual([]);
}, 60_000);
