// What a user can do with stored memory, without HTTP or CLI concerns: list, inspect and delete span memory
// (the index in an owner run's `vars._runtime.memory_spans` + its artifact) and knowledge-graph assertions.
// Used by src/http/memory/ and src/cli/memory.ts. Errors are domain errors (mapped once at the edge).
import type { KgAssertion, KgRepo, Store } from '../store/index.ts';
import { Conflict, isPlainObject, NotFound } from '../model/index.ts';
import { nowIso } from '../util/time.ts';
import { GLOBAL_MEMORY_RUN } from './owners.ts';

export interface SpanItem {
  owner_run_id: string;
  span_id: string;
  kind: string;
  created_at: string | null;
  preview: string | null;
  tags: Record<string, string>;
  span: Record<string, unknown>;
}

export interface SpanQuery {
  runId?: string;
  sessionId?: string;
  global?: boolean;
  limit: number;
}

export class MemoryService {
  readonly kg: KgRepo;
  constructor(private readonly store: Store, private readonly isBusy: (runId: string) => boolean = () => false) {
    this.kg = store.kg;
  }

  /** The owner run ids a query addresses (global memory when nothing is named). */
  private owners(q: Omit<SpanQuery, 'limit'>): string[] {
    const ids: string[] = [];
    if (q.runId) ids.push(q.runId);
    if (q.sessionId) ids.push(`session_memory_${q.sessionId}`);
    if (q.global || !ids.length) ids.push(GLOBAL_MEMORY_RUN);
    return ids;
  }

  async listSpans(q: SpanQuery): Promise<SpanItem[]> {
    if (q.runId && !(await this.store.runs.exists(q.runId))) throw new NotFound(`Run '${q.runId}' not found`, 'run_not_found');
    const out: SpanItem[] = [];
    for (const ownerId of this.owners(q)) {
      const owner = await this.store.runs.get(ownerId);
      const spans: unknown[] = Array.isArray(owner?.vars?._runtime?.memory_spans) ? owner!.vars._runtime.memory_spans : [];
      for (const s of spans) if (isPlainObject(s)) out.push(item(ownerId, s));
    }
    return out.sort((a, b) => ((a.created_at ?? '') < (b.created_at ?? '') ? 1 : -1)).slice(0, q.limit);
  }

  async getSpan(ownerRunId: string, spanId: string): Promise<SpanItem & { body: unknown }> {
    const s = await this.findSpan(ownerRunId, spanId);
    const file = await this.store.artifacts.content(spanId);
    let body: unknown = null;
    if (file) { try { body = await file.json(); } catch { body = null; } }
    return { ...item(ownerRunId, s), body };
  }

  async deleteSpan(ownerRunId: string, spanId: string): Promise<void> {
    if (this.isBusy(ownerRunId)) throw new Conflict(`Run '${ownerRunId}' is executing a step; retry when it waits or ends`, 'run_busy');
    await this.store.tx(async () => {
      const owner = await this.store.runs.get(ownerRunId);
      await this.findSpan(ownerRunId, spanId);
      const spans: unknown[] = owner!.vars._runtime.memory_spans;
      owner!.vars._runtime.memory_spans = spans.filter((s) => !(isPlainObject(s) && s.artifact_id === spanId));
      owner!.updated_at = nowIso();
      await this.store.runs.save(owner!);
    });
  }

  private async findSpan(ownerRunId: string, spanId: string): Promise<Record<string, any>> {
    const owner = await this.store.runs.get(ownerRunId);
    if (!owner) throw new NotFound(`Memory owner run '${ownerRunId}' not found`, 'run_not_found');
    const spans: unknown[] = Array.isArray(owner.vars?._runtime?.memory_spans) ? owner.vars._runtime.memory_spans : [];
    const s = spans.find((x) => isPlainObject(x) && x.artifact_id === spanId);
    if (!isPlainObject(s)) throw new NotFound(`Span '${spanId}' not found in run '${ownerRunId}'`, 'span_not_found');
    return s;
  }

  async listKg(q: { scope?: string; ownerId?: string; subject?: string; limit: number }): Promise<KgAssertion[]> {
    const owners = q.scope && q.ownerId ? [{ scope: q.scope, owner_id: q.ownerId }] : undefined;
    const rows = await this.kg.query({ owners, subject: q.subject, limit: q.scope && !q.ownerId ? 10_000 : q.limit, order: 'desc' });
    return (q.scope && !q.ownerId ? rows.filter((r) => r.scope === q.scope) : rows).slice(0, q.limit);
  }

  async getKg(id: string): Promise<KgAssertion> {
    const a = await this.kg.get(id);
    if (!a) throw new NotFound(`Assertion '${id}' not found`, 'assertion_not_found');
    return a;
  }

  async deleteKg(id: string): Promise<void> {
    if (!(await this.kg.delete(id))) throw new NotFound(`Assertion '${id}' not found`, 'assertion_not_found');
  }
}

function item(ownerRunId: string, s: Record<string, any>): SpanItem {
  return {
    owner_run_id: ownerRunId, span_id: String(s.artifact_id ?? ''), kind: String(s.kind ?? 'unknown'),
    created_at: typeof s.created_at === 'string' ? s.created_at : null,
    preview: typeof s.note_preview === 'string' ? s.note_preview : typeof s.message_count === 'number' ? `${s.message_count} messages` : null,
    tags: isPlainObject(s.tags) ? Object.fromEntries(Object.entries(s.tags).map(([k, v]) => [k, String(v)])) : {},
    span: s,
  };
}
