// Audit log of write requests (docs/security.md): one compact JSON object per line in `<dataDir>/audit_log.jsonl`,
// rotated by size. Never holds secrets: token fingerprints only, query values redacted, header allowlist.
// Writing is synchronous (small appends keep entries ordered) and never fails the request.
import { appendFileSync, existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditSettings } from './policy.ts';

export const AUDIT_FILE = 'audit_log.jsonl';
const ROTATED = /^audit_log\.\d{8}T\d{12}Z\.jsonl$/;
/** Headers that may carry credentials are never copied, even if listed in the allowlist. */
const NEVER_LOGGED = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);
const MAX_HEADER_VALUE = 256;

export interface AuditEntry {
  ts: string;
  request_id: string;
  ip: string;
  method: string;
  path: string;
  query?: string;
  status: number;
  duration_ms: number;
  auth_required: boolean;
  auth_token_fp?: string;
  origin?: string;
  user_agent?: string;
  bytes_in?: number;
  headers?: Record<string, string>;
  error?: string;
}

/** `a=1&b=secret` → `a=<redacted>&b=<redacted>` (keys only, at most 50). */
export function redactQuery(search: string): string | undefined {
  const keys = [...new URLSearchParams(search).keys()].slice(0, 50);
  return keys.length ? keys.map((k) => `${k}=<redacted>`).join('&') : undefined;
}

/** The allowlisted request headers, values truncated. */
export function pickHeaders(headers: Headers, allow: readonly string[]): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const name of allow) {
    const v = headers.get(name);
    if (v !== null && !NEVER_LOGGED.has(name)) out[name] = v.slice(0, MAX_HEADER_VALUE);
  }
  return Object.keys(out).length ? out : undefined;
}

export interface TailResult {
  ok: true;
  bytes: number; // size of `content` in bytes
  truncated: boolean; // older entries exist that are not included
  content: string; // whole JSON lines, oldest first
  entries: unknown[]; // the same lines parsed (unparsable lines skipped)
}

export class AuditLog {
  readonly path: string;

  constructor(private readonly dataDir: string, private readonly settings: AuditSettings) {
    this.path = join(dataDir, AUDIT_FILE);
  }

  write(entry: AuditEntry): void {
    if (!this.settings.enabled) return;
    try {
      mkdirSync(this.dataDir, { recursive: true });
      this.rotateIfFull();
      appendFileSync(this.path, JSON.stringify(entry) + '\n', { mode: 0o600 });
    } catch (err) {
      console.error(`[security] audit log write failed (${this.path}): ${(err as Error).message}`);
    }
  }

  private rotateIfFull(): void {
    const { maxBytes, rotations } = this.settings;
    if (maxBytes <= 0 || !existsSync(this.path) || statSync(this.path).size < maxBytes) return;
    renameSync(this.path, join(this.dataDir, `audit_log.${rotationStamp()}.jsonl`));
    const rotated = readdirSync(this.dataDir).filter((f) => ROTATED.test(f)).sort();
    for (const old of rotated.slice(0, Math.max(0, rotated.length - rotations))) unlinkSync(join(this.dataDir, old));
  }
}

/** The newest `limit` entries within the last `maxBytes` bytes of `<dataDir>/audit_log.jsonl`. */
export async function tailAudit(dataDir: string, limit = 100, maxBytes = 80_000): Promise<TailResult> {
  const path = join(dataDir, AUDIT_FILE);
  if (!existsSync(path)) return { ok: true, bytes: 0, truncated: false, content: '', entries: [] };
  const file = Bun.file(path);
  const size = file.size;
  const from = Math.max(0, size - maxBytes - 1); // one extra byte tells whether the cut is on a line boundary
  let text = await file.slice(from, size).text();
  if (from > 0) { const nl = text.indexOf('\n'); text = nl < 0 ? '' : text.slice(nl + 1); }
  let lines = text.split('\n').filter(Boolean);
  let truncated = from > 0;
  if (lines.length > limit) { lines = lines.slice(-limit); truncated = true; }
  const content = lines.length ? lines.join('\n') + '\n' : '';
  const entries = lines.flatMap((l) => { try { return [JSON.parse(l) as unknown]; } catch { return []; } });
  return { ok: true, bytes: Buffer.byteLength(content), truncated, content, entries };
}

let lastMs = '';
let seq = 0;
/** `YYYYMMDDTHHMMSSmmmnnnZ` (UTC, ms + a 3-digit sequence): sorts by age, unique within the process. */
function rotationStamp(): string {
  const ms = new Date().toISOString().replace(/[-:.Z]/g, '');
  seq = ms === lastMs ? seq + 1 : 0;
  lastMs = ms;
  return `${ms}${String(seq).padStart(3, '0')}Z`;
}
