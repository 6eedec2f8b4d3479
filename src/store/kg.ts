// Knowledge-graph triple store (memory_kg_* nodes, docs/runtime.md "Span memory and knowledge graph"): assertions owned by a scope
// (run / session / global owner id), deduplicated per owner on (subject, predicate, object, validity), with an
// FTS5 index for lexical ranking and a per-model embedding cache for semantic ranking. Pure SQL: ranking
// policy and packing live in src/memory/kg.ts.
import type { Database } from 'bun:sqlite';
import { sha256Hex } from '../util/json.ts';
import type { KgAssertion, KgFilter, KgRepo, NewKgAssertion } from './api.ts';

interface Row extends Omit<KgAssertion, 'attributes'> { attributes_json: string; rowid?: number }

const fromRow = ({ attributes_json, rowid: _r, ...r }: Row): KgAssertion => ({ ...r, attributes: JSON.parse(attributes_json) });

/** FTS5 query from free text: every word becomes a quoted prefix term, OR-ed (bm25 ranks the best). */
export function ftsQuery(text: string): string | null {
  const words = text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? [];
  const uniq = [...new Set(words)].slice(0, 32);
  return uniq.length ? uniq.map((w) => `"${w}"*`).join(' OR ') : null;
}

export class SqliteKgRepo implements KgRepo {
  constructor(private readonly db: Database) {}

  /** Inserts or returns the existing assertion with the same owner and dedupe key. */
  async assert(a: NewKgAssertion): Promise<{ assertion: KgAssertion; created: boolean }> {
    const dedupe = sha256Hex(JSON.stringify([a.subject, a.predicate, a.object, a.valid_from, a.valid_until])).slice(0, 32);
    const existing = this.db
      .query('SELECT * FROM kg_assertions WHERE scope = ? AND owner_id = ? AND dedupe_key = ?')
      .get(a.scope, a.owner_id, dedupe) as Row | null;
    if (existing) return { assertion: fromRow(existing), created: false };
    const id = `kga_${sha256Hex(`${a.scope}\0${a.owner_id}\0${dedupe}`).slice(0, 24)}`;
    this.db
      .query(
        `INSERT INTO kg_assertions (assertion_id, scope, owner_id, subject, predicate, object, subject_type, object_type,
           confidence, valid_from, valid_until, observed_at, span_id, run_id, attributes_json, dedupe_key)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, a.scope, a.owner_id, a.subject, a.predicate, a.object, a.subject_type, a.object_type, a.confidence,
        a.valid_from, a.valid_until, a.observed_at, a.span_id, a.run_id, JSON.stringify(a.attributes), dedupe);
    return { assertion: { ...a, assertion_id: id }, created: true };
  }

  private where(f: Omit<KgFilter, 'limit' | 'order'>): { sql: string; args: (string | number)[] } {
    const clauses: string[] = [];
    const args: (string | number)[] = [];
    if (f.owners?.length) {
      clauses.push(`(${f.owners.map(() => '(a.scope = ? AND a.owner_id = ?)').join(' OR ')})`);
      for (const o of f.owners) args.push(o.scope, o.owner_id);
    }
    for (const k of ['subject', 'predicate', 'object'] as const) {
      if (f[k]) { clauses.push(`lower(a.${k}) = lower(?)`); args.push(f[k]!); }
    }
    if (f.since) { clauses.push('a.observed_at >= ?'); args.push(f.since); }
    if (f.until) { clauses.push('a.observed_at <= ?'); args.push(f.until); }
    if (f.activeAt) {
      clauses.push('(a.valid_from IS NULL OR a.valid_from <= ?) AND (a.valid_until IS NULL OR a.valid_until > ?)');
      args.push(f.activeAt, f.activeAt);
    }
    return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', args };
  }

  async query(f: KgFilter): Promise<KgAssertion[]> {
    const w = this.where(f);
    const rows = this.db
      .query(`SELECT a.* FROM kg_assertions a ${w.sql} ORDER BY a.observed_at ${f.order === 'asc' ? 'ASC' : 'DESC'}, a.assertion_id LIMIT ?`)
      .all(...w.args, f.limit) as Row[];
    return rows.map(fromRow);
  }

  /** Lexical search: matching assertions with a relevance score in (0, 1] (higher is better), best first. */
  async search(text: string, f: KgFilter): Promise<{ assertion: KgAssertion; score: number }[]> {
    const q = ftsQuery(text);
    if (!q) return [];
    const w = this.where(f);
    const rows = this.db
      .query(
        `SELECT a.*, bm25(kg_fts) AS rank FROM kg_fts JOIN kg_assertions a ON a.rowid = kg_fts.rowid
         WHERE kg_fts MATCH ? ${w.sql ? `AND ${w.sql.slice(6)}` : ''} ORDER BY rank LIMIT ?`,
      )
      .all(q, ...w.args, f.limit) as (Row & { rank: number })[];
    // bm25 is negative (more negative = better): map to a bounded positive score.
    return rows.map(({ rank, ...r }) => ({ assertion: fromRow(r), score: -rank / (1 - rank) }));
  }

  async get(id: string): Promise<KgAssertion | null> {
    const row = this.db.query('SELECT * FROM kg_assertions WHERE assertion_id = ?').get(id) as Row | null;
    return row ? fromRow(row) : null;
  }

  async delete(id: string): Promise<boolean> {
    return this.db.query('DELETE FROM kg_assertions WHERE assertion_id = ?').run(id).changes > 0;
  }

  async embedding(id: string, model: string): Promise<number[] | null> {
    const row = this.db.query('SELECT vector_json FROM kg_embeddings WHERE assertion_id = ? AND model = ?').get(id, model) as { vector_json: string } | null;
    return row ? (JSON.parse(row.vector_json) as number[]) : null;
  }

  async saveEmbedding(id: string, model: string, vector: number[]): Promise<void> {
    this.db.query('INSERT OR REPLACE INTO kg_embeddings (assertion_id, model, vector_json) VALUES (?, ?, ?)').run(id, model, JSON.stringify(vector));
  }
}
