// Versioned schema migrations, applied in order at open inside one immediate transaction each.
// Append a new entry to change the schema; never edit a shipped one.
import type { Database } from 'bun:sqlite';

const MIGRATIONS: string[] = [
  // 1: runs, ledger (the per-run head = its last row via the (run_id, seq) index), command inbox with durable
  //    outcomes, artifacts, runner lease.
  `
  CREATE TABLE runs (
    run_id TEXT PRIMARY KEY,
    workflow_id TEXT NOT NULL,
    status TEXT NOT NULL,
    internal INTEGER NOT NULL DEFAULT 0,
    paused INTEGER NOT NULL DEFAULT 0,
    wait_reason TEXT,
    wait_key TEXT,
    wait_until TEXT,
    parent_run_id TEXT,
    actor_id TEXT,
    session_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    run_json TEXT NOT NULL
  );
  CREATE INDEX idx_runs_list ON runs(internal, updated_at DESC, run_id DESC);
  CREATE INDEX idx_runs_status ON runs(status, internal, updated_at DESC, run_id DESC);
  CREATE INDEX idx_runs_workflow ON runs(workflow_id, updated_at DESC, run_id DESC);
  CREATE INDEX idx_runs_session ON runs(session_id, updated_at DESC, run_id DESC);
  CREATE INDEX idx_runs_parent ON runs(parent_run_id);
  CREATE INDEX idx_runs_due ON runs(wait_until) WHERE status = 'waiting' AND wait_reason = 'until';
  CREATE INDEX idx_runs_wait_key ON runs(wait_key) WHERE status = 'waiting';

  -- A rowid table: records are large, and WITHOUT ROWID b-trees with large rows are several times slower.
  CREATE TABLE ledger (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    effect_type TEXT,
    idempotency_key TEXT,
    record_hash TEXT,
    record_json TEXT NOT NULL,
    UNIQUE (run_id, seq)
  );
  CREATE INDEX idx_ledger_idem ON ledger(run_id, idempotency_key)
    WHERE status = 'completed' AND idempotency_key IS NOT NULL;


  CREATE TABLE commands (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    command_id TEXT NOT NULL UNIQUE,
    run_id TEXT NOT NULL,
    type TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    ts TEXT NOT NULL,
    client_id TEXT,
    outcome TEXT NOT NULL DEFAULT 'pending',
    reason TEXT,
    applied_at TEXT
  );
  CREATE INDEX idx_commands_run ON commands(run_id);

  CREATE TABLE command_cursors (
    consumer_id TEXT PRIMARY KEY,
    cursor INTEGER NOT NULL,
    updated_at TEXT NOT NULL
  );

  CREATE TABLE artifacts (
    artifact_id TEXT PRIMARY KEY,
    run_id TEXT,
    content_type TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    blob_id TEXT NOT NULL,
    tags_json TEXT NOT NULL
  );
  CREATE INDEX idx_artifacts_run ON artifacts(run_id, created_at DESC);

  CREATE TABLE runner_lease (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    owner TEXT NOT NULL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  `,
  // durable: runaway protection counts the runs each root started (one row per root that has children), and
  // deterministic child run ids count an effect's `waiting` ends (the completed ones use idx_ledger_idem).
  `
  CREATE TABLE run_trees (
    root_run_id TEXT PRIMARY KEY,
    run_count INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX idx_ledger_waits ON ledger(run_id, idempotency_key)
    WHERE status = 'waiting' AND idempotency_key IS NOT NULL;
  `,
  // modes: VisualFlow-directory snapshots (one row per distinct document, content-addressed; a version lists the
  //        documents its runs use) and the Telegram bridge (update offset, one binding per chat, sends by tool call).
  `
  CREATE TABLE flow_snapshots (
    sha256 TEXT PRIMARY KEY,
    doc_json TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE flow_snapshot_members (
    version TEXT NOT NULL,
    flow_id TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES flow_snapshots(sha256),
    PRIMARY KEY (version, flow_id)
  );

  CREATE TABLE telegram_state (
    bot_key TEXT PRIMARY KEY,
    update_offset INTEGER NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE telegram_bindings (
    bot_key TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    workflow_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (bot_key, chat_id)
  );
  CREATE TABLE telegram_sent (
    call_id TEXT PRIMARY KEY,
    result_json TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  `,
  // nodes: knowledge-graph assertions (memory_kg_* nodes, /api/gateway/memory/kg) with an FTS5 index over
  //    subject/predicate/object/text for lexical ranking, kept in step by triggers; embeddings cached per model.
  `
  CREATE TABLE kg_assertions (
    assertion_id TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    predicate TEXT NOT NULL,
    object TEXT NOT NULL,
    subject_type TEXT,
    object_type TEXT,
    confidence REAL,
    valid_from TEXT,
    valid_until TEXT,
    observed_at TEXT NOT NULL,
    span_id TEXT,
    run_id TEXT,
    attributes_json TEXT NOT NULL,
    dedupe_key TEXT NOT NULL,
    UNIQUE (scope, owner_id, dedupe_key)
  );
  CREATE INDEX idx_kg_owner ON kg_assertions(scope, owner_id, observed_at);
  CREATE INDEX idx_kg_subject ON kg_assertions(subject);
  CREATE VIRTUAL TABLE kg_fts USING fts5(subject, predicate, object, text, content='', tokenize='unicode61');
  CREATE TRIGGER kg_ai AFTER INSERT ON kg_assertions BEGIN
    INSERT INTO kg_fts(rowid, subject, predicate, object, text)
    VALUES (new.rowid, new.subject, new.predicate, new.object, new.attributes_json);
  END;
  CREATE TRIGGER kg_ad AFTER DELETE ON kg_assertions BEGIN
    INSERT INTO kg_fts(kg_fts, rowid, subject, predicate, object, text)
    VALUES ('delete', old.rowid, old.subject, old.predicate, old.object, old.attributes_json);
  END;
  CREATE TABLE kg_embeddings (
    assertion_id TEXT NOT NULL REFERENCES kg_assertions(assertion_id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    vector_json TEXT NOT NULL,
    PRIMARY KEY (assertion_id, model)
  );
  `,
  // scaling: the runner reads pending commands (not the cursor's tail, which another backend's concurrent
  //          writers can commit out of seq order): a partial index keeps that read proportional to the pending ones.
  `
  CREATE INDEX idx_commands_pending ON commands(seq) WHERE outcome = 'pending';
  `,
  // scaling: the runner's runnable list (every claim) read the status index and sorted every running run:
  //          ~90 ms per claim with a backlog of 100,000 running runs. The PostgreSQL schema has the same index.
  `
  CREATE INDEX idx_runs_runnable ON runs(actor_id, updated_at) WHERE status = 'running' AND paused = 0;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Applies pending migrations; refuses a database written by a newer version of the gateway. */
export function migrate(db: Database): number {
  const current = (db.query('PRAGMA user_version').get() as { user_version: number }).user_version;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `database schema version ${current} is newer than this gateway supports (${MIGRATIONS.length}); upgrade abstractgateway`,
    );
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    }).immediate();
  }
  return MIGRATIONS.length;
}
