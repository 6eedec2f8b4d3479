// Knowledge-graph triples on PostgreSQL (mirrors src/store/kg.ts): assertions per owner (scope + owner id),
// deduplicated on (subject, predicate, object, validity); lexical search through the generated `tsv` column
// ('simple' configuration, GIN index) where SQLite uses FTS5: every word of the query is an OR-ed prefix term,
// ranked by ts_rank r and scored r / (1 + r) in (0, 1). Embeddings are cached per model.
import { sha256Hex } from '../../util/json.ts';
import type { KgAssertion, KgFilter, KgRepo, NewKgAssertion } from '../api.ts';
import type { Db } from './conn.ts';

const COLS = `a.assertion_id, a.scope, a.owner_id, a.subject, a.predicate, a.object, a.subject_type, a.object_type,
  a.confidence, a.valid_from, a.valid_until, a.observed_at, a.span_id, a.run_id, a.attributes_json`;

interface Row extends Omit<KgAssertion, 'attributes'> { attributes_json: string }

const fromRow = ({ attributes_json, ...r }: Row): KgAssertion => ({ ...r, attributes: JSON.parse(attributes_json) });

/** to_tsquery text from free text: each word (letters, digits, `_`) a prefix term, OR-ed; null when none. */
export function tsQuery(text: string): string | null {
  const words = (text.toLowerCase().match(/[\p{L}\p{N}_]+/gu) ?? []).filter((w) => /[\p{L}\p{N}]/u.test(w));
  const uniq = [...new Set(words)].slice(0, 32);
  return uniq.length ? uniq.map((w) => `${w}:*`).join(' | ') : null;
}

export class PgKgRepo implements KgRepo {
  constructor(private readonly db: Db) {}

  async assert(a: NewKgAssertion): Promise<{ assertion: KgAssertion; created: boolean }> {
    const dedupe = sha256Hex(JSON.stringify([a.subject, a.predicate, a.object, a.valid_from, a.valid_until])).slice(0, 32);
    const id = `kga_${sha256Hex(`${a.scope}\0${a.owner_id}\0${dedupe}`).slice(0, 24)}`;
    const q = this.db.q;
    const ins = await q`INSERT INTO kg_assertions (assertion_id, scope, owner_id, subject, predicate, object, subject_type, object_type,
        confidence, valid_from, valid_until, observed_at, span_id, run_id, attributes_json, dedupe_key)
      VALUES (${id}, ${a.scope}, ${a.owner_id}, ${a.subject}, ${a.predicate}, ${a.object}, ${a.subject_type ?? null}, ${a.object_type ?? null},
        ${a.confidence ?? null}, ${a.valid_from ?? null}, ${a.valid_until ?? null}, ${a.observed_at}, ${a.span_id ?? null}, ${a.run_id ?? null},
        ${JSON.stringify(a.attributes)}, ${dedupe})
      ON CONFLICT DO NOTHING RETURNING assertion_id`;
    if (ins.length) return { assertion: { ...a, assertion_id: id }, created: true };
    const [row] = await q.unsafe(`SELECT ${COLS} FROM kg_assertions a WHERE a.scope = $1 AND a.owner_id = $2 AND a.dedupe_key = $3`,
      [a.scope, a.owner_id, dedupe]);
    return { assertion: fromRow(row as Row), created: false };
  }

  private where(f: Omit<KgFilter, 'limit' | 'order'>, args: (string | number)[]): string[] {
    const arg = (v: string | number) => `$${args.push(v)}`;
    const clauses: string[] = [];
    if (f.owners?.length) {
      clauses.push(`(${f.owners.map((o) => `(a.scope = ${arg(o.scope)} AND a.owner_id = ${arg(o.owner_id)})`).join(' OR ')})`);
    }
    for (const k of ['subject', 'predicate', 'object'] as const) {
      if (f[k]) clauses.push(`lower(a.${k}) = lower(${arg(f[k]!)})`);
    }
    if (f.since) clauses.push(`a.observed_at >= ${arg(f.since)}`);
    if (f.until) clauses.push(`a.observed_at <= ${arg(f.until)}`);
    if (f.activeAt) {
      const t = arg(f.activeAt);
      clauses.push(`(a.valid_from IS NULL OR a.valid_from <= ${t}) AND (a.valid_until IS NULL OR a.valid_until > ${t})`);
    }
    return clauses;
  }

  async query(f: KgFilter): Promise<KgAssertion[]> {
    const args: (string | number)[] = [];
    const w = this.where(f, args);
    const rows = await this.db.q.unsafe(
      `SELECT ${COLS} FROM kg_assertions a ${w.length ? `WHERE ${w.join(' AND ')}` : ''}
       ORDER BY a.observed_at ${f.order === 'asc' ? 'ASC' : 'DESC'}, a.assertion_id LIMIT $${args.push(f.limit)}`,
      args,
    );
    return (rows as Row[]).map(fromRow);
  }

  async search(text: string, f: KgFilter): Promise<{ assertion: KgAssertion; score: number }[]> {
    const tq = tsQuery(text);
    if (!tq) return [];
    const args: (string | number)[] = [tq];
    const w = this.where(f, args);
    const rows = await this.db.q.unsafe(
      `SELECT ${COLS}, GREATEST(ts_rank(a.tsv, q), 1e-6)::float8 AS rank
       FROM kg_assertions a, to_tsquery('simple', $1) q
       WHERE a.tsv @@ q ${w.length ? `AND ${w.join(' AND ')}` : ''}
       ORDER BY rank DESC, a.assertion_id LIMIT $${args.push(f.limit)}`,
      args,
    );
    return (rows as (Row & { rank: number })[]).map(({ rank, ...r }) => ({ assertion: fromRow(r), score: rank / (1 + rank) }));
  }

  async get(id: string): Promise<KgAssertion | null> {
    const [row] = await this.db.q.unsafe(`SELECT ${COLS} FROM kg_assertions a WHERE a.assertion_id = $1`, [id]);
    return row ? fromRow(row as Row) : null;
  }

  async delete(id: string): Promise<boolean> {
    const res = await this.db.q`DELETE FROM kg_assertions WHERE assertion_id = ${id}`;
    return res.affectedRows > 0;
  }

  async embedding(id: string, model: string): Promise<number[] | null> {
    const [row] = await this.db.q`SELECT vector_json FROM kg_embeddings WHERE assertion_id = ${id} AND model = ${model}`;
    return row ? (JSON.parse((row as { vector_json: string }).vector_json) as number[]) : null;
  }

  async saveEmbedding(id: string, model: string, vector: number[]): Promise<void> {
    await this.db.q`INSERT INTO kg_embeddings (assertion_id, model, vector_json) VALUES (${id}, ${model}, ${JSON.stringify(vector)})
      ON CONFLICT (assertion_id, model) DO UPDATE SET vector_json = excluded.vector_json`;
  }
}
