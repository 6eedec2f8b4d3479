// Knowledge-graph effects (docs/runtime.md "Span memory and knowledge graph"): memory_kg_assert, memory_kg_query,
// memory_kg_resolve over the store's triple store (store.kg). Query ranking: lexical (FTS5 bm25) when a
// `query_text` is given; semantic (cosine over the configured provider's `/embeddings`) when the node asks for
// `model` or `min_score`. Results are packed into `active_memory_text` within `max_input_tokens`.
import type { LlmConfig } from '../llm/config.ts';
import { cosine, embed } from '../llm/media.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { EffectOutcome, Vars } from '../model/index.ts';
import type { EffectContext } from '../runtime/types.ts';
import type { KgAssertion, KgFilter, KgRepo } from '../store/index.ts';
import { isPlainObject } from '../model/index.ts';
import { normalizeIso } from '../util/time.ts';
import { MemoryInputError, ownerRun, parseScope, type Scope } from './owners.ts';

const LIMITS: Record<string, { limit: number; tokens: number }> = {
  urgent: { limit: 10, tokens: 400 },
  standard: { limit: 50, tokens: 1500 },
  deep: { limit: 200, tokens: 6000 },
};

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : null);
const num = (v: unknown): number | null => {
  const n = typeof v === 'number' || v instanceof Number ? Number(v) : typeof v === 'string' && v.trim() ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
};
const iso = (v: unknown): string | null => { const s = str(v); return s ? normalizeIso(s) ?? s : null; };
const predicateOf = (v: string): string => v.trim().toLowerCase().replace(/[\s-]+/g, '_');

/** Owner keys of a KG scope: run → run id, session → session id (or tree root), global → "global". */
async function owners(rt: Runtime, ctx: EffectContext, scope: Scope, ownerId: string | null): Promise<{ scope: string; owner_id: string }[]> {
  const one = async (s: Exclude<Scope, 'all'>) => {
    if (ownerId) return { scope: s, owner_id: ownerId };
    if (s === 'global') return { scope: s, owner_id: 'global' };
    const run = await ownerRun(rt, ctx, s);
    return { scope: s, owner_id: s === 'session' ? (run.session_id ?? run.run_id) : run.run_id };
  };
  return Promise.all(scope === 'all' ? (['run', 'session', 'global'] as const).map(one) : [one(scope)]);
}

const render = (a: KgAssertion): string => `${a.subject} ${a.predicate} ${a.object}`;
const estimateTokens = (s: string): number => Math.ceil(s.length / 4);

export class KgEffects {
  readonly repo: KgRepo;
  constructor(private readonly rt: Runtime, private readonly llm: LlmConfig) {
    this.repo = rt.store.kg;
  }

  async assert(ctx: EffectContext): Promise<EffectOutcome> {
    const p = ctx.effect.payload;
    const raw = p.assertions ?? p.triples ?? p.items;
    const list: unknown[] = Array.isArray(raw) ? raw : isPlainObject(raw) ? [raw] : [];
    const scope = parseScope(p.scope, false);
    const owner = (await owners(this.rt, ctx, scope, str(p.owner_id)))[0]!;
    const defaults = isPlainObject(p.attributes_defaults) ? p.attributes_defaults : {};
    const ids: string[] = [];
    const warnings: string[] = [];
    let created = 0;
    await this.rt.store.tx(async () => {
      for (const [i, item] of list.entries()) {
        if (!isPlainObject(item)) { warnings.push(`assertion ${i}: not an object`); continue; }
        const subject = str(item.subject ?? item.s), predicate = str(item.predicate ?? item.p), object = str(item.object ?? item.o);
        if (!subject || !predicate || !object) { warnings.push(`assertion ${i}: subject, predicate and object are required`); continue; }
        const attributes = { ...defaults, ...(isPlainObject(item.attributes) ? item.attributes : {}) };
        const r = await this.repo.assert({
          scope: owner.scope, owner_id: owner.owner_id, subject, predicate: predicateOf(predicate), object,
          subject_type: str(item.subject_type), object_type: str(item.object_type), confidence: num(item.confidence),
          valid_from: iso(item.valid_from), valid_until: iso(item.valid_until), observed_at: iso(item.observed_at) ?? ctx.nowIso(),
          span_id: str(item.span_id) ?? str(p.span_id), run_id: ctx.run.run_id, attributes,
        });
        ids.push(r.assertion.assertion_id);
        if (r.created) created++;
      }
    });
    return { status: 'completed', result: { ok: ids.length > 0 || list.length === 0, count: ids.length, assertion_ids: ids, created, deduplicated: ids.length - created, warnings } };
  }

