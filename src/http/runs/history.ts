// Run history bundle (docs/api.md "Runs"): one self-contained export of a run tree,
// its ledgers (tail or full) and a flat timeline. Observers use `ledgers` for sub-run discovery.
import { type RunState, type StepRecord, type Vars, readRuntime } from '../../model/index.ts';
import type { Store } from '../../store/index.ts';
import { isoToMs, nowIso } from '../../util/time.ts';

export interface HistoryOptions {
  includeSubruns: boolean;
  includeSession: boolean;
  sessionTurnLimit: number;
  ledgerMode: 'tail' | 'full';
  /** 0 = everything. */
  ledgerMaxItems: number;
}

/** The run and its descendants (breadth first, cycle-safe). */
async function runTree(store: Store, root: RunState): Promise<RunState[]> {
  const out = [root];
  const seen = new Set([root.run_id]);
  for (let i = 0; i < out.length; i++) {
    for (const child of await store.runs.children(out[i]!.run_id)) {
      if (!seen.has(child.run_id)) {
        seen.add(child.run_id);
        out.push(child);
      }
    }
  }
  return out;
}

const runView = (r: RunState) => ({
  run_id: r.run_id, workflow_id: r.workflow_id, status: r.status, current_node: r.current_node, created_at: r.created_at,
  updated_at: r.updated_at, actor_id: r.actor_id, session_id: r.session_id, parent_run_id: r.parent_run_id, error: r.error,
  waiting: r.waiting,
});

export async function historyBundle(store: Store, root: RunState, o: HistoryOptions) {
  const runs = o.includeSubruns ? await runTree(store, root) : [root];
  const ledgers: Record<string, { run_id: string; total: number; cursor_start: number; cursor_end: number; items: { cursor: number; record: StepRecord }[] }> = {};
  const timeline: Vars[] = [];
  for (const run of runs) {
    const total = await store.ledger.count(run.run_id);
    const start = o.ledgerMode === 'full' || o.ledgerMaxItems === 0 ? 0 : Math.max(0, total - o.ledgerMaxItems);
    const items = (await store.ledger.listAfter(run.run_id, start, Math.max(1, total - start))).map((record, i) => ({ cursor: start + i + 1, record }));
    ledgers[run.run_id] = { run_id: run.run_id, total, cursor_start: start, cursor_end: start + items.length, items };
    for (const { cursor, record: r } of items) {
      const ms = r.ended_at ? isoToMs(r.ended_at) - isoToMs(r.started_at) : NaN;
      timeline.push({ run_id: run.run_id, cursor, node_id: r.node_id, status: r.status, effect_type: r.effect?.type ?? null,
        started_at: r.started_at, ended_at: r.ended_at, duration_ms: Number.isFinite(ms) ? Math.round(ms) : null });
    }
  }
  timeline.sort((a, b) => String(a.started_at).localeCompare(String(b.started_at)));
  return {
    version: 1 as const,
    generated_at: nowIso(),
    root_run_id: root.run_id,
    run: runView(root),
    workflow_snapshot: readRuntime(root.vars).workflow_snapshot ?? null,
    input_data: Object.fromEntries(Object.entries(root.vars ?? {}).filter(([k]) => !k.startsWith('_'))),
    ledgers,
    timeline,
    session: o.includeSession && root.session_id ? await sessionView(store, root.session_id, o.sessionTurnLimit) : null,
  };
}

/** The session's root runs, oldest first (one turn per run). */
async function sessionView(store: Store, sessionId: string, limit: number) {
  const rows = (await store.runs.list({ sessionId, rootOnly: true, limit })).items.reverse();
  return {
    session_id: sessionId,
    turns: rows.map((r) => ({ kind: 'run', run_id: r.run_id, workflow_id: r.workflow_id, status: r.status, created_at: r.created_at, updated_at: r.updated_at })),
  };
}
