// Schedules: scheduled parent runs (one per schedule) among the active top-level runs, with their cadence,
// executions and next fire times; "New schedule" opens the start form in schedule mode. The list is built from
// the public runs list (no schedule index endpoint exists): waiting and running top-level runs, filtered to
// `is_scheduled`, up to 10 pages each.
import { api, type RunListItem } from '../api.ts';
import { ErrorBox, runHref, ShortId, Status, Time, useAsync, useInterval } from '../ui.tsx';

async function scheduled(): Promise<RunListItem[]> {
  const out: RunListItem[] = [];
  for (const status of ['waiting', 'running']) {
    let cursor: string | null | undefined;
    for (let page = 0; page < 10; page++) {
      const r = await api.runs({ status, root_only: true, limit: 200, cursor });
      out.push(...r.items.filter((i) => i.is_scheduled));
      cursor = r.next_cursor;
      if (!cursor) break;
    }
  }
  return out;
}

export function SchedulesView() {
  const list = useAsync(scheduled, []);
  useInterval(() => list.reload(), 5000);
  return (
    <div class="page">
      <div class="page-h">
        <h1>Schedules</h1>
        <a class="button primary" href="#/start?schedule=1">New schedule</a>
      </div>
      <p class="muted small">Active schedules. Open one to change its interval, pause, resume or cancel it; ended schedules stay in <a href="#/runs">Runs</a>.</p>
      <ErrorBox error={list.error} title="Could not list schedules" />
      <div class="table-wrap">
        <table aria-label="Schedules">
          <thead><tr><th scope="col">Schedule</th><th scope="col">Status</th><th scope="col">Target</th><th scope="col">Cadence</th><th scope="col">Executions</th><th scope="col">Next fire</th></tr></thead>
          <tbody>
            {(list.value ?? []).map((r) => {
              const s = (r.schedule ?? {}) as Record<string, unknown>;
              const fires = Array.isArray(s.upcoming_fires) ? (s.upcoming_fires as string[]) : [];
              return (
                <tr data-run-id={r.run_id}>
                  <td><a href={runHref(r.run_id)}><ShortId id={r.run_id} /></a></td>
                  <td><Status status={r.status} paused={r.paused} /></td>
                  <td class="wf">{String(s.target_workflow_id ?? '—')}</td>
                  <td>{s.cron ? `cron ${String(s.cron)} (${String(s.timezone ?? 'UTC')})` : s.interval ? `every ${String(s.interval)}` : 'once'}</td>
                  <td>{String(s.executions ?? 0)}{s.repeat_count ? ` / ${String(s.repeat_count)}` : ''}</td>
                  <td>{fires[0] ? <Time iso={fires[0]} /> : s.next_fire_at ? <Time iso={String(s.next_fire_at)} /> : '—'}</td>
                </tr>
              );
            })}
            {list.value && !list.value.length ? <tr><td colSpan={6} class="empty">No active schedules.</td></tr> : null}
          </tbody>
        </table>
      </div>
    </div>
  );
}
