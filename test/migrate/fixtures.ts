// Builds Python AbstractGateway data directories by hand, following the documented layouts
// (docs/operations.md "Configuration", docs/runtime.md "Ledger"): file backend and the Python SQLite schema.
import { Database } from 'bun:sqlite';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../../src/util/json.ts';

export const RUN_A = '0b7c3c0e-4a55-4b1a-9c55-3f0d5d1a6a10';
export const RUN_B = '5f0c2a11-1111-4222-8333-944455556666';

export function pyRun(runId: string, over: Record<string, unknown> = {}) {
  return {
    run_id: runId,
    workflow_id: 'basic@dev:node-flow',
    status: 'waiting',
    current_node: 'node-2',
    vars: { prompt: 'hi', _runtime: {}, _limits: { max_iterations: 25 } },
    waiting: {
      reason: 'user', wait_key: `user:${runId}:node-2`, until: null, resume_to_node: 'node-2', result_key: '_temp.node-2',
      prompt: 'who are you ?', choices: [], allow_free_text: true, details: null,
    },
    output: null,
    error: null,
    created_at: '2026-02-05T09:43:49.100000+00:00',
    updated_at: '2026-02-05T09:43:49.200000+00:00',
    actor_id: 'gateway',
    session_id: runId,
    parent_run_id: null,
    ...over,
  };
}

export function pyRecord(runId: string, i: number, status = 'completed') {
  return {
    run_id: runId, step_id: `step-${i}`, node_id: `node-${i}`, status,
    effect: { type: 'answer_user', payload: { message: `m${i}`, level: 'message' }, result_key: null },
    result: { message: `m${i}` }, error: null,
    started_at: '2026-02-05T09:43:49.100000+00:00', ended_at: '2026-02-05T09:43:49.101000+00:00',
    actor_id: 'gateway', session_id: runId, attempt: 1, idempotency_key: `k${i}`,
    prev_hash: null, record_hash: null, signature: null,
  };
}

export function pyCommand(seq: number, runId: string, type = 'pause') {
  return { seq, command_id: `cmd-${seq}`, run_id: runId, type, payload: { reason: 'operator' }, ts: '2026-02-05T09:44:00+00:00', client_id: 'web' };
}

const BLOB = new TextEncoder().encode('hello artifact');
export const BLOB_ID = sha256Hex(BLOB);
export const LEGACY_BYTES = new TextEncoder().encode('{"legacy":true}');

/** Artifacts in both layouts: refs+blobs, and one legacy `<id>.bin|.meta`. */
export function writeArtifacts(dir: string): void {
  mkdirSync(join(dir, 'artifacts', 'blobs'), { recursive: true });
  mkdirSync(join(dir, 'artifacts', 'refs'), { recursive: true });
  writeFileSync(join(dir, 'artifacts', 'blobs', `${BLOB_ID}.bin`), BLOB);
  writeFileSync(join(dir, 'artifacts', 'refs', 'art1.meta'), JSON.stringify({
    artifact_id: 'art1', content_type: 'text/plain', size_bytes: BLOB.length, created_at: '2026-02-05T09:00:00.000000+00:00',
    blob_id: BLOB_ID, run_id: RUN_A, tags: { kind: 'text' },
  }));
  // a ref whose blob is gone: must be reported, not crash
  writeFileSync(join(dir, 'artifacts', 'refs', 'lost.meta'), JSON.stringify({ artifact_id: 'lost', blob_id: 'a'.repeat(64), content_type: 'text/plain' }));
  writeFileSync(join(dir, 'artifacts', 'legacy1.bin'), LEGACY_BYTES);
  writeFileSync(join(dir, 'artifacts', 'legacy1.meta'), JSON.stringify({
    artifact_id: 'legacy1', content_type: 'application/json', size_bytes: LEGACY_BYTES.length, created_at: '2025-12-01T00:00:00+00:00', run_id: null, tags: {},
  }));
}

