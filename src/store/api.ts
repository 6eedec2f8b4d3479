// The store contract: what the runtime, runner, features, HTTP and CLI may ask of durable storage. Two
// implementations: SQLite (src/store/sqlite.ts, bun:sqlite, the embedded default, one runner per database) and
// PostgreSQL (src/store/postgres/, Bun's SQL client, many API processes and runners on one database).
// Every method is asynchronous. `tx(fn)` runs `fn` as one transaction; repository calls made while `fn` runs
// (awaited in its async chain) join it. `fn` must only await store calls: never network, timers or effects.
import type { CommandOutcomeStatus, CommandRecord, RunState, RunStatus, StepRecord, Vars, WaitReason } from '../model/index.ts';
import type { Notifier } from './notifier.ts';

export type StoreBackend = 'sqlite' | 'postgres';

// ---- runs --------------------------------------------------------------------------------------------------

export interface RunIndexRow {
  run_id: string;
  workflow_id: string;
  status: RunStatus;
  wait_reason: WaitReason | null;
  wait_key: string | null;
  wait_until: string | null;
  paused: number;
  parent_run_id: string | null;
  actor_id: string | null;
  session_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface RunListQuery {
  status?: RunStatus;
  workflowId?: string;
  sessionId?: string;
  parentRunId?: string;
  rootOnly?: boolean;
  /** Include internal runs (workflow ids starting with `__`); implied when workflowId is given. */
  includeInternal?: boolean;
  limit: number;
  /** Opaque cursor from a previous page's `next_cursor`. */
  cursor?: string | null;
}

export interface RunRepo {
  /** The checkpoint (inside a transaction on PostgreSQL: the row is locked FOR UPDATE until commit). */
  get(runId: string): Promise<RunState | null>;
  /** The stored `updated_at` (null when absent): a cheap change check before a commit (locks like `get`). */
  updatedAt(runId: string): Promise<string | null>;
  exists(runId: string): Promise<boolean>;
  /** The run's status column (null when absent), without decoding the checkpoint; never locks. */
  status(runId: string): Promise<RunStatus | null>;
  /** Upsert the whole checkpoint (callers set updated_at). */
  save(run: RunState): Promise<void>;
  list(q: RunListQuery): Promise<{ items: RunIndexRow[]; next_cursor: string | null }>;
  /** Runs waiting on a time that is due, earliest first. */
  listDueUntil(nowIso: string, limit: number): Promise<string[]>;
  /** Runnable runs of `actorId`, least recently updated first (fairness). */
  listRunnable(limit: number, actorId: string): Promise<string[]>;
  /** The earliest pending `until` (for the runner's timer), or null. */
  nextDueUntil(): Promise<string | null>;
  /** Runs waiting on one of `keys` (event delivery). */
  listWaitingOnKeys(keys: string[], limit?: number): Promise<RunState[]>;
  /** Non-paused parents still waiting on a child run that has already ended. */
  listParentsOfEndedChildren(limit: number): Promise<RunState[]>;
  children(parentRunId: string): Promise<RunState[]>;
  /** Adds one run to a root's tree counter and returns the new count (inside the run's insert transaction). */
  bumpTreeCount(rootRunId: string): Promise<number>;
  count(): Promise<number>;
  /** Non-internal runs per status (metrics). */
  countByStatus(): Promise<{ status: string; n: number }[]>;
}

// ---- ledger ------------------------------------------------------------------------------------------------

export type NewStepRecord = Omit<StepRecord, 'prev_hash' | 'record_hash' | 'signature'>;

export interface ChainReport {
  ok: boolean;
  count: number;
  first_bad_seq: number | null;
  errors: { seq: number; type: 'prev_hash_mismatch' | 'record_hash_mismatch' | 'missing_record_hash'; detail: string }[];
  head_hash: string | null;
}

/** A chain verification in progress: the report so far and the last seq checked. */
export interface ChainWalk { report: ChainReport; lastSeq: number }

export interface RunMetrics { steps: number; llm_calls: number; tool_calls: number; tokens_total: number }

export interface LedgerRepo {
  /** Appends one record (in the caller's transaction, or its own): seq + hash chain allocated atomically per run. */
  append(rec: NewStepRecord): Promise<{ seq: number; record: StepRecord }>;
  /** Records at positions [after, after+limit): position N = seq N+1 (cursor = records consumed). */
  listAfter(runId: string, after: number, limit: number): Promise<StepRecord[]>;
  /** Raw JSON text of records (no parse), for streaming them out unchanged. */
  listRawAfter(runId: string, after: number, limit: number): Promise<{ seq: number; json: string }[]>;
  count(runId: string): Promise<number>;
  countMany(runIds: string[]): Promise<Map<string, number>>;
  metricsMany(runIds: string[]): Promise<Map<string, RunMetrics>>;
  /** The first completed record with this idempotency key (effect de-duplication), if any. */
  findCompleted(runId: string, idempotencyKey: string): Promise<StepRecord | null>;
  /** How many times the effect with this key ended completed or waiting in the run's ledger. */
  countEnded(runId: string, idempotencyKey: string): Promise<number>;
  /** Walks the whole chain (CLI, doctor). */
  verify(runId: string): Promise<ChainReport>;
  /** Verifies the next `limit` records of the walk; false when the chain is done. */
  verifyPage(runId: string, walk: ChainWalk, limit: number): Promise<boolean>;
  /**
   * Copies a record as stored elsewhere (`migrate --to`): the JSON text unchanged, hashes included (no re-hashing,
   * so the chain verifies on the copy). Only at the run's next seq; false when that seq is already taken.
   */
  importRecord(runId: string, seq: number, recordJson: string): Promise<boolean>;
  /** Records of every run in ledger order from `afterId` (migration and backup copies), with their stored id. */
  scan(afterId: number, limit: number): Promise<{ id: number; record_json: string }[]>;
}

// ---- commands ----------------------------------------------------------------------------------------------

export interface NewCommand {
  command_id?: string | null;
  run_id: string;
  type: string;
  payload?: Vars;
  ts?: string | null;
  client_id?: string | null;
}

export interface AppendResult { accepted: boolean; duplicate: boolean; seq: number }

export interface CommandWithOutcome extends CommandRecord {
  status: CommandOutcomeStatus;
  reason: string | null;
  applied_at: string | null;
}

export interface CommandRepo {
  append(cmd: NewCommand): Promise<AppendResult>;
  get(commandId: string): Promise<CommandWithOutcome | null>;
  listAfter(after: number, limit: number): Promise<CommandWithOutcome[]>;
  /**
   * Commands without an outcome, in seq order. (Not `listAfter(cursor)`: on PostgreSQL two API processes may
   * commit seq 11 before seq 10, and a cursor past 11 would skip 10 for ever.)
   */
  listPending(limit: number): Promise<CommandWithOutcome[]>;
  lastSeq(): Promise<number>;
  /** Records the outcome (inside the transaction that applied the command). */
  setOutcome(seq: number, status: Exclude<CommandOutcomeStatus, 'pending'>, reason: string | null): Promise<void>;
  /**
   * The consumer's cursor. Inside a transaction on PostgreSQL the cursor row is taken FOR UPDATE SKIP LOCKED:
   * null when another runner is applying commands right now (try again later).
   */
  cursor(consumerId?: string): Promise<number | null>;
  saveCursor(cursor: number, consumerId?: string): Promise<void>;
  /** Commands per type and outcome (metrics). */
  countByOutcome(): Promise<{ type: string; outcome: string; n: number }[]>;
  /** Inserts a command with its original seq and outcome (migration); false when that seq already exists. */
  importRecord(c: CommandWithOutcome): Promise<boolean>;
}

// ---- artifacts ---------------------------------------------------------------------------------------------

export interface ArtifactMeta {
  artifact_id: string;
  content_type: string;
  size_bytes: number;
  created_at: string;
  blob_id: string;
  run_id: string | null;
  tags: Record<string, string>;
}

export interface ArtifactPutOptions {
  contentType?: string;
  runId?: string | null;
  tags?: Record<string, string>;
  artifactId?: string;
  /** Keep this creation time (migration). */
  createdAt?: string;
}

export interface ArtifactRepo {
  /** Stores the bytes (content-addressed, deduplicated) and the metadata row (joins the caller's transaction). */
  put(bytes: Uint8Array, opts?: ArtifactPutOptions): Promise<ArtifactMeta>;
  putJson(value: unknown, opts?: Omit<ArtifactPutOptions, 'contentType'>): Promise<ArtifactMeta>;
  meta(artifactId: string): Promise<ArtifactMeta | null>;
  /** The bytes as a Blob typed with the artifact's content type, or null. */
  content(artifactId: string): Promise<Blob | null>;
  listByRun(runId: string, limit: number): Promise<ArtifactMeta[]>;
  /** Every artifact id after `after` in id order (migration). */
  listIds(after: string, limit: number): Promise<string[]>;
}

// ---- runner lease (SQLite: one runner per database) --------------------------------------------------------

export interface LeaseRow {
  owner: string;
  host: string;
  pid: number;
  /** Epoch milliseconds. */
  expires_at: number;
}

export interface LeaseRepo {
  read(): Promise<LeaseRow | null>;
  take(row: LeaseRow): Promise<void>;
  release(owner: string): Promise<void>;
  /** The holder of a lease that has not expired at `nowMs`, or null. */
  holder(nowMs: number): Promise<{ host: string; pid: number } | null>;
}

// ---- run claims (PostgreSQL: many runners; each run ticked by one runner at a time) ------------------------

export interface ClaimRepo {
  /**
   * Claims up to `limit` runs with work for `owner` until `leaseUntilMs` (due `until` waits first, then runnable
   * runs of `actorId`, least recently updated first), skipping runs another runner holds (FOR UPDATE SKIP LOCKED,
   * expired claims taken over). Returns the claimed run ids.
   */
  claim(owner: string, limit: number, actorId: string, nowIso: string, nowMs: number, leaseUntilMs: number): Promise<string[]>;
  /** Claims one run for `owner` (an inline tick of a child): false when another runner holds it. */
  claimRun(owner: string, runId: string, nowMs: number, leaseUntilMs: number): Promise<boolean>;
  /** Extends `owner`'s claims on `runIds`. */
  renew(owner: string, runIds: string[], leaseUntilMs: number): Promise<void>;
  release(owner: string, runIds: string[]): Promise<void>;
  /**
   * True when `owner` still holds the run. Inside a transaction the row is locked until commit (a tick's commit),
   * unless `lock` is false (a check that must not wait for, nor block, the run's own commits).
   */
  holds(owner: string, runId: string, nowMs: number, lock?: boolean): Promise<boolean>;
}

// ---- flow snapshots, telegram, knowledge graph -------------------------------------------------------------

export interface FlowSnapshotRepo {
  /** Stores each document once (sha256 of its canonical JSON) and the version's membership. */
  save(version: string, docs: ReadonlyMap<string, unknown>): Promise<void>;
  load(version: string): Promise<Map<string, unknown> | null>;
  documentCount(): Promise<number>;
}

export interface TelegramBinding {
  chat_id: string;
  run_id: string;
  session_id: string;
  workflow_id: string;
  created_at: string;
}

export interface TelegramRepo {
  offset(botKey: string): Promise<number>;
  /** Never moves the offset backwards. */
  saveOffset(botKey: string, offset: number): Promise<void>;
  binding(botKey: string, chatId: string): Promise<TelegramBinding | null>;
  saveBinding(botKey: string, b: Omit<TelegramBinding, 'created_at'>): Promise<void>;
  sentFor(callId: string): Promise<Record<string, unknown> | null>;
  /** Records (or replaces) what a call sent: first its intent, then Telegram's answer. */
  recordSent(callId: string, result: Record<string, unknown>): Promise<void>;
  /** Drops a call's record (a send that failed before anything was delivered). */
  forgetSent(callId: string): Promise<void>;
  bindings(botKey: string): Promise<TelegramBinding[]>;
}

export interface KgAssertion {
  assertion_id: string;
  scope: string;
  owner_id: string;
  subject: string;
  predicate: string;
  object: string;
  subject_type: string | null;
  object_type: string | null;
  confidence: number | null;
  valid_from: string | null;
  valid_until: string | null;
  observed_at: string;
  span_id: string | null;
  run_id: string | null;
  attributes: Record<string, unknown>;
}

export type NewKgAssertion = Omit<KgAssertion, 'assertion_id'>;

export interface KgFilter {
  owners?: { scope: string; owner_id: string }[];
  subject?: string;
  predicate?: string;
  object?: string;
  /** observed_at >= since / <= until (ISO strings compare lexically) */
  since?: string;
  until?: string;
  /** valid at this instant: valid_from <= t (or null) and valid_until > t (or null) */
  activeAt?: string;
  order?: 'asc' | 'desc';
  limit: number;
}

export interface KgRepo {
  /** Inserts or returns the existing assertion with the same owner and dedupe key. */
  assert(a: NewKgAssertion): Promise<{ assertion: KgAssertion; created: boolean }>;
  query(f: KgFilter): Promise<KgAssertion[]>;
  /** Lexical search: matching assertions with a relevance score in (0, 1] (higher is better), best first. */
  search(text: string, f: KgFilter): Promise<{ assertion: KgAssertion; score: number }[]>;
  get(id: string): Promise<KgAssertion | null>;
  delete(id: string): Promise<boolean>;
  embedding(id: string, model: string): Promise<number[] | null>;
  saveEmbedding(id: string, model: string, vector: number[]): Promise<void>;
}

// ---- the store ---------------------------------------------------------------------------------------------

export interface Store {
  readonly backend: StoreBackend;
  /** Where it is: the SQLite file path, or the PostgreSQL URL without its password. */
  readonly location: string;
  /** True when several runner processes may share this store (runs are then claimed per tick: `claims`). */
  readonly multiRunner: boolean;
  readonly runs: RunRepo;
  readonly ledger: LedgerRepo;
  readonly commands: CommandRepo;
  readonly artifacts: ArtifactRepo;
  readonly lease: LeaseRepo;
  readonly claims: ClaimRepo;
  readonly flowSnapshots: FlowSnapshotRepo;
  readonly telegram: TelegramRepo;
  readonly kg: KgRepo;
  /**
   * In-process push after commit: ledger appends, new commands, runnable runs. On PostgreSQL the same events
   * from other processes arrive through LISTEN/NOTIFY (the cursor replay stays the truth: a missed
   * notification only delays).
   */
  readonly notifier: Notifier;
  /** One transaction; nested calls join the outer one. Rolled back (and nothing notified) when `fn` throws. */
  tx<T>(fn: () => Promise<T> | T): Promise<T>;
  /** Inside a transaction: runs `fn` so that its failure undoes only its own writes. */
  savepoint<T>(fn: () => Promise<T> | T): Promise<T>;
  /** A named commit boundary for test-only fault injection (src/store/fault.ts); a no-op unless armed. */
  fault(point: string): void;
  /** Changes when another process may have committed: a cheap cross-process change detector. */
  dataVersion(): Promise<number>;
  /** Schema version applied (the number of migrations). */
  schemaVersion(): Promise<number>;
  close(): Promise<void>;
}
