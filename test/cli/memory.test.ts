// `abstractgateway memory list|show|delete` on a real data directory (child process, real SQLite).
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { SqliteStore } from '../../src/store/index.ts';
import { cli, cliJson } from './helpers.ts';

let dir: string;
let spanId: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ag-cli-mem-'));
  const store = SqliteStore.open(loadConfig({}, { dataDir: dir }).dbPath);
  const art = await store.artifacts.putJson({ note: 'remember the milk' }, { runId: 'global_memory', tags: { kind: 'memory_note' } });
  spanId = art.artifact_id;
  const now = new Date().toISOString();
  await store.runs.save({
    run_id: 'global_memory', workflow_id: '__global_memory__', status: 'completed', current_node: 'memory', waiting: null, output: null, error: null,
    vars: { _runtime: { memory_spans: [{ kind: 'memory_note', artifact_id: spanId, created_at: now, note_preview: 'remember the milk' }] } },
    created_at: now, updated_at: now, actor_id: null, session_id: null, parent_run_id: null,
  });
  await store.kg.assert({ scope: 'global', owner_id: 'global', subject: 'milk', predicate: 'is', object: 'white', subject_type: null, object_type: null, confidence: null, valid_from: null, valid_until: null, observed_at: now, span_id: null, run_id: null, attributes: {} });
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('list, show and delete spans and assertions', async () => {
  const spans = await cliJson(['memory', 'list', '--data-dir', dir]);
  expect(spans.items.map((s: any) => [s.owner_run_id, s.span_id, s.preview])).toEqual([['global_memory', spanId, 'remember the milk']]);
  expect((await cliJson(['memory', 'show', 'global_memory', spanId, '--data-dir', dir])).body).toEqual({ note: 'remember the milk' });
  const kg = await cliJson(['memory', 'list', '--kg', '--data-dir', dir]);
  expect(kg.items.map((a: any) => `${a.subject} ${a.predicate} ${a.object}`)).toEqual(['milk is white']);
  const text = await cli(['memory', 'list', '--kg', '--data-dir', dir]);
  expect(text.stdout).toContain('milk is white');
  expect((await cli(['memory', 'delete', '--kg', kg.items[0].assertion_id, '--data-dir', dir])).code).toBe(0);
  expect((await cliJson(['memory', 'list', '--kg', '--data-dir', dir])).items).toEqual([]);
  expect((await cli(['memory', 'delete', 'global_memory', spanId, '--data-dir', dir])).code).toBe(0);
  expect((await cliJson(['memory', 'list', '--data-dir', dir])).items).toEqual([]);
});

test('errors say what to do: unknown span exits 1, a missing span id or a bad enum exits 2', async () => {
  const missing = await cli(['memory', 'show', 'global_memory', 'nope', '--data-dir', dir]);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain("Span 'nope' not found");
  const usage = await cli(['memory', 'delete', 'global_memory', '--data-dir', dir]);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toContain('abstractgateway memory list');
  expect((await cli(['memory', 'list', '--scope', 'galaxy', '--kg', '--data-dir', dir])).code).toBe(2);
});
