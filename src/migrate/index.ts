// Import a Python AbstractGateway data directory into our store (docs/operations.md "Migrating from the Python AbstractGateway", extended): runs, ledgers,
// the command inbox with its seqs, the runner cursor and artifacts. No CLI concerns here: progress goes to a
// callback, the result is a summary.
//
// Rules:
// - Run ids, ledger positions (line order = seq, bad lines skipped without consuming a seq) and command seqs
//   are preserved, so client cursors stay valid.
// - Ledger records keep every original field; `prev_hash`/`record_hash` are recomputed by our hash chain on
//   import (the Python gateway did not chain, so they were null) and `signature` is reset to null.
// - `waiting.until` is normalised to the canonical timestamp form so due checks compare correctly.
// - Idempotent and incremental: a run is written only when new or when the source's `updated_at` is newer;
//   a ledger only gets the records beyond the ones we already hold; commands are inserted only when neither
//   their seq nor their command_id is taken; the cursor only moves forward; artifacts are keyed by id. A second
//   run imports nothing new.
// - Everything goes through the store contract (runs.save, ledger.append, commands.importRecord,
//   artifacts.put), so the target may be any backend (SQLite or PostgreSQL).
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { NewStepRecord, Store } from '../store/index.ts';
import { RUN_STATUSES, type RunState, type WaitState } from '../model/index.ts';
import { normalizeIso, nowIso } from '../util/time.ts';
import { importArtifact, listArtifacts } from './artifacts.ts';
import { fileSource, isPythonSqlite, sqliteSource, type Bad, type Source } from './sources.ts';

export type Phase = 'runs' | 'ledger' | 'commands' | 'artifacts';
export interface Progress { phase: Phase; done: number; total: number }

export interface MigrateOptions {
  from: string;
  store: Store;
  /** @deprecated Ignored: the target store keeps artifact bytes where its backend does (kept for old callers). */
  artifactsDir?: string;
  onProgress?: (p: Progress) => void;
}

export interface MigrateSummary {
  from: string;
  sources: { kind: 'file' | 'sqlite'; location: string }[];
  runs: { imported: number; updated: number; unchanged: number };
  ledger: { runs: number; records: number; unchanged: number };
  commands: { imported: number; unchanged: number };
  cursor: { source: number | null; before: number; after: number };
  artifacts: { imported: number; unchanged: number };
  skipped: Bad[];
  duration_ms: number;
}

export class MigrateError extends Error {
  override name = 'MigrateError';
  constructor(message: string, readonly hint?: string) { super(message); }
}

const FILE_MARKERS = /^(run_.+\.json|ledger_.+\.jsonl|commands\.jsonl|commands_cursor\.json)$/;

/** Which Python stores a directory holds (file backend, SQLite backend, or both after a backend switch). */
export function detectSources(from: string, store: Store): Source[] {
  const dir = resolve(from);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new MigrateError(`${dir} is not a directory`, 'Pass the Python gateway data directory (its ABSTRACTGATEWAY_DATA_DIR) with --from.');
  }
  const sources: Source[] = [];
  const glob = new Bun.Glob('*');
  const hasFiles = [...glob.scanSync({ cwd: dir, onlyFiles: true })].some((n) => FILE_MARKERS.test(n));
  if (hasFiles) sources.push(fileSource(dir));
  const dbPath = join(dir, 'gateway.sqlite3');
  if (existsSync(dbPath)) {
    if (store.backend === 'sqlite' && resolve(dbPath) === resolve(store.location)) {
      throw new MigrateError(`--from ${dir} is the target data directory itself`, 'Migrate into a different --data-dir.');
    }
    if (isPythonSqlite(dbPath)) sources.push(sqliteSource(dbPath));
    else if (!hasFiles) throw new MigrateError(`${dbPath} is not a Python AbstractGateway database (already this gateway's format?)`, 'Use it directly as --data-dir, or copy it with `abstractgateway backup`.');
  }
  if (!sources.length && !listArtifacts(dir).length) {
    throw new MigrateError(
      `No Python gateway data found in ${dir}`,
      'Expected run_*.json, ledger_*.jsonl, commands.jsonl or gateway.sqlite3 (the Python ABSTRACTGATEWAY_DATA_DIR).',
    );
  }
  return sources;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

