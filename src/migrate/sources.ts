// Readers for a Python AbstractGateway data directory (docs/operations.md "Configuration"; docs/runtime.md "Ledger"):
// the file backend (`run_*.json`, `ledger_*.jsonl`, `commands.jsonl`, `commands_cursor.json`) and the SQLite
// backend (`gateway.sqlite3`, Python schema). Readers never throw for bad content: each bad item comes back
// as `{ where, reason }` so the importer can skip it and report `file:line`.
import { Database } from 'bun:sqlite';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface Bad { where: string; reason: string }
export type Item<T> = { ok: true; where: string; value: T } | ({ ok: false } & Bad);

export interface LedgerSource { runId: string; where: string; records: Item<Record<string, unknown>>[] }

export interface Source {
  kind: 'file' | 'sqlite';
  /** Where the data comes from (shown in the summary). */
  location: string;
  runs(): Item<unknown>[];
  ledgers(): LedgerSource[];
  commands(): Item<Record<string, unknown>>[];
  /** Last applied command seq of the Python runner (consumer `gateway_runner`), or null when unknown. */
  cursor(): { cursor: number; updated_at: string | null } | null;
  close(): void;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const msg = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * One JSONL line → objects. A crash or two concurrent writers can leave several objects glued on one line
 * (`{...}{...}`); those are split at top-level brace boundaries, as the Python reader (HEAD) recovers them.
 */
export function parseJsonLine(line: string): { values: unknown[] } | { error: string } {
  try {
    return { values: [JSON.parse(line)] };
  } catch (e) {
    const parts: string[] = [];
    let depth = 0, start = -1, inStr = false, esc = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (inStr) {
        if (esc) esc = false;
        else if (ch === '\\') esc = true;
        else if (ch === '"') inStr = false;
        continue;
      }
      if (ch === '"') inStr = true;
      else if (ch === '{') { if (depth++ === 0) start = i; }
      else if (ch === '}' && depth > 0 && --depth === 0) parts.push(line.slice(start, i + 1));
    }
    if (parts.length > 1 && parts.join('') === line.trim()) {
      try { return { values: parts.map((p) => JSON.parse(p)) }; } catch { /* fall through */ }
    }
    return { error: `invalid JSON (${msg(e)})` };
  }
}

function readJsonl(path: string, label: string): Item<Record<string, unknown>>[] {
  const out: Item<Record<string, unknown>>[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((line, i) => {
    const where = `${label}:${i + 1}`;
    if (!line.trim()) return;
    const parsed = parseJsonLine(line);
    if ('error' in parsed) { out.push({ ok: false, where, reason: parsed.error }); return; }
    for (const v of parsed.values) {
      if (isObj(v)) out.push({ ok: true, where, value: v });
      else out.push({ ok: false, where, reason: 'not a JSON object' });
    }
  });
  return out;
}

export function fileSource(dir: string): Source {
  const names = readdirSync(dir).sort();
  return {
    kind: 'file',
    location: dir,
    runs: () =>
      names.filter((n) => /^run_.+\.json$/.test(n)).map((n): Item<unknown> => {
        try {
          const v = JSON.parse(readFileSync(join(dir, n), 'utf8'));
          return { ok: true, where: n, value: { expectedId: n.slice(4, -5), run: v } };
        } catch (e) {
          return { ok: false, where: n, reason: `invalid JSON (${msg(e)})` };
        }
      }),
    ledgers: () =>
      names.filter((n) => /^ledger_.+\.jsonl$/.test(n)).map((n) => ({ runId: n.slice(7, -6), where: n, records: readJsonl(join(dir, n), n) })),
    commands: () => (existsSync(join(dir, 'commands.jsonl')) ? readJsonl(join(dir, 'commands.jsonl'), 'commands.jsonl') : []),
    cursor: () => {
      const p = join(dir, 'commands_cursor.json');
      if (!existsSync(p)) return null;
      try {
        const v = JSON.parse(readFileSync(p, 'utf8'));
        const n = Number(v?.cursor);
        return Number.isInteger(n) && n >= 0 ? { cursor: n, updated_at: typeof v.updated_at === 'string' ? v.updated_at : null } : null;
      } catch {
        return null;
      }
    },
    close: () => {},
  };
}

/** True when `path` is a SQLite file written by the Python gateway (its schema has `wait_index`, ours does not). */
export function isPythonSqlite(path: string): boolean {
  if (!existsSync(path)) return false;
  let db: Database | null = null;
  try {
    db = new Database(path, { readonly: true });
    const tables = new Set((db.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    return tables.has('runs') && tables.has('ledger') && !tables.has('runner_lease');
  } catch {
    return false;
  } finally {
    db?.close();
  }
}

export function sqliteSource(path: string): Source {
  const db = new Database(path, { readonly: true });
  const label = basename(path);
  const has = (t: string) => db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(t) !== null;
  const parse = (text: string, where: string): Item<unknown> => {
    try {
      return { ok: true, where, value: JSON.parse(text) };
    } catch (e) {
      return { ok: false, where, reason: `invalid JSON (${msg(e)})` };
    }
  };
  return {
    kind: 'sqlite',
    location: path,
    runs: () =>
      (db.query('SELECT run_id, run_json FROM runs ORDER BY run_id').all() as { run_id: string; run_json: string }[]).map((r) => {
        const item = parse(r.run_json, `${label} runs[${r.run_id}]`);
        return item.ok ? { ...item, value: { expectedId: r.run_id, run: item.value } } : item;
      }),
    ledgers: () => {
      const out = new Map<string, LedgerSource>();
      const rows = db.query('SELECT run_id, seq, record_json FROM ledger ORDER BY run_id, seq').iterate() as IterableIterator<{ run_id: string; seq: number; record_json: string }>;
      for (const r of rows) {
        let src = out.get(r.run_id);
        if (!src) out.set(r.run_id, (src = { runId: r.run_id, where: `${label} ledger[${r.run_id}]`, records: [] }));
        const item = parse(r.record_json, `${label} ledger[${r.run_id}#${r.seq}]`);
        if (item.ok && !isObj(item.value)) src.records.push({ ok: false, where: item.where, reason: 'not a JSON object' });
        else src.records.push(item as Item<Record<string, unknown>>);
      }
      return [...out.values()];
    },
    commands: () => {
      if (!has('commands')) return [];
      const rows = db.query('SELECT seq, command_id, run_id, type, payload_json, ts, client_id FROM commands ORDER BY seq').all() as Record<string, any>[];
      return rows.map((r) => {
        let payload: unknown = {};
        try { payload = JSON.parse(r.payload_json); } catch { payload = {}; }
        return { ok: true as const, where: `${label} commands[seq ${r.seq}]`, value: { ...r, payload_json: undefined, payload } };
      });
    },
    cursor: () => {
      if (!has('command_cursors')) return null;
      const r = db.query("SELECT cursor, updated_at FROM command_cursors WHERE consumer_id = 'gateway_runner'").get() as { cursor: number; updated_at: string } | null;
      return r ? { cursor: Number(r.cursor), updated_at: r.updated_at ?? null } : null;
    },
    close: () => db.close(),
  };
}
