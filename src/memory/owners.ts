// Memory scope routing (docs/runtime.md "Span memory and knowledge graph"): which run owns the memory a node reads or writes.
// `run` → the current run (or `target_run_id`); `session` → the session memory run `session_memory_<sid>`
// (created on demand, status completed), or the run-tree root when the run has no session; `global` → the
// `global_memory` run; `all` (query/tag only) → run, session owner, global, deduplicated.
import type { Runtime } from '../runtime/runtime.ts';
import type { RunState, Vars } from '../model/index.ts';
import type { EffectContext } from '../runtime/types.ts';
import { isPlainObject } from '../model/index.ts';
import { nowIso } from '../util/time.ts';

export const SCOPES = ['run', 'session', 'global', 'all'] as const;
export type Scope = (typeof SCOPES)[number];

export const SESSION_MEMORY_WORKFLOW = '__session_memory__';
export const GLOBAL_MEMORY_WORKFLOW = '__global_memory__';
export const GLOBAL_MEMORY_RUN = 'global_memory';

export class MemoryInputError extends Error {}

export function parseScope(raw: unknown, allowAll: boolean): Scope {
  const s = typeof raw === 'string' && raw.trim() ? raw.trim().toLowerCase() : 'run';
  if (!(SCOPES as readonly string[]).includes(s) || (s === 'all' && !allowAll)) {
    throw new MemoryInputError(`scope must be one of ${(allowAll ? SCOPES : SCOPES.slice(0, 3)).join(', ')} (got '${String(raw)}')`);
  }
  return s as Scope;
}

function memoryRun(runId: string, workflowId: string, sessionId: string | null): RunState {
  const now = nowIso();
  return {
    run_id: runId, workflow_id: workflowId, status: 'completed', current_node: 'memory',
    vars: { context: { task: '', messages: [] }, scratchpad: {}, _runtime: { memory_spans: [] }, _temp: {}, _limits: {} },
    waiting: null, output: null, error: null, created_at: now, updated_at: now, actor_id: null, session_id: sessionId, parent_run_id: null,
  };
}

async function rootOf(rt: Runtime, run: RunState): Promise<RunState> {
  let cur = run;
  for (let i = 0; i < 1000 && cur.parent_run_id; i++) {
    const p = await rt.store.runs.get(cur.parent_run_id);
    if (!p) break;
    cur = p;
  }
  return cur;
}

/** The owner run of one concrete scope (never `all`). Throws MemoryInputError for an unknown target run. */
export async function ownerRun(rt: Runtime, ctx: EffectContext, scope: Exclude<Scope, 'all'>, targetRunId?: unknown): Promise<RunState> {
  const base = typeof targetRunId === 'string' && targetRunId && targetRunId !== ctx.run.run_id ? await rt.store.runs.get(targetRunId) : ctx.run;
  if (!base) throw new MemoryInputError(`target run '${String(targetRunId)}' not found`);
  if (scope === 'run') return base;
  if (scope === 'global') return (await rt.store.runs.get(GLOBAL_MEMORY_RUN)) ?? memoryRun(GLOBAL_MEMORY_RUN, GLOBAL_MEMORY_WORKFLOW, null);
  if (!base.session_id) return rootOf(rt, base);
  const id = `session_memory_${base.session_id}`;
  return (await rt.store.runs.get(id)) ?? memoryRun(id, SESSION_MEMORY_WORKFLOW, base.session_id);
}

export async function ownerRuns(rt: Runtime, ctx: EffectContext, scope: Scope, targetRunId?: unknown): Promise<RunState[]> {
  if (scope !== 'all') return [await ownerRun(rt, ctx, scope, targetRunId)];
  const out: RunState[] = [];
  for (const s of ['run', 'session', 'global'] as const) {
    const r = await ownerRun(rt, ctx, s, targetRunId);
    if (!out.some((o) => o.run_id === r.run_id)) out.push(r);
  }
  return out;
}

/** The owner's span index (created when absent). */
export function spansOf(owner: RunState): Vars[] {
  const rtv = isPlainObject(owner.vars._runtime) ? owner.vars._runtime : (owner.vars._runtime = {});
  return Array.isArray(rtv.memory_spans) ? rtv.memory_spans : (rtv.memory_spans = []);
}

/** Owner runs other than the current one are saved at once (the current run is saved with its step). */
export async function saveOwner(rt: Runtime, ctx: EffectContext, owner: RunState): Promise<void> {
  if (owner.run_id === ctx.run.run_id) return;
  owner.updated_at = nowIso();
  await rt.store.tx(() => rt.store.runs.save(owner));
}

/** Tool-results shape every memory effect returns (docs/runtime.md "Span memory and knowledge graph"). */
export function toolResults(p: Vars, name: string, success: boolean, output: unknown, meta: Vars, error: string | null = null): Vars {
  const label = typeof p.tool_name === 'string' && p.tool_name ? p.tool_name : name;
  const callId = typeof p.call_id === 'string' && p.call_id ? p.call_id : name;
  return { mode: 'executed', results: [{ call_id: callId, name: label, success, output, error, meta }] };
}

export const strList = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x) => typeof x === 'string' && x.trim()).map((x) => (x as string).trim())
    : typeof v === 'string' && v.trim() ? v.split(',').map((s) => s.trim()).filter(Boolean) : [];

/** User tags as a string → string map (lists become `tag: "true"`). */
export function tagMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isPlainObject(v)) {
    for (const [k, x] of Object.entries(v)) if (k.trim() && x !== null && x !== undefined) out[k.trim()] = typeof x === 'string' ? x : JSON.stringify(x);
  } else for (const t of strList(v)) out[t] = 'true';
  return out;
}