/** A Python RunState document → ours (extra fields kept), or the reason it cannot be imported. */
export function toRunState(raw: unknown, expectedId: string): RunState | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'not a JSON object';
  const r = raw as Record<string, any>;
  const runId = str(r.run_id);
  if (!runId) return 'missing run_id';
  if (runId !== expectedId) return `run_id ${JSON.stringify(runId)} does not match ${JSON.stringify(expectedId)}`;
  if (!str(r.workflow_id)) return 'missing workflow_id';
  const status = String(r.status ?? '').toLowerCase().replace(/^runstatus\./, '');
  if (!(RUN_STATUSES as readonly string[]).includes(status)) return `unknown status ${JSON.stringify(r.status)}`;
  let waiting: WaitState | null = null;
  if (r.waiting && typeof r.waiting === 'object') {
    const w = r.waiting as Record<string, any>;
    const until = str(w.until);
    waiting = {
      ...w,
      reason: String(w.reason ?? 'user').toLowerCase().replace(/^waitreason\./, '') as WaitState['reason'],
      wait_key: str(w.wait_key),
      until: until ? (normalizeIso(until) ?? until) : null,
      resume_to_node: str(w.resume_to_node),
      result_key: str(w.result_key),
      prompt: typeof w.prompt === 'string' ? w.prompt : null,
      choices: Array.isArray(w.choices) ? w.choices.map(String) : null,
      allow_free_text: w.allow_free_text !== false,
      details: w.details && typeof w.details === 'object' ? w.details : null,
    };
  }
  const created = str(r.created_at) ?? str(r.updated_at) ?? nowIso();
  return {
    ...r,
    run_id: runId,
    workflow_id: r.workflow_id,
    status: status as RunState['status'],
    current_node: typeof r.current_node === 'string' ? r.current_node : '',
    vars: r.vars && typeof r.vars === 'object' && !Array.isArray(r.vars) ? r.vars : {},
    waiting,
    output: r.output && typeof r.output === 'object' ? r.output : null,
    error: r.error == null ? null : String(r.error),
    created_at: created,
    updated_at: str(r.updated_at) ?? created,
    actor_id: str(r.actor_id),
    session_id: str(r.session_id),
    parent_run_id: str(r.parent_run_id),
  };
}

interface Ctx {
  store: Store;
  summary: MigrateSummary;
  skip: (b: Bad) => void;
  /** Runs `fn` over `items`, reporting progress and yielding every `every` items so a bar can repaint. */
  each: <T>(phase: Phase, items: T[], every: number, fn: (item: T) => Promise<void> | void) => Promise<void>;
}

export async function migrate(opts: MigrateOptions): Promise<MigrateSummary> {
  const t0 = performance.now();
  const { store } = opts;
  const from = resolve(opts.from);
  const sources = detectSources(from, store);
  const cursor = (await store.commands.cursor()) ?? 0;
  const summary: MigrateSummary = {
    from,
    sources: sources.map((s) => ({ kind: s.kind, location: s.location })),
    runs: { imported: 0, updated: 0, unchanged: 0 },
    ledger: { runs: 0, records: 0, unchanged: 0 },
    commands: { imported: 0, unchanged: 0 },
    cursor: { source: null, before: cursor, after: cursor },
    artifacts: { imported: 0, unchanged: 0 },
    skipped: [],
    duration_ms: 0,
  };
  const ctx: Ctx = {
    store,
    summary,
    skip: (b) => summary.skipped.push({ where: b.where, reason: b.reason }),
    async each(phase, items, every, fn) {
      opts.onProgress?.({ phase, done: 0, total: items.length });
      for (let i = 0; i < items.length; i++) {
        await fn(items[i]!);
        if ((i + 1) % every === 0) {
          opts.onProgress?.({ phase, done: i + 1, total: items.length });
          await new Promise<void>((r) => setImmediate(r));
        }
      }
      opts.onProgress?.({ phase, done: items.length, total: items.length });
    },
  };
  try {
    for (const src of sources) {
      await importRuns(ctx, src);
      await importLedgers(ctx, src);
      await importCommands(ctx, src);
    }
    // Artifacts are file-based under both Python backends.
    await ctx.each('artifacts', listArtifacts(from), 100, async (cand) => {
      const r = await importArtifact(store, from, cand);
      if (r === true) summary.artifacts.imported++;
      else if (r === false) summary.artifacts.unchanged++;
      else ctx.skip(r);
    });
  } finally {
    for (const s of sources) s.close();
  }
  summary.duration_ms = Math.round(performance.now() - t0);
  return summary;
}