/** A file-backend data dir: 2 runs (+1 broken), ledgers with a bad line, commands with a bad line, cursor, artifacts. */
export function writeFileBackend(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `run_${RUN_A}.json`), JSON.stringify(pyRun(RUN_A), null, 2));
  writeFileSync(join(dir, `run_${RUN_B}.json`), JSON.stringify(pyRun(RUN_B, {
    status: 'waiting', waiting: { reason: 'until', wait_key: null, until: '2026-02-05T10:00:00+00:00', resume_to_node: 'node-3' },
  }), null, 2));
  writeFileSync(join(dir, 'run_broken.json'), '{"run_id": "broken", ');
  const ledgerA = [JSON.stringify(pyRecord(RUN_A, 1, 'started')), JSON.stringify(pyRecord(RUN_A, 1)), 'this is not json', '',
    JSON.stringify(pyRecord(RUN_A, 2))];
  writeFileSync(join(dir, `ledger_${RUN_A}.jsonl`), ledgerA.join('\n') + '\n');
  // two records glued on one line (crash artefact) count as two
  writeFileSync(join(dir, `ledger_${RUN_B}.jsonl`), JSON.stringify(pyRecord(RUN_B, 1)) + JSON.stringify(pyRecord(RUN_B, 2)) + '\n');
  writeFileSync(join(dir, 'commands.jsonl'), [pyCommand(1, RUN_A), pyCommand(2, RUN_A, 'resume'), '{"seq": 3, "run_id": "x"}', pyCommand(4, RUN_B, 'cancel')]
    .map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n') + '\n');
  writeFileSync(join(dir, 'commands_cursor.json'), JSON.stringify({ cursor: 2, updated_at: '2026-02-05T09:45:00+00:00' }));
  writeArtifacts(dir);
}

/** The Python SQLite backend schema (docs/operations.md "Configuration"), filled with the same kind of data. */
export function writeSqliteBackend(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, 'gateway.sqlite3'), { create: true });
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(`
    CREATE TABLE runs(run_id TEXT PRIMARY KEY, workflow_id TEXT NOT NULL, status TEXT NOT NULL, wait_reason TEXT, wait_until TEXT,
      parent_run_id TEXT, actor_id TEXT, session_id TEXT, created_at TEXT, updated_at TEXT, run_json TEXT NOT NULL);
    CREATE TABLE wait_index(run_id TEXT PRIMARY KEY, next_due_iso TEXT NOT NULL, updated_at_iso TEXT NOT NULL, status TEXT);
    CREATE TABLE ledger(run_id TEXT NOT NULL, seq INTEGER NOT NULL, record_json TEXT NOT NULL, PRIMARY KEY(run_id, seq));
    CREATE TABLE ledger_heads(run_id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);
    CREATE TABLE commands(seq INTEGER PRIMARY KEY AUTOINCREMENT, command_id TEXT NOT NULL UNIQUE, run_id TEXT NOT NULL, type TEXT NOT NULL,
      payload_json TEXT NOT NULL, ts TEXT NOT NULL, client_id TEXT);
    CREATE TABLE command_cursors(consumer_id TEXT PRIMARY KEY, cursor INTEGER NOT NULL, updated_at TEXT NOT NULL);
  `);
  const addRun = db.query('INSERT INTO runs (run_id, workflow_id, status, created_at, updated_at, run_json) VALUES (?, ?, ?, ?, ?, ?)');
  const a = pyRun(RUN_A, { status: 'completed', waiting: null, output: { answer: 42 } });
  addRun.run(RUN_A, a.workflow_id, a.status, a.created_at, a.updated_at, JSON.stringify(a));
  addRun.run('bad-run', 'w', 'running', '', '', '{not json');
  const addRec = db.query('INSERT INTO ledger (run_id, seq, record_json) VALUES (?, ?, ?)');
  for (let i = 1; i <= 3; i++) addRec.run(RUN_A, i, JSON.stringify(pyRecord(RUN_A, i)));
  addRec.run(RUN_A, 4, 'garbage');
  db.query('INSERT INTO ledger_heads VALUES (?, ?)').run(RUN_A, 4);
  const addCmd = db.query('INSERT INTO commands (seq, command_id, run_id, type, payload_json, ts, client_id) VALUES (?, ?, ?, ?, ?, ?, ?)');
  for (const s of [1, 2, 5]) {
    const c = pyCommand(s, RUN_A);
    addCmd.run(s, c.command_id, c.run_id, c.type, JSON.stringify(c.payload), c.ts, c.client_id);
  }
  db.query("INSERT INTO command_cursors VALUES ('gateway_runner', 2, '2026-02-05T09:45:00+00:00')").run();
  db.close();
  writeArtifacts(dir);
}
