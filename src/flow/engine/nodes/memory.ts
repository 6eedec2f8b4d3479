// Memory nodes backed by a runtime effect (docs/flows.md "Node families"): memory_compact (src/features/memory.ts),
// the span memory and knowledge-graph effects (src/memory/), and memact_compose, which composes "active
// memory" from a KG query result inside the step (no effect).

import { type Vars, isPlainObject } from '../../../model/index.ts';
import { toFloat, truthy } from '../deps.ts';
import { config } from '../model.ts';
import type { Exec } from '../exec.ts';
import type { NodeResult, NodeSpec } from '../spec.ts';

async function memoryCompact(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('effect');
  const payload: Vars = {};
  if (input.preserve_recent !== undefined && input.preserve_recent !== null) {
    try {
      payload.preserve_recent = Math.trunc(toFloat(input.preserve_recent));
    } catch {
      throw new Error(`memory_compact node '${x.node.id}': preserve_recent must be a number`);
    }
  }
  if (typeof input.compression_mode === 'string' && input.compression_mode.trim()) payload.compression_mode = input.compression_mode.trim();
  if (typeof input.focus === 'string' && input.focus.trim()) payload.focus = input.focus.trim();
  return { kind: 'effect', type: 'memory_compact', payload, placeholder: { span_id: null, raw: null } };
}

/** The handler returns a tool-results object; the span id is in the first result's meta. */
function mapCompact(raw: any): Vars {
  const first = isPlainObject(raw) && Array.isArray(raw.results) ? raw.results[0] : undefined;
  const meta = isPlainObject(first) && isPlainObject(first.meta) ? first.meta : {};
  return { span_id: meta.span_id ?? null, raw };
}

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

/** Copies the keys that carry a value (the reference only sends provided keys). */
function pick(input: Vars, keys: string[], into: Vars = {}): Vars {
  for (const k of keys) if (present(input[k])) into[k] = input[k];
  return into;
}

function effectNode(type: string, build: (input: Vars, x: Exec) => Vars, placeholder: Vars) {
  return async (x: Exec): Promise<NodeResult> => {
    const input = await x.inputs('effect');
    return { kind: 'effect', type, payload: build(input, x), placeholder };
  };
}

const firstResult = (raw: any): Vars => (isPlainObject(raw) && Array.isArray(raw.results) && isPlainObject(raw.results[0]) ? raw.results[0] : {});
const fromConfig = (x: Exec, k: string): unknown => config(x.node, 'effectConfig')[k];

const memoryNote = effectNode('memory_note', (i, x) => {
  const p: Vars = { note: i.content ?? i.note ?? '', tags: isPlainObject(i.tags) || Array.isArray(i.tags) ? i.tags : {} };
  pick(i, ['sources', 'location', 'scope', 'target_run_id'], p);
  const keep = present(i.keep_in_context) ? i.keep_in_context : fromConfig(x, 'keep_in_context');
  if (present(keep)) p.keep_in_context = truthy(keep);
  return p;
}, { note_id: null, raw: null });

const memoryQuery = effectNode('memory_query', (i) => {
  let limit = 10;
  try { if (present(i.limit)) limit = Math.trunc(toFloat(i.limit)); } catch {}
  const p = pick(i, ['recall_level', 'tags', 'tags_mode', 'usernames', 'locations', 'since', 'until', 'scope', 'span_ids', 'target_run_id', 'connected', 'neighbor_hops', 'connect_by', 'max_messages'], {
    query: i.query ?? '', limit_spans: limit, return: 'both',
  });
  if (present(p.connected)) p.connected = truthy(p.connected);
  return p;
}, { rendered: '', results: [], span_ids: [], raw: null });

const memoryTag = effectNode('memory_tag', (i) => {
  const p: Vars = { span_id: i.span_id ?? null, tags: i.tags ?? {} };
  if (present(i.merge)) p.merge = truthy(i.merge);
  return pick(i, ['scope', 'target_run_id'], p);
}, { rendered: '', success: false, results: [], raw: null });

const memoryRehydrate = effectNode('memory_rehydrate', (i) => {
  const ids = i.span_ids ?? i.span_id;
  const p: Vars = { span_ids: Array.isArray(ids) ? ids : present(ids) ? [ids] : [], placement: present(i.placement) ? i.placement : 'after_summary' };
  return pick(i, ['max_messages', 'recall_level', 'dedup_by', 'target_run_id'], p);
}, { inserted: 0, skipped: 0, artifacts: [], raw: null });

const kgAssert = effectNode('memory_kg_assert', (i) => {
  const a = i.assertions ?? i.triples ?? i.items;
  return pick(i, ['scope', 'owner_id', 'span_id', 'attributes_defaults', 'allow_custom_predicates'], { assertions: isPlainObject(a) ? [a] : Array.isArray(a) ? a : [] });
}, { assertion_ids: [], count: 0, ok: false, raw: null });