  private async filter(ctx: EffectContext, p: Vars, limit: number): Promise<KgFilter> {
    const f: KgFilter = { owners: await owners(this.rt, ctx, parseScope(p.scope, true), str(p.owner_id)), limit, order: p.order === 'asc' ? 'asc' : 'desc' };
    const subject = str(p.subject), predicate = str(p.predicate), object = str(p.object);
    if (subject) f.subject = subject;
    if (predicate) f.predicate = predicateOf(predicate);
    if (object) f.object = object;
    const since = iso(p.since), until = iso(p.until), activeAt = iso(p.active_at);
    if (since) f.since = since;
    if (until) f.until = until;
    if (activeAt) f.activeAt = activeAt;
    return f;
  }

  private level(p: Vars): { limit: number; tokens: number } {
    if (p.recall_level === undefined || p.recall_level === null || p.recall_level === '') return LIMITS.standard!;
    const l = LIMITS[String(p.recall_level).trim().toLowerCase()];
    if (!l) throw new MemoryInputError(`recall_level must be one of ${Object.keys(LIMITS).join(', ')}`);
    return l;
  }

  /** Semantic scores for `texts` against `query` through the configured provider's embeddings endpoint. */
  private async semantic(ctx: EffectContext, p: Vars, query: string, items: KgAssertion[]): Promise<Map<string, number>> {
    const providerName = (str(p.provider) ?? this.llm.defaultProvider ?? '').toLowerCase();
    const ep = this.llm.providers[providerName];
    if (!ep || ep.protocol === 'anthropic') {
      throw new MemoryInputError(`semantic ranking needs an embeddings provider: set ABSTRACTGATEWAY_PROVIDER to an OpenAI-compatible provider (got '${providerName || 'none'}')`);
    }
    const model = str(p.model) ?? this.llm.defaultModel ?? '';
    const policy = { timeoutMs: this.llm.timeoutMs, maxAttempts: this.llm.maxAttempts, retryBaseMs: this.llm.retryBaseMs, retryMaxMs: this.llm.retryMaxMs, signal: ctx.signal, secrets: ep.apiKey ? [ep.apiKey] : [] };
    const known = await Promise.all(items.map((a) => this.repo.embedding(a.assertion_id, model)));
    const missing = items.filter((_, i) => !known[i]);
    const vectors = await embed(ep, model, [query, ...missing.map(render)], policy);
    await this.rt.store.tx(async () => {
      for (const [i, a] of missing.entries()) await this.repo.saveEmbedding(a.assertion_id, model, vectors[i + 1]!);
    });
    const q = vectors[0]!;
    const fresh = new Map(missing.map((a, i) => [a.assertion_id, vectors[i + 1]!]));
    return new Map(items.map((a, i) => [a.assertion_id, cosine(q, known[i] ?? fresh.get(a.assertion_id) ?? [])]));
  }

