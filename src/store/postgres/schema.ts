// Versioned schema of the PostgreSQL store: an append-only list of migrations (never edit a shipped one), applied
// in order at open, each in its own transaction that first takes a transaction-level advisory lock, so two
// processes opening one database at once apply every migration exactly once (the second waits, then sees it
// applied). `schema_migrations` records the versions applied. Mirrors the SQLite schema (src/store/schema.ts) plus
// what several processes need: run claims (`lease_owner`, `lease_until`), artifact bytes in the database
// (`artifact_blobs`: API processes and runners on several machines share no directory) and a tsvector index for
// the knowledge graph's lexical search. Text keys that are ordered or compared by range use COLLATE "C" so the
// order is bytewise like SQLite's, whatever the database's default collation.
import type { SQL } from 'bun';

const MIGRATIONS: string[] = [
  // 1: everything the SQLite schema has after its 4 migrations, plus claims, blobs and the tsvector index.
  `
  CREATE TABLE runs (
    run_id text COLLATE "C" PRIMARY KEY,
    workflow_id text COLLATE "C" NOT NULL,
    status text NOT NULL,
    internal integer NOT NULL DEFAULT 0,
    paused integer NOT NULL DEFAULT 0,
    wait_reason text,
    wait_key text COLLATE "C",
    wait_until text COLLATE "C",
    parent_run_id text COLLATE "C",
    actor_id text COLLATE "C",
    session_id text COLLATE "C",
    created_at text COLLATE "C" NOT NULL,
    updated_at text COLLATE "C" NOT NULL,
    run_json text NOT NULL,
    lease_owner text,
    lease_until bigint
  );
  CREATE INDEX idx_runs_list ON runs(internal, updated_at DESC, run_id DESC);
  CREATE INDEX idx_runs_status ON runs(status, internal, updated_at DESC, run_id DESC);
  CREATE INDEX idx_runs_workflow ON runs(workflow_id, updated_at DESC, run_id DESC);
  CREATE INDEX idx_runs_session ON runs(session_id, updated_at DESC, run_id DESC);
  CREATE INDEX idx_runs_parent ON runs(parent_run_id);
  CREATE INDEX idx_runs_due ON runs(wait_until) WHERE status = 'waiting' AND wait_reason = 'until';
  CREATE INDEX idx_runs_wait_key ON runs(wait_key) WHERE status = 'waiting';
  CREATE INDEX idx_runs_runnable ON runs(actor_id, updated_at) WHERE status = 'running' AND paused = 0;

  -- id: scan order (migration, backup copies); the per-run head is the last row by (run_id, seq).
  CREATE TABLE ledger (
    id bigserial PRIMARY KEY,
    run_id text COLLATE "C" NOT NULL,
    seq integer NOT NULL,
    status text NOT NULL,
    effect_type text,
    idempotency_key text,
    record_hash text,
    record_json text NOT NULL,
    -- metricsMany's figures, taken from the record at append (SQL never parses record_json).
    tool_calls integer NOT NULL DEFAULT 0,
    tokens_total double precision NOT NULL DEFAULT 0,
    UNIQUE (run_id, seq)
  );
  CREATE INDEX idx_ledger_idem ON ledger(run_id, idempotency_key, seq)
    WHERE status = 'completed' AND idempotency_key IS NOT NULL;
  CREATE INDEX idx_ledger_waits ON ledger(run_id, idempotency_key)
    WHERE status = 'waiting' AND idempotency_key IS NOT NULL;

  CREATE TABLE commands (
    seq bigserial PRIMARY KEY,
    command_id text NOT NULL UNIQUE,
    run_id text NOT NULL,
    type text NOT NULL,
    payload_json text NOT NULL,
    ts text NOT NULL,
    client_id text,
    outcome text NOT NULL DEFAULT 'pending',
    reason text,
    applied_at text
  );
  CREATE INDEX idx_commands_run ON commands(run_id);
  CREATE INDEX idx_commands_pending ON commands(seq) WHERE outcome = 'pending';

  CREATE TABLE command_cursors (
    consumer_id text PRIMARY KEY,
    cursor bigint NOT NULL,
    updated_at text NOT NULL
  );

  CREATE TABLE artifact_blobs (
    blob_id text PRIMARY KEY,
    bytes bytea NOT NULL
  );
  CREATE TABLE artifacts (
    artifact_id text COLLATE "C" PRIMARY KEY,
    run_id text,
    content_type text NOT NULL,
    size_bytes bigint NOT NULL,
    created_at text COLLATE "C" NOT NULL,
    blob_id text NOT NULL REFERENCES artifact_blobs(blob_id),
    tags_json text NOT NULL
  );
  CREATE INDEX idx_artifacts_run ON artifacts(run_id, created_at DESC);

  CREATE TABLE runner_lease (
    id integer PRIMARY KEY CHECK (id = 1),
    owner text NOT NULL,
    host text NOT NULL,
    pid integer NOT NULL,
    expires_at bigint NOT NULL
  );

  CREATE TABLE run_trees (
    root_run_id text PRIMARY KEY,
    run_count integer NOT NULL
  );

  CREATE TABLE flow_snapshots (
    sha256 text PRIMARY KEY,
    doc_json text NOT NULL,
    created_at text NOT NULL
  );
  CREATE TABLE flow_snapshot_members (
    version text NOT NULL,
    flow_id text NOT NULL,
    sha256 text NOT NULL REFERENCES flow_snapshots(sha256),
    PRIMARY KEY (version, flow_id)
  );

  CREATE TABLE telegram_state (
    bot_key text PRIMARY KEY,
    update_offset bigint NOT NULL,
    updated_at text NOT NULL
  );
  CREATE TABLE telegram_bindings (
    bot_key text NOT NULL,
    chat_id text NOT NULL,
    run_id text NOT NULL,
    session_id text NOT NULL,
    workflow_id text NOT NULL,
    created_at text COLLATE "C" NOT NULL,
    PRIMARY KEY (bot_key, chat_id)
  );
  CREATE TABLE telegram_sent (
    call_id text PRIMARY KEY,
    result_json text NOT NULL,
    created_at text NOT NULL
  );

  CREATE TABLE kg_assertions (
    assertion_id text COLLATE "C" PRIMARY KEY,
    scope text NOT NULL,
    owner_id text NOT NULL,
    subject text NOT NULL,
    predicate text NOT NULL,
    object text NOT NULL,
    subject_type text,
    object_type text,
    confidence double precision,
    valid_from text COLLATE "C",
    valid_until text COLLATE "C",
    observed_at text COLLATE "C" NOT NULL,
    span_id text,
    run_id text,
    attributes_json text NOT NULL,
    dedupe_key text NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (
      to_tsvector('simple'::regconfig, subject || ' ' || predicate || ' ' || object || ' ' || left(attributes_json, 100000))
    ) STORED,
    UNIQUE (scope, owner_id, dedupe_key)
  );
  CREATE INDEX idx_kg_owner ON kg_assertions(scope, owner_id, observed_at);
  CREATE INDEX idx_kg_subject ON kg_assertions(subject);
  CREATE INDEX idx_kg_tsv ON kg_assertions USING gin (tsv);
  CREATE TABLE kg_embeddings (
    assertion_id text NOT NULL REFERENCES kg_assertions(assertion_id) ON DELETE CASCADE,
    model text NOT NULL,
    vector_json text NOT NULL,
    PRIMARY KEY (assertion_id, model)
  );
  `,
];