const KG_QUERY_KEYS = ['subject', 'predicate', 'object', 'recall_level', 'scope', 'owner_id', 'since', 'until', 'active_at', 'query_text', 'order', 'model', 'max_input_tokens', 'min_score', 'limit', 'provider'];
const kgQuery = effectNode('memory_kg_query', (i) => pick(i, KG_QUERY_KEYS), {
  items: [], count: 0, ok: false, packets: [], packed_count: 0, active_memory_text: '', estimated_tokens: 0, dropped: 0, warnings: [], raw: null,
});

const kgResolve = effectNode('memory_kg_resolve', (i) => {
  const p = pick(i, ['label', 'expected_type', 'recall_level', 'scope', 'owner_id', 'include_semantic', 'min_score', 'max_candidates']);
  if (!present(p.max_candidates) && present(i.limit)) p.max_candidates = i.limit;
  return p;
}, { candidates: [], count: 0, ok: false, warnings: [], raw: null });

/** Active-memory composer over a KG query result: a "## CURRENT CONTEXT" block for the next LLM call. */
async function memactCompose(x: Exec): Promise<NodeResult> {
  const i = await x.inputs('function');
  const kg = isPlainObject(i.kg_result) ? i.kg_result : isPlainObject(i.raw) ? i.raw : isPlainObject(i.result) ? i.result : {};
  const stimulus = String(i.stimulus ?? i.query_text ?? '');
  const marker = typeof i.marker === 'string' && i.marker ? i.marker : 'KG:';
  let max = 12;
  try { if (present(i.max_items)) max = Math.max(0, Math.trunc(toFloat(i.max_items))); } catch {}
  const items: Vars[] = (Array.isArray(kg.items) ? kg.items : []).filter(isPlainObject).slice(0, max);
  const lines = items.map((it) => `${marker} ${String(it.subject ?? '')} ${String(it.predicate ?? '')} ${String(it.object ?? '')}`.trim());
  const blocks = lines.length ? [{ kind: 'kg', title: 'CURRENT CONTEXT', lines }] : [];
  const prompt = lines.length ? ['## CURRENT CONTEXT', ...(stimulus ? [`Stimulus: ${stimulus}`] : []), ...lines].join('\n') : '';
  const rtv = isPlainObject(x.vars._runtime) ? x.vars._runtime : (x.vars._runtime = {});
  const before: Vars = isPlainObject(rtv.active_memory) ? rtv.active_memory : {};
  const prev = new Set(Array.isArray(before.lines) ? before.lines : []);
  const delta = { added: lines.filter((l) => !prev.has(l)), removed: [...prev].filter((l) => !lines.includes(l as string)) };
  const active = { lines, stimulus, marker, updated_at: x.ctx.nowIso() };
  rtv.active_memory = active;
  const trace = { source_count: Array.isArray(kg.items) ? kg.items.length : 0, used: items.length, max_items: max };
  return { kind: 'value', output: { ok: true, delta, trace, active_memory: active, memact_blocks: blocks, memact_system_prompt: prompt } };
}

export const MEMORY_NODES: Record<string, NodeSpec> = {
  memory_compact: { family: 'effect', exec: memoryCompact, mapEffect: mapCompact },
  memory_note: { family: 'effect', exec: memoryNote, mapEffect: (raw) => ({ note_id: firstResult(raw).meta?.span_id ?? null, raw }) },
  memory_query: {
    family: 'effect',
    exec: memoryQuery,
    mapEffect: (raw) => {
      const r = firstResult(raw);
      return { rendered: r.output ?? '', results: r.meta?.matches ?? [], span_ids: r.meta?.span_ids ?? [], raw };
    },
  },
  memory_tag: {
    family: 'effect',
    exec: memoryTag,
    mapEffect: (raw) => {
      const r = firstResult(raw);
      return { rendered: r.output ?? r.error ?? '', success: r.success === true, results: isPlainObject(raw) ? raw.results ?? [] : [], raw };
    },
  },
  memory_rehydrate: {
    family: 'effect',
    exec: memoryRehydrate,
    mapEffect: (raw) => ({ inserted: raw?.inserted ?? 0, skipped: raw?.skipped ?? 0, artifacts: raw?.artifacts ?? [], raw }),
  },
  memory_kg_assert: {
    family: 'effect',
    exec: kgAssert,
    mapEffect: (raw) => ({ assertion_ids: raw?.assertion_ids ?? [], count: raw?.count ?? 0, ok: raw?.ok === true, raw }),
  },
  memory_kg_query: {
    family: 'effect',
    exec: kgQuery,
    mapEffect: (raw) => ({
      items: raw?.items ?? [], count: raw?.count ?? 0, ok: raw?.ok === true, packets: raw?.packets ?? [], packed_count: raw?.packed_count ?? 0,
      active_memory_text: raw?.active_memory_text ?? '', estimated_tokens: raw?.estimated_tokens ?? 0, dropped: raw?.dropped ?? 0, warnings: raw?.warnings ?? [], raw,
    }),
  },
  memory_kg_resolve: {
    family: 'effect',
    exec: kgResolve,
    mapEffect: (raw) => ({ candidates: raw?.candidates ?? [], count: raw?.count ?? 0, ok: raw?.ok === true, warnings: raw?.warnings ?? [], raw }),
  },
  memact_compose: { family: 'function', exec: memactCompose },
};
