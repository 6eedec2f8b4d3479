// Small shared pieces of the console UI: hash routing, async state, ids, times, status badges, JSON views.
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.ts';

/** `#/runs/abc?x=1` → { path: ['runs', 'abc'], query }. The hash never carries the token. */
export function parseHash(hash: string): { path: string[]; query: URLSearchParams } {
  const h = hash.replace(/^#\/?/, '');
  const [p = '', qs = ''] = h.split('?');
  return { path: p.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(qs) };
}

export function useRoute() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return parseHash(hash);
}

export const go = (path: string) => { location.hash = path; };
export const runHref = (id: string) => `#/runs/${encodeURIComponent(id)}`;

/** Loads `fn()` (again when deps change); `reload()` refetches without clearing the current value. */
export function useAsync<T>(fn: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ value?: T; error?: ApiError | Error; loading: boolean }>({ loading: true });
  const seq = useRef(0);
  const reload = useCallback(() => {
    const n = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (value) => n === seq.current && setState({ value, loading: false }),
      (error: Error) => n === seq.current && setState((s) => ({ ...s, error, loading: false })),
    );
  }, deps);
  useEffect(reload, [reload]);
  return { ...state, reload };
}

/** Calls `fn` every `ms` while the tab is visible. */
export function useInterval(fn: () => void, ms: number | null) {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    if (ms === null) return;
    const t = setInterval(() => document.visibilityState === 'visible' && ref.current(), ms);
    return () => clearInterval(t);
  }, [ms]);
}

/**
 * Time-ordered (UUIDv7) ids share their leading timestamp digits: show the random tail, which tells runs
 * apart, and keep the whole id in the tooltip and for copying.
 */
export function idTail(id: string): string {
  const m = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-([0-9a-f]{12})$/i.exec(id);
  if (m) return m[1]!;
  return id.length > 16 ? `${id.slice(0, 6)}…${id.slice(-8)}` : id;
}

export function ShortId({ id }: { id: string | null | undefined }) {
  if (!id) return <span class="muted">—</span>;
  return <code class="id" title={id} aria-label={`id ${id}`}>…{idTail(id)}</code>;
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <button type="button" class="ghost small" aria-label={`${label}: ${text}`}
      onClick={() => { void navigator.clipboard?.writeText(text); setDone(true); setTimeout(() => setDone(false), 1200); }}>
      {done ? 'Copied' : label}
    </button>
  );
}

const pad = (n: number) => String(n).padStart(2, '0');
export function fmtTime(iso: string | null | undefined, withDate = true): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const t = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (!withDate) return t;
  const today = new Date();
  return d.toDateString() === today.toDateString() ? t : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${t}`;
}

export function Time({ iso, withDate = true }: { iso: string | null | undefined; withDate?: boolean }) {
  return <time dateTime={iso ?? undefined} title={iso ?? undefined}>{fmtTime(iso, withDate)}</time>;
}

export const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export function Status({ status, paused }: { status: string; paused?: boolean }) {
  return (
    <span class="status-wrap">
      <span class={`badge s-${status}`} data-status={status}>{status}</span>
      {paused ? <span class="badge s-paused" data-status="paused">paused</span> : null}
    </span>
  );
}

export function Json({ value }: { value: unknown }) {
  return <pre class="json">{JSON.stringify(value, null, 2)}</pre>;
}

export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const e = error as ApiError;
  return (
    <div class="error" role="alert">
      {title ? <strong>{title}: </strong> : null}
      {e.message ?? String(error)}
      {e.code ? <span class="muted"> ({e.code})</span> : null}
    </div>
  );
}

export function Panel({ title, children, actions, id }: { title: string; children: ComponentChildren; actions?: ComponentChildren; id?: string }) {
  return (
    <section class="panel" aria-labelledby={id ? `${id}-h` : undefined}>
      <header class="panel-h">
        <h2 id={id ? `${id}-h` : undefined}>{title}</h2>
        {actions ? <div class="panel-actions">{actions}</div> : null}
      </header>
      <div class="panel-b">{children}</div>
    </section>
  );
}

export function Field({ label, children, hint }: { label: string; children: ComponentChildren; hint?: ComponentChildren }) {
  return (
    <label class="field">
      <span class="field-l">{label}</span>
      {children}
      {hint ? <span class="hint">{hint}</span> : null}
    </label>
  );
}
