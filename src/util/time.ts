// Timestamps in the one format the Python runtime wrote and clients compare as strings:
// `YYYY-MM-DDTHH:MM:SS.ffffff+00:00` (docs/runtime.md "Keys and timestamps"). Never mix formats.

let lastMicros = 0;

/** Microseconds since the epoch, strictly increasing within this process. */
function nowMicros(): number {
  const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  lastMicros = us > lastMicros ? us : lastMicros + 1;
  return lastMicros;
}

export function isoFromMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const frac = String(us % 1_000_000).padStart(6, '0');
  return new Date(ms).toISOString().slice(0, 19) + '.' + frac + '+00:00';
}

export function isoFromMs(ms: number): string {
  return isoFromMicros(Math.round(ms * 1000));
}

export const nowIso = (): string => isoFromMicros(nowMicros());

/**
 * Parse any ISO-8601 timestamp (Z, offsets, no fraction, ms or µs precision) and return it in canonical form,
 * or null when it is not a timestamp.
 */
export function normalizeIso(input: string): string | null {
  const s = input.trim();
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (!m) return null;
  const [, date, hh = '00', mm = '00', ss = '00', frac = '', tz] = m;
  const base = Date.parse(`${date}T${hh}:${mm}:${ss}${tz ? (tz.toUpperCase() === 'Z' ? 'Z' : tz.length === 5 ? tz.slice(0, 3) + ':' + tz.slice(3) : tz) : 'Z'}`);
  if (Number.isNaN(base)) return null;
  const micros = Number((frac + '000000').slice(0, 6));
  return isoFromMicros(base * 1000 + micros);
}

/** Milliseconds since the epoch for a canonical or loose ISO string (NaN if invalid). */
export function isoToMs(iso: string): number {
  const n = normalizeIso(iso);
  if (!n) return NaN;
  return Date.parse(n.slice(0, 23) + 'Z');
}