  async query(ctx: EffectContext): Promise<EffectOutcome> {
    const p = ctx.effect.payload;
    const lv = this.level(p);
    const limit = Math.max(1, Math.min(num(p.limit) ?? lv.limit, 1000));
    const maxTokens = Math.max(1, num(p.max_input_tokens) ?? lv.tokens);
    const queryText = str(p.query_text);
    const warnings: string[] = [];
    let scored: { a: KgAssertion; score: number | null }[];
    if (queryText) {
      const f = await this.filter(ctx, p, limit * 4);
      const lexical = await this.repo.search(queryText, f);
      scored = lexical.map((r) => ({ a: r.assertion, score: r.score }));
      if (!scored.length) scored = (await this.repo.query(f)).map((a) => ({ a, score: null }));
    } else scored = (await this.repo.query(await this.filter(ctx, p, limit))).map((a) => ({ a, score: null }));
    const minScore = num(p.min_score);
    if (queryText && (str(p.model) || minScore !== null) && scored.length) {
      try {
        const sem = await this.semantic(ctx, p, queryText, scored.map((s) => s.a));
        scored = scored.map((s) => ({ a: s.a, score: sem.get(s.a.assertion_id) ?? 0 })).sort((x, y) => (y.score ?? 0) - (x.score ?? 0));
        if (minScore !== null) scored = scored.filter((s) => (s.score ?? 0) >= minScore);
      } catch (e) {
        // The provider's embeddings endpoint is unavailable: keep the lexical ranking and say so.
        if (ctx.signal.aborted) throw e;
        warnings.push(`semantic ranking skipped (lexical order kept): ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    scored = scored.slice(0, limit);
    const items = scored.map((s) => ({ ...s.a, ...(s.score !== null ? { score: s.score } : {}) }));
    const packets: Vars[] = [];
    let tokens = 0;
    let dropped = 0;
    for (const it of items) {
      const text = `- ${render(it)}`;
      const t = estimateTokens(text);
      if (tokens + t > maxTokens) { dropped++; continue; }
      tokens += t;
      packets.push({ assertion_id: it.assertion_id, text, estimated_tokens: t });
    }
    if (dropped) warnings.push(`${dropped} assertions dropped to fit max_input_tokens=${maxTokens}`);
    return {
      status: 'completed',
      result: {
        ok: true, count: items.length, items, packets, packed_count: packets.length,
        active_memory_text: packets.map((x) => x.text).join('\n'), estimated_tokens: tokens, dropped, warnings,
      },
    };
  }

  /**
   * Label → entity candidates: entities named by a label-like predicate (`…name`, `…label`, `…prefLabel`,
   * `…alias`) or whose id contains the label's words; types from `rdf:type`/`type` assertions or subject_type.
   * Score = word overlap (Jaccard) with the label, 1 for an exact match.
   */
  async resolve(ctx: EffectContext): Promise<EffectOutcome> {
    const p = ctx.effect.payload;
    const label = str(p.label);
    const max = Math.max(1, num(p.max_candidates ?? p.limit) ?? 10);
    const expected = str(p.expected_type)?.toLowerCase() ?? null;
    if (!label) return { status: 'completed', result: { ok: false, count: 0, candidates: [], warnings: ['memory_kg_resolve needs a label'] } };
    const f = await this.filter(ctx, { scope: p.scope, owner_id: p.owner_id }, 500);
    const byEntity = new Map<string, { entity: string; label: string; types: string[]; score: number; assertion_count: number }>();
    const add = (entity: string, name: string, type: string | null) => {
      const score = similarity(label, name);
      if (score <= 0) return;
      const cur = byEntity.get(entity) ?? { entity, label: name, types: [], score: 0, assertion_count: 0 };
      if (score > cur.score) { cur.score = score; cur.label = name; }
      if (type && !cur.types.includes(type)) cur.types.push(type);
      cur.assertion_count++;
      byEntity.set(entity, cur);
    };
    for (const { assertion: a } of await this.repo.search(label, f)) {
      if (LABEL_PREDICATE.test(a.predicate)) add(a.subject, a.object, a.subject_type);
      add(a.subject, a.subject.replace(/^[\w-]+:/, '').replace(/[-_]/g, ' '), a.subject_type);
      if (!LABEL_PREDICATE.test(a.predicate)) add(a.object, a.object, a.object_type);
    }
    for (const c of byEntity.values()) {
      for (const pred of ['rdf:type', 'type', 'is_a']) for (const t of await this.repo.query({ ...f, subject: c.entity, predicate: pred, limit: 20 })) if (!c.types.includes(t.object)) c.types.push(t.object);
    }
    const minScore = num(p.min_score) ?? 0;
    const candidates = [...byEntity.values()]
      .filter((c) => c.score >= minScore && (!expected || c.types.some((t) => t.toLowerCase() === expected)))
      .sort((a, b) => b.score - a.score || b.assertion_count - a.assertion_count)
      .slice(0, max)
      .map((c) => ({ ...c, type: c.types[0] ?? null }));
    return { status: 'completed', result: { ok: true, count: candidates.length, candidates, warnings: [] } };
  }
}

const LABEL_PREDICATE = /(name|label|preflabel|altlabel|alias|title)$/i;
const words = (s: string): Set<string> => new Set(s.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);

function similarity(a: string, b: string): number {
  if (a.trim().toLowerCase() === b.trim().toLowerCase()) return 1;
  const wa = words(a), wb = words(b);
  if (!wa.size || !wb.size) return 0;
  let inter = 0;
  for (const w of wa) if (wb.has(w)) inter++;
  return inter / (wa.size + wb.size - inter);
}
