// Copies one store into another through the store contract (`migrate --to postgres://…`: a SQLite data directory
// into PostgreSQL, docs/scaling.md "Moving from SQLite"). No CLI concerns: progress goes to a callback, the
// result is a summary.
//
// Rules:
// - Runs are copied as stored (checkpoints unchanged); a run the target already holds is rewritten only when the
//   source's `updated_at` is newer, else it is left alone (and counted as unchanged or as kept-newer).
// - Ledgers are copied record by record with their stored JSON and hashes (`ledger.importRecord`: nothing is
//   re-hashed, so every chain verifies on the target). A ledger the target already holds must be a prefix of the
//   source's (same hash at its last seq); only the records beyond it are copied. A ledger that diverged is
//   reported and left as it is.
// - Commands keep their seq, outcome and timestamps (`commands.importRecord`); the runner cursor only moves forward.
// - Artifacts keep their id, run, content type, tags and creation time; the bytes go where the target keeps them.
// - Idempotent and resumable: an interrupted copy run again copies what is missing; a second full run copies
//   nothing. Copy with the gateway stopped (or at least its runner), so the source does not move meanwhile.
import type { Store } from '../store/index.ts';
import { canonicalJson } from '../util/json.ts';

export type CopyPhase = 'runs' | 'ledger' | 'commands' | 'artifacts';

export interface CopySummary {
  from: string;
  to: string;
  runs: { copied: number; updated: number; unchanged: number; kept_newer: number };
  ledger: { records: number; runs: number; unchanged: number; diverged: string[] };
  commands: { copied: number; unchanged: number };
  cursor: { before: number; after: number };
  artifacts: { copied: number; unchanged: number };
  duration_ms: number;
}

const PAGE = 500;

export async function copyStore(opts: {
  from: Store;
  to: Store;
  onProgress?: (p: { phase: CopyPhase; done: number; total: number }) => void;
}): Promise<CopySummary> {
  const { from, to } = opts;
  const t0 = performance.now();
  const progress = opts.onProgress ?? (() => {});
  const s: CopySummary = {
    from: `${from.backend} ${from.location}`,
    to: `${to.backend} ${to.location}`,
    runs: { copied: 0, updated: 0, unchanged: 0, kept_newer: 0 },
    ledger: { records: 0, runs: 0, unchanged: 0, diverged: [] },
    commands: { copied: 0, unchanged: 0 },
    cursor: { before: (await to.commands.cursor()) ?? 0, after: 0 },
    artifacts: { copied: 0, unchanged: 0 },
    duration_ms: 0,
  };

  // Runs, then each run's ledger.
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: { run_id: string }[]; next_cursor: string | null } = await from.runs.list({ includeInternal: true, limit: PAGE, cursor });
    for (const r of page.items) ids.push(r.run_id);
    cursor = page.next_cursor;
  } while (cursor);
  for (const [i, id] of ids.entries()) {
    const run = (await from.runs.get(id))!;
    const have = await to.runs.get(id);
    if (!have) {
      await to.tx(() => to.runs.save(run));
      s.runs.copied++;
    } else if (canonicalJson(have) === canonicalJson(run)) s.runs.unchanged++;
    else if (run.updated_at > have.updated_at) {
      await to.tx(() => to.runs.save(run));
      s.runs.updated++;
    } else s.runs.kept_newer++;
    progress({ phase: 'runs', done: i + 1, total: ids.length });
  }
  for (const [i, id] of ids.entries()) {
    await copyLedger(from, to, id, s);
    progress({ phase: 'ledger', done: i + 1, total: ids.length });
  }

  // Commands (with outcomes) and the cursor.
  const total = await from.commands.lastSeq();
  let after = 0;
  for (;;) {
    const batch = await from.commands.listAfter(after, PAGE);
    if (!batch.length) break;
    await to.tx(async () => {
      for (const c of batch) (await to.commands.importRecord(c)) ? s.commands.copied++ : s.commands.unchanged++;
    });
    after = batch.at(-1)!.seq;
    progress({ phase: 'commands', done: after, total });
  }
  const srcCursor = (await from.commands.cursor()) ?? 0;
  if (srcCursor > s.cursor.before) await to.tx(() => to.commands.saveCursor(srcCursor));
  s.cursor.after = (await to.commands.cursor()) ?? 0;

  // Artifacts: metadata and bytes.
  const artifactIds: string[] = [];
  for (let page = await from.artifacts.listIds('', PAGE); page.length; page = await from.artifacts.listIds(page.at(-1)!, PAGE)) artifactIds.push(...page);
  for (const [i, artifactId] of artifactIds.entries()) {
    if (await to.artifacts.meta(artifactId)) s.artifacts.unchanged++;
    else {
      const meta = (await from.artifacts.meta(artifactId))!;
      const blob = await from.artifacts.content(artifactId);
      if (blob) {
        await to.artifacts.put(new Uint8Array(await blob.arrayBuffer()), {
          artifactId, runId: meta.run_id, contentType: meta.content_type, tags: meta.tags, createdAt: meta.created_at,
        });
        s.artifacts.copied++;
      }
    }
    progress({ phase: 'artifacts', done: i + 1, total: artifactIds.length });
  }
  s.duration_ms = Math.round(performance.now() - t0);
  return s;
}

async function copyLedger(from: Store, to: Store, runId: string, s: CopySummary): Promise<void> {
  const have = await to.ledger.count(runId);
  if (have > 0) {
    // The target's ledger must be a prefix of the source's: same record at its last seq.
    const [mine] = await to.ledger.listRawAfter(runId, have - 1, 1);
    const [theirs] = await from.ledger.listRawAfter(runId, have - 1, 1);
    if (!theirs || JSON.parse(mine!.json).record_hash !== JSON.parse(theirs.json).record_hash) {
      s.ledger.diverged.push(runId);
      return;
    }
  }
  let copied = 0;
  for (let after = have; ; ) {
    const page = await from.ledger.listRawAfter(runId, after, PAGE);
    if (!page.length) break;
    await to.tx(async () => {
      for (const r of page) if (await to.ledger.importRecord(runId, r.seq, r.json)) copied++;
    });
    after = page.at(-1)!.seq;
  }
  s.ledger.unchanged += have;
  if (copied) {
    s.ledger.records += copied;
    s.ledger.runs++;
  }
}