/** A run is written when new, or when the source checkpoint is newer than ours. */
function importRuns({ store, summary, skip, each }: Ctx, src: Source): Promise<void> {
  return each('runs', src.runs(), 200, async (item) => {
    if (!item.ok) return skip(item);
    const { expectedId, run: raw } = item.value as { expectedId: string; run: unknown };
    const run = toRunState(raw, expectedId);
    if (typeof run === 'string') return skip({ where: item.where, reason: run });
    const existing = await store.runs.get(run.run_id);
    if (existing && run.updated_at <= existing.updated_at) { summary.runs.unchanged++; return; }
    await store.tx(() => store.runs.save(run));
    if (existing) summary.runs.updated++;
    else summary.runs.imported++;
  });
}

/** Appends only the records beyond the ones we already hold for that run (position = count of good records). */
function importLedgers({ store, summary, skip, each }: Ctx, src: Source): Promise<void> {
  return each('ledger', src.ledgers(), 50, async (l) => {
    const valid: Record<string, unknown>[] = [];
    for (const rec of l.records) {
      if (!rec.ok) { skip(rec); continue; }
      const v = rec.value;
      if (v.run_id !== undefined && v.run_id !== l.runId) {
        skip({ where: rec.where, reason: `run_id ${JSON.stringify(v.run_id)} does not belong to run ${l.runId}` });
      } else if (typeof v.status !== 'string' || !v.status) {
        skip({ where: rec.where, reason: 'missing status' });
      } else valid.push(v);
    }
    const have = await store.ledger.count(l.runId);
    const fresh = valid.slice(have);
    summary.ledger.unchanged += Math.min(have, valid.length);
    if (!fresh.length) return;
    for (let i = 0; i < fresh.length; i += 1000) {
      await store.tx(async () => {
        for (const v of fresh.slice(i, i + 1000)) {
          // Every original field is kept; the ledger recomputes prev_hash/record_hash and resets signature.
          await store.ledger.append({ ...v, run_id: l.runId, idempotency_key: str(v.idempotency_key), effect: v.effect ?? null } as unknown as NewStepRecord);
        }
      });
    }
    summary.ledger.runs++;
    summary.ledger.records += fresh.length;
  });
}

/** Commands keep their seq (so does the AUTOINCREMENT counter); the runner cursor only moves forward. */
async function importCommands({ store, summary, skip, each }: Ctx, src: Source): Promise<void> {
  const srcCursor = src.cursor();
  if (srcCursor) summary.cursor.source = Math.max(summary.cursor.source ?? 0, srcCursor.cursor);
  await each('commands', src.commands(), 500, async (item) => {
    if (!item.ok) return skip(item);
    const v = item.value;
    const seq = Number(v.seq);
    const missing = ['command_id', 'run_id', 'type', 'ts'].filter((k) => !str(v[k]));
    if (missing.length) return skip({ where: item.where, reason: `missing ${missing.join(', ')}` });
    if (!Number.isInteger(seq) || seq <= 0) return skip({ where: item.where, reason: `invalid seq ${JSON.stringify(v.seq)}` });
    const payload = v.payload && typeof v.payload === 'object' && !Array.isArray(v.payload) ? v.payload : {};
    // Commands at or below the Python runner's cursor were processed there; it recorded no outcome.
    const applied = srcCursor !== null && seq <= srcCursor.cursor;
    const commandId = String(v.command_id);
    const inserted = await store.tx(() => store.commands.importRecord({
      seq, command_id: commandId, run_id: String(v.run_id), type: String(v.type), payload, ts: String(v.ts), client_id: str(v.client_id),
      status: applied ? 'applied' : 'pending',
      reason: applied ? 'processed by the Python gateway before migration (outcome not recorded there)' : null,
      applied_at: applied ? (srcCursor!.updated_at ?? String(v.ts)) : null,
    }));
    if (inserted) summary.commands.imported++;
    else if ((await store.commands.get(commandId))?.seq === seq) summary.commands.unchanged++;
    else skip({ where: item.where, reason: `seq ${seq} or command_id ${JSON.stringify(v.command_id)} is already used by another command in the target` });
  });
  if (summary.cursor.source !== null && summary.cursor.source > ((await store.commands.cursor()) ?? 0)) {
    await store.tx(() => store.commands.saveCursor(summary.cursor.source!)); // never moves it backwards
  }
  summary.cursor.after = (await store.commands.cursor()) ?? summary.cursor.after;
}