export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** The advisory lock key serialising migrations (transaction-level: safe behind PgBouncer transaction mode). */
const LOCK = `pg_advisory_xact_lock(hashtextextended('abstractgateway.schema', 0))`;

/** Applies pending migrations; refuses a database written by a newer version of the gateway. Returns the version. */
export async function migrate(sql: SQL): Promise<number> {
  for (let v = 0; v < MIGRATIONS.length; v++) {
    await sql.begin(async (tx) => {
      await tx.unsafe(`SELECT ${LOCK}`);
      await tx.unsafe('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at text NOT NULL)');
      const [row] = await tx.unsafe('SELECT COALESCE(MAX(version), 0)::int AS v FROM schema_migrations');
      const current = (row as { v: number }).v;
      if (current > MIGRATIONS.length) {
        throw new Error(
          `database schema version ${current} is newer than this gateway supports (${MIGRATIONS.length}); upgrade abstractgateway`,
        );
      }
      if (current > v) return;
      await tx.unsafe(MIGRATIONS[v]!);
      await tx.unsafe('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [v + 1, new Date().toISOString()]);
    });
  }
  return schemaVersion(sql);
}

export async function schemaVersion(sql: SQL): Promise<number> {
  const [row] = await sql.unsafe('SELECT COALESCE(MAX(version), 0)::int AS v FROM schema_migrations');
  return (row as { v: number }).v;
}
