// Span memory effects (docs/runtime.md "Span memory and knowledge graph"): memory_note, memory_query, memory_tag, memory_rehydrate.
// Spans are index entries in `vars._runtime.memory_spans` of an owner run (src/memory/owners.ts); bodies are
// JSON artifacts (notes: `{note, sources, created_at, …}`, conversation spans: `{messages, span}` from
// memory_compact). Recall is metadata-first: filters run over the index; a query text also scans bodies.
import type { Runtime } from '../runtime/runtime.ts';
import type { EffectOutcome, RunState, Vars } from '../model/index.ts';
import type { EffectContext } from '../runtime/types.ts';
import { sha256Hex } from '../util/json.ts';
import { isPlainObject } from '../model/index.ts';
import { normalizeIso } from '../util/time.ts';
import { MemoryInputError, ownerRun, ownerRuns, parseScope, saveOwner, spansOf, strList, tagMap, toolResults } from './owners.ts';

const PREVIEW = 160;
const RECALL_LEVELS: Record<string, { spans: number; messages: number }> = {
  urgent: { spans: 3, messages: 20 },
  standard: { spans: 10, messages: 80 },
  deep: { spans: 50, messages: 400 },
};

const failed = (error: string): EffectOutcome => ({ status: 'failed', error });

async function loadJson(rt: Runtime, artifactId: string): Promise<Vars | null> {
  const f = await rt.store.artifacts.content(artifactId);
  if (!f) return null;
  try {
    const v = await f.json();
    return isPlainObject(v) ? v : null;
  } catch {
    return null;
  }
}

function recallLevel(p: Vars): { level: string | null; budget: { spans: number; messages: number } | null } {
  if (p.recall_level === undefined || p.recall_level === null || p.recall_level === '') return { level: null, budget: null };
  const level = String(p.recall_level).trim().toLowerCase();
  const budget = RECALL_LEVELS[level];
  if (!budget) throw new MemoryInputError(`recall_level must be one of ${Object.keys(RECALL_LEVELS).join(', ')} (got '${String(p.recall_level)}')`);
  return { level, budget };
}

const posInt = (v: unknown, fallback: number): number => {
  const n = typeof v === 'number' || v instanceof Number ? Math.trunc(Number(v)) : typeof v === 'string' && v.trim() ? Math.trunc(Number(v)) : NaN;
  return Number.isFinite(n) && n > 0 ? n : fallback;
};

// ---------------------------------------------------------------- memory_note

export async function memoryNote(rt: Runtime, ctx: EffectContext): Promise<EffectOutcome> {
  const p = ctx.effect.payload;
  const note = typeof p.note === 'string' ? p.note : p.note === undefined || p.note === null ? '' : JSON.stringify(p.note);
  if (!note.trim()) return { status: 'completed', result: toolResults(p, 'remember', false, null, {}, 'memory_note needs non-empty note content') };
  const owner = await ownerRun(rt, ctx, parseScope(p.scope, false) as 'run', p.target_run_id);
  const createdAt = ctx.nowIso();
  const src = isPlainObject(p.sources) ? p.sources : {};
  const sources = { run_id: typeof src.run_id === 'string' ? src.run_id : ctx.run.run_id, span_ids: strList(src.span_ids), message_ids: strList(src.message_ids) };
  const location = typeof p.location === 'string' && p.location.trim() ? p.location.trim() : null;
  const tags = tagMap(p.tags);
  const body: Vars = { note, sources, created_at: createdAt, ...(location ? { location } : {}), actor_id: ctx.run.actor_id, session_id: ctx.run.session_id };
  const art = await rt.store.artifacts.putJson(body, { runId: owner.run_id, tags: { ...tags, kind: 'memory_note' } });
  const span: Vars = {
    kind: 'memory_note', artifact_id: art.artifact_id, created_at: createdAt, from_timestamp: createdAt, to_timestamp: createdAt,
    message_count: 0, note_preview: note.slice(0, PREVIEW), ...(location ? { location } : {}), ...(Object.keys(tags).length ? { tags } : {}),
    sources, ...(ctx.run.actor_id ? { created_by: ctx.run.actor_id } : {}),
  };
  const spans = spansOf(owner);
  if (!spans.some((s) => s.artifact_id === art.artifact_id)) spans.push(span);
  await saveOwner(rt, ctx, owner);
  if (p.keep_in_context === true) insertMessages(ctx.run, [noteMessage(art.artifact_id, note, createdAt)], 'end', 'message_id');
  return { status: 'completed', result: toolResults(p, 'remember', true, `Stored memory note span_id=${art.artifact_id}`, { span_id: art.artifact_id, owner_run_id: owner.run_id, created_at: createdAt }) };
}

