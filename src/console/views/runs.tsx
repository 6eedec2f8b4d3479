// Runs: the live list (most recently updated first) with filters, id search and cursor pagination.
// Pages come from the server's keyset cursor (`next_cursor`), so "Load more" costs the same at 100k runs as at
// 100. The first page is refreshed every 2 s (status updates without a reload); later pages stay as loaded.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type RunListItem } from '../api.ts';
import { ErrorBox, Field, go, runHref, ShortId, Status, Time, useInterval } from '../ui.tsx';

const STATUSES = ['', 'running', 'waiting', 'completed', 'failed', 'cancelled'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A scheduled parent's workflow id is `scheduled:<uuid>`: show what it runs and how often instead. */
const scheduleTarget = (r: RunListItem): string | null => (r.is_scheduled && typeof r.schedule?.target_workflow_id === 'string' ? r.schedule.target_workflow_id : null);
const scheduleCadence = (r: RunListItem): string =>
  r.schedule?.cron ? `cron ${String(r.schedule.cron)}` : r.schedule?.interval ? `every ${String(r.schedule.interval)}` : 'once';

interface Filters { status: string; workflow_id: string; session_id: string; root_only: boolean }

export function RunsView() {
  const [filters, setFilters] = useState<Filters>({ status: '', workflow_id: '', session_id: '', root_only: true });
  const [first, setFirst] = useState<RunListItem[] | null>(null);
  const [more, setMore] = useState<RunListItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [firstCursor, setFirstCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [search, setSearch] = useState('');
  const [searchMsg, setSearchMsg] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const searchBox = useRef<HTMLInputElement>(null);

  // `/` jumps to the id search (unless the person is typing somewhere).
  useEffect(() => {
    const on = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (e.key === '/' && !/^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) { e.preventDefault(); searchBox.current?.focus(); }
    };
    addEventListener('keydown', on);
    return () => removeEventListener('keydown', on);
  }, []);

  const query = { ...filters, limit: 50 };
  const refresh = () =>
    api.runs(query).then((r) => {
      setFirst(r.items);
      setFirstCursor(r.next_cursor);
      setError(null);
    }, setError);

  useEffect(() => {
    setFirst(null);
    setMore([]);
    setCursor(null);
    void refresh();
  }, [filters.status, filters.workflow_id, filters.session_id, filters.root_only]);
  useInterval(() => void refresh(), 2000);

  const loadMore = async () => {
    const from = more.length ? cursor : firstCursor;
    if (!from) return;
    setLoadingMore(true);
    try {
      const r = await api.runs({ ...query, cursor: from });
      setMore((m) => [...m, ...r.items]);
      setCursor(r.next_cursor);
    } catch (e) { setError(e); } finally { setLoadingMore(false); }
  };
  const hasMore = more.length ? cursor !== null : firstCursor !== null;

  const seen = new Set((first ?? []).map((r) => r.run_id));
  let rows = [...(first ?? []), ...more.filter((r) => !seen.has(r.run_id))];
  const needle = search.trim().toLowerCase();
  if (needle && !UUID.test(needle)) rows = rows.filter((r) => r.run_id.toLowerCase().includes(needle));

  const onSearch = async (e: Event) => {
    e.preventDefault();
    const id = search.trim();
    setSearchMsg(null);
    if (!UUID.test(id) && !/^[\w:.@-]{20,}$/.test(id)) {
      setSearchMsg(id ? `Showing loaded runs whose id contains “${id}”. Paste a whole id to open any run.` : null);
      return;
    }
    try {
      await api.run(id);
      go(runHref(id));
    } catch (err) {
      setSearchMsg(err instanceof ApiError && err.status === 404 ? `No run with id ${id}.` : (err as Error).message);
    }
  };

  const set = (k: keyof Filters) => (e: Event) => {
    const t = e.target as HTMLInputElement;
    setFilters((f) => ({ ...f, [k]: t.type === 'checkbox' ? t.checked : t.value }));
  };

  return (
    <div class="page">
      <div class="page-h">
        <h1>Runs</h1>
        <a class="button primary" href="#/start">Start a run</a>
      </div>
      <form class="toolbar" onSubmit={onSearch} role="search" aria-label="Find a run">
        <Field label="Find by id">
          <input type="search" ref={searchBox} placeholder="whole id, or its tail  (press /)" value={search} spellcheck={false}
            onInput={(e) => { setSearch((e.target as HTMLInputElement).value); setSearchMsg(null); }} />
        </Field>
        <Field label="Status">
          <select value={filters.status} onChange={set('status')}>
            {STATUSES.map((s) => <option value={s}>{s || 'any'}</option>)}
          </select>
        </Field>
        <Field label="Workflow">
          <input type="text" placeholder="bundle@ver:flow" value={filters.workflow_id} onChange={set('workflow_id')} />
        </Field>
        <Field label="Session">
          <input type="text" value={filters.session_id} onChange={set('session_id')} />
        </Field>
        <label class="check"><input type="checkbox" checked={filters.root_only} onChange={set('root_only')} /> top-level only</label>
        <button type="submit" class="ghost">Find</button>
      </form>
      {searchMsg ? <p class="note" role="status">{searchMsg}</p> : null}
      <ErrorBox error={error} title="Could not list runs" />
      <div class="table-wrap">
        <table class="runs" aria-label="Runs" aria-busy={first === null ? 'true' : undefined}>
          <thead>
            <tr><th scope="col">Run</th><th scope="col">Status</th><th scope="col">Workflow</th><th scope="col">Session</th>
              <th scope="col">Started</th><th scope="col">Updated</th><th scope="col">Waiting for</th></tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.run_id} data-run-id={r.run_id} class="clickable" onClick={() => go(runHref(r.run_id))}>
                <td><a href={runHref(r.run_id)} aria-label={`Open run ${r.run_id}`}><ShortId id={r.run_id} /></a>
                  {r.is_scheduled ? <span class="tag">schedule</span> : null}</td>
                <td><Status status={r.status} paused={r.paused} /></td>
                <td class="wf" title={r.workflow_id}>{scheduleTarget(r) ? <><span class="muted">{scheduleCadence(r)} → </span>{scheduleTarget(r)}</> : r.workflow_id}</td>
                <td><ShortId id={r.session_id} /></td>
                <td><Time iso={r.created_at} /></td>
                <td><Time iso={r.updated_at} /></td>
                <td>{r.waiting ? <span class="muted">{r.waiting.reason === 'until' && r.waiting.until ? <>time: <Time iso={r.waiting.until} /></> : r.waiting.reason}</span> : null}</td>
              </tr>
            ))}
            {first !== null && rows.length === 0 ? (
              <tr><td colSpan={7} class="empty">No runs{filters.status || filters.workflow_id || filters.session_id || needle ? ' match these filters' : ' yet — start one'}.</td></tr>
            ) : null}
          </tbody>
        </table>
      </div>
      <div class="pager">
        <span class="muted">{rows.length} shown</span>
        {hasMore ? <button type="button" class="ghost" onClick={loadMore} disabled={loadingMore}>{loadingMore ? 'Loading…' : 'Load more'}</button> : null}
      </div>
    </div>
  );
}