function noteMessage(spanId: string, note: string, at: string): Vars {
  return {
    role: 'system', content: `[MEMORY NOTE span_id=${spanId}]: ${note}`, timestamp: at,
    metadata: { kind: 'memory_note', message_id: `memory_note_${sha256Hex(spanId).slice(0, 24)}`, span_id: spanId },
  };
}

// ---------------------------------------------------------------- memory_query

interface Match { span: Vars; owner: RunState; index: number }

function spanTime(s: Vars): string {
  return String(s.created_at ?? s.from_timestamp ?? '');
}

/** Oldest first; equal timestamps keep index order (a consistent comparator). */
function byTime(a: { span: Vars; index: number }, b: { span: Vars; index: number }): number {
  const ta = spanTime(a.span), tb = spanTime(b.span);
  return ta < tb ? -1 : ta > tb ? 1 : a.index - b.index;
}

async function bodyText(rt: Runtime, span: Vars, maxMessages: number): Promise<string> {
  const body = await loadJson(rt, String(span.artifact_id ?? ''));
  if (!body) return '';
  if (typeof body.note === 'string') return body.note;
  if (Array.isArray(body.messages)) return body.messages.slice(0, maxMessages).map((m: Vars) => `${m?.role ?? ''}: ${m?.content ?? ''}`).join('\n');
  return JSON.stringify(body);
}

export async function memoryQuery(rt: Runtime, ctx: EffectContext): Promise<EffectOutcome> {
  const p = ctx.effect.payload;
  const { level, budget } = recallLevel(p);
  const owners = await ownerRuns(rt, ctx, parseScope(p.scope, true), p.target_run_id);
  const warnings: string[] = [];
  let limit = posInt(p.limit_spans, 5);
  if (budget && limit > budget.spans) { warnings.push(`limit_spans clamped to ${budget.spans} by recall_level=${level}`); limit = budget.spans; }
  const maxMessages = posInt(p.max_messages, budget?.messages ?? 80);
  const ids = new Set([...strList(p.span_ids), ...strList(p.span_id)]);
  const tags = tagMap(p.tags);
  const tagsMode = p.tags_mode === 'any' ? 'any' : 'all';
  const authors = new Set([...strList(p.usernames), ...strList(p.authors)].map((a) => a.toLowerCase()));
  const locations = new Set(strList(p.locations).map((l) => l.toLowerCase()));
  const since = typeof p.since === 'string' ? normalizeIso(p.since) ?? p.since : null;
  const until = typeof p.until === 'string' ? normalizeIso(p.until) ?? p.until : null;
  const query = typeof p.query === 'string' ? p.query.trim().toLowerCase() : '';

  const candidates: Match[] = [];
  for (const owner of owners) {
    spansOf(owner).forEach((span, i) => {
      if (!isPlainObject(span)) return;
      if (ids.size && !ids.has(String(span.artifact_id))) return;
      const spanTags: Record<string, string> = isPlainObject(span.tags) ? span.tags : {};
      const tagHits = Object.entries(tags).map(([k, v]) => spanTags[k] === v || (v === 'true' && k in spanTags));
      if (tagHits.length && (tagsMode === 'all' ? !tagHits.every(Boolean) : !tagHits.some(Boolean))) return;
      if (authors.size && !authors.has(String(span.created_by ?? '').toLowerCase())) return;
      if (locations.size && !locations.has(String(span.location ?? '').toLowerCase())) return;
      const t = spanTime(span);
      if (since && t < since) return;
      if (until && t > until) return;
      candidates.push({ span, owner, index: i + 1 });
    });
  }
  const matches: Match[] = [];
  for (const m of candidates.sort((a, b) => byTime(b, a))) {
    if (matches.length >= limit) break;
    if (query) {
      const meta = `${m.span.note_preview ?? ''} ${JSON.stringify(m.span.tags ?? {})} ${m.span.location ?? ''}`.toLowerCase();
      if (!meta.includes(query) && !(await bodyText(rt, m.span, maxMessages)).toLowerCase().includes(query)) continue;
    }
    matches.push(m);
  }
  if (p.connected === true && matches.length) matches.push(...neighbours(owners, matches, p));
  const mode = p.return === 'meta' || p.return === 'rendered' ? p.return : 'both';
  const metaMatches = matches.map((m) => ({ ...m.span, span_id: m.span.artifact_id, owner_run_id: m.owner.run_id, index: m.index }));
  const rendered = matches.length
    ? matches.map((m, i) => {
      const s = m.span;
      const tagText = isPlainObject(s.tags) && Object.keys(s.tags).length ? ` tags=${JSON.stringify(s.tags)}` : '';
      const text = s.note_preview ?? (s.message_count ? `${s.message_count} archived messages` : '');
      return `[${i + 1}] span_id=${s.artifact_id} kind=${s.kind} at=${spanTime(s)}${tagText}\n${text}`;
    }).join('\n\n')
    : 'No memory matched.';
  const meta: Vars = { span_ids: matches.map((m) => m.span.artifact_id), warnings, ...(level ? { recall_level: level } : {}) };
  if (mode !== 'rendered') meta.matches = metaMatches;
  return { status: 'completed', result: toolResults(p, 'recall_memory', true, mode === 'meta' ? '' : rendered, meta) };
}

/**
 * `connected`: spans next to the matches — `connect_by` `time` (the `neighbor_hops` nearest in time in the same
 * owner, default 1) and/or `tag` (spans sharing a tag key and value); default both. Marked `connected_via`.
 */
function neighbours(owners: RunState[], matches: Match[], p: Vars): Match[] {
  const by = new Set(strList(p.connect_by).map((s) => s.toLowerCase()));
  const useTime = !by.size || by.has('time');
  const useTag = !by.size || by.has('tag') || by.has('tags');
  const hops = Math.min(posInt(p.neighbor_hops, 1), 10);
  const seen = new Set(matches.map((m) => m.span.artifact_id));
  const out: Match[] = [];
  const add = (owner: RunState, span: Vars, index: number, via: string) => {
    if (!isPlainObject(span) || seen.has(span.artifact_id)) return;
    seen.add(span.artifact_id);
    out.push({ span: { ...span, connected_via: via }, owner, index });
  };
  for (const owner of owners) {
    const ordered = spansOf(owner).map((span, i) => ({ span, index: i + 1 })).filter((x) => isPlainObject(x.span)).sort((a, b) => byTime(a, b));
    for (const m of matches.filter((x) => x.owner.run_id === owner.run_id)) {
      const at = ordered.findIndex((x) => x.span.artifact_id === m.span.artifact_id);
      if (useTime && at >= 0) for (let d = 1; d <= hops; d++) for (const j of [at - d, at + d]) if (ordered[j]) add(owner, ordered[j]!.span, ordered[j]!.index, 'time');
      const tags: Record<string, string> = isPlainObject(m.span.tags) ? m.span.tags : {};
      if (useTag && Object.keys(tags).length) {
        for (const x of ordered) if (isPlainObject(x.span.tags) && Object.entries(tags).some(([k, v]) => x.span.tags[k] === v)) add(owner, x.span, x.index, 'tag');
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- memory_tag

export async function memoryTag(rt: Runtime, ctx: EffectContext): Promise<EffectOutcome> {
  const p = ctx.effect.payload;
  const scope = parseScope(p.scope, true);
  const tags = tagMap(p.tags);
  if (!Object.keys(tags).length) return { status: 'completed', result: toolResults(p, 'tag_memory', false, null, {}, 'memory_tag needs at least one tag') };
  const ref = p.span_id;
  const owners = await ownerRuns(rt, ctx, scope, p.target_run_id);
  let hit: { owner: RunState; span: Vars } | null = null;
  const asIndex = typeof ref === 'number' || (typeof ref === 'string' && /^\d+$/.test(ref.trim()));
  if (asIndex && scope === 'all') return { status: 'completed', result: toolResults(p, 'tag_memory', false, null, {}, "a span index is ambiguous with scope 'all': pass the span id") };
  for (const owner of owners) {
    const spans = spansOf(owner);
    const span = asIndex ? spans[Number(ref) - 1] : spans.find((s) => s?.artifact_id === ref);
    if (isPlainObject(span)) { hit = { owner, span }; break; }
  }
  if (!hit) return { status: 'completed', result: toolResults(p, 'tag_memory', false, null, {}, `span '${String(ref)}' not found`) };
  const before: Record<string, string> = isPlainObject(hit.span.tags) ? hit.span.tags : {};
  hit.span.tags = p.merge === false ? tags : { ...before, ...tags };
  hit.span.tagged_at = ctx.nowIso();
  hit.span.tagged_by = ctx.run.actor_id ?? null;
  await saveOwner(rt, ctx, hit.owner);
  const out = `Tagged span_id=${hit.span.artifact_id}: ${JSON.stringify(hit.span.tags)}`;
  return { status: 'completed', result: toolResults(p, 'tag_memory', true, out, { span_id: hit.span.artifact_id, tags: hit.span.tags, owner_run_id: hit.owner.run_id }) };
}

// ---------------------------------------------------------------- memory_rehydrate

type Placement = 'after_summary' | 'after_system' | 'end';

/** Inserts messages into `run.vars.context.messages` at the placement, skipping duplicates; returns counts. */
export function insertMessages(run: RunState, msgs: Vars[], placement: Placement, dedupBy: string): { inserted: number; skipped: number } {
  const context = isPlainObject(run.vars.context) ? run.vars.context : (run.vars.context = {});
  const list: Vars[] = Array.isArray(context.messages) ? context.messages : (context.messages = []);
  const keyOf = (m: Vars): unknown => (dedupBy === 'message_id' ? m?.metadata?.message_id : m?.[dedupBy]);
  const seen = new Set(list.map(keyOf).filter((k) => k !== undefined && k !== null));
  const fresh: Vars[] = [];
  let skipped = 0;
  for (const m of msgs) {
    const k = keyOf(m);
    if (k !== undefined && k !== null && seen.has(k)) { skipped++; continue; }
    if (k !== undefined && k !== null) seen.add(k);
    fresh.push(m);
  }
  let at = list.length;
  if (placement !== 'end') {
    let lead = 0;
    while (lead < list.length && list[lead]?.role === 'system') lead++;
    at = lead;
    if (placement === 'after_summary') {
      const idx = list.findLastIndex((m) => m?.metadata?.kind === 'memory_summary');
      if (idx >= 0) at = idx + 1;
    }
  }
  list.splice(at, 0, ...fresh);
  return { inserted: fresh.length, skipped };
}

export async function memoryRehydrate(rt: Runtime, ctx: EffectContext): Promise<EffectOutcome> {
  const p = ctx.effect.payload;
  const { level, budget } = recallLevel(p);
  const placement: Placement = p.placement === 'after_system' || p.placement === 'end' ? p.placement : 'after_summary';
  const dedupBy = typeof p.dedup_by === 'string' && p.dedup_by ? p.dedup_by : 'message_id';
  const target = typeof p.target_run_id === 'string' && p.target_run_id && p.target_run_id !== ctx.run.run_id ? await rt.store.runs.get(p.target_run_id) : ctx.run;
  if (!target) return failed(`memory_rehydrate: target run '${p.target_run_id}' not found`);
  const ids = [...strList(p.span_ids), ...strList(p.span_id)];
  const warnings: string[] = [];
  let budgetLeft = posInt(p.max_messages, budget?.messages ?? Number.MAX_SAFE_INTEGER);
  const artifacts: Vars[] = [];
  let inserted = 0, skipped = 0;
  const owners = await ownerRuns(rt, { ...ctx, run: target }, 'all');
  for (const id of ids) {
    const span = owners.flatMap((o) => spansOf(o)).find((s) => s?.artifact_id === id);
    const kind = span?.kind ?? null;
    const entry: Vars = { span_id: id, inserted: 0, skipped: 0, error: null, kind, preview: null };
    artifacts.push(entry);
    if (kind !== 'conversation_span' && kind !== 'memory_note') { entry.error = span ? `span kind '${kind}' is not rehydratable` : 'span not found'; continue; }
    const body = await loadJson(rt, id);
    if (!body) { entry.error = 'artifact not found'; continue; }
    let msgs: Vars[] = kind === 'memory_note'
      ? [noteMessage(id, String(body.note ?? ''), String(body.created_at ?? span!.created_at ?? ''))]
      : (Array.isArray(body.messages) ? body.messages.filter(isPlainObject) : []).map((m: Vars) => ({ ...m, metadata: { ...(m.metadata ?? {}), rehydrated_from: id } }));
    if (msgs.length > budgetLeft) { warnings.push(`span ${id}: ${msgs.length - budgetLeft} messages over max_messages dropped`); msgs = msgs.slice(0, budgetLeft); }
    budgetLeft -= msgs.length;
    const r = insertMessages(target, msgs, placement, dedupBy);
    entry.inserted = r.inserted;
    entry.skipped = r.skipped;
    entry.preview = String(msgs[0]?.content ?? '').slice(0, PREVIEW);
    inserted += r.inserted;
    skipped += r.skipped;
  }
  if (target !== ctx.run && inserted) await saveOwner(rt, ctx, target);
  return { status: 'completed', result: { inserted, skipped, artifacts, effort: level ? { recall_level: level } : null, warnings } };
}
