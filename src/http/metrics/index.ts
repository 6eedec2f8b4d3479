// The gateway's metrics, fed from the existing notification points: store.notifier's observer (every committed
// ledger append, every transaction's and tick's duration) and the HTTP response wrap (429s by limit). Gauges that
// describe stored state (runs by status, commands by type and outcome) are read at scrape time with one GROUP BY
// each (`render` awaits both, then formats), so nothing on the hot path counts them and they survive restarts. Per process: a split deployment
// (`serve --no-runner` + `runner`) reports ticks in the runner process, which serves no /metrics.
import { RUN_STATUSES } from '../../model/index.ts';
import type { AppendedRecord, Store } from '../../store/index.ts';
import { Counter, Gauge, Histogram, exposition } from './registry.ts';

const TERMINAL_PREFIX = 'system:terminal_status:';

export class GatewayMetrics {
  readonly ledgerAppends = new Counter('abstractgateway_ledger_appends_total', 'Ledger records appended (committed) by this process');
  readonly starts = new Counter('abstractgateway_run_starts_total', 'Runs that began executing (first ledger record) in this process');
  readonly runEvents = new Counter('abstractgateway_run_events_total', 'Run lifecycle events seen by this process (started, waiting, resumed, completed, failed, cancelled)', true);
  readonly rejected429 = new Counter('abstractgateway_http_429_total', 'Requests refused with 429, by limit (auth_lockout, concurrency_limit, ...)', true);
  readonly requests = new Counter('abstractgateway_http_requests_total', 'HTTP responses by method and status class', true);
  readonly tick = new Histogram('abstractgateway_tick_duration_seconds', 'Duration of one run tick (runtime.tick)');
  readonly commit = new Histogram('abstractgateway_commit_duration_seconds', 'Duration of one store transaction (group commit included)');
  private readonly unobserve: () => void;
  private readonly families;
  /** The stored-state counts of the scrape being rendered (read by `render` just before formatting). */
  private snapshot: { runs: { status: string; n: number }[]; commands: { type: string; outcome: string; n: number }[] } = { runs: [], commands: [] };

  constructor(private readonly store: Store) {
    this.families = [
      new Gauge('abstractgateway_runs', 'Runs by status (internal runs excluded)', () => {
        const counts = new Map(this.snapshot.runs.map((r) => [r.status, r.n]));
        return RUN_STATUSES.map((status) => ({ labels: { status }, value: counts.get(status) ?? 0 }));
      }),
      this.starts,
      this.runEvents,
      new Gauge('abstractgateway_commands', 'Commands in the durable inbox by type and outcome (pending, applied, rejected)', () =>
        this.snapshot.commands.map((r) => ({ labels: { type: r.type, outcome: r.outcome }, value: r.n }))),
      this.ledgerAppends,
      new Gauge('abstractgateway_sse_subscribers', 'Open ledger streams (SSE) waiting for records', () => [{ value: store.notifier.ledgerSubscriberCount() }]),
      this.tick,
      this.commit,
      this.requests,
      this.rejected429,
    ];
    this.unobserve = store.notifier.observe({
      append: (r) => this.onAppend(r),
      commit: (ms) => this.commit.observe(ms / 1000),
      tick: (ms) => this.tick.observe(ms / 1000),
    });
  }

  private onAppend(r: AppendedRecord): void {
    this.ledgerAppends.inc();
    for (const e of lifecycleEvents(r)) {
      if (e.event === 'started') this.starts.inc();
      this.runEvents.inc({ event: e.event });
    }
  }

  /** One HTTP response (fed by the request wrap in routes.ts). */
  response(method: string, status: number, limit: string | null): void {
    this.requests.inc({ method, status: `${Math.floor(status / 100)}xx` });
    if (status === 429) this.rejected429.inc({ limit: limit ?? 'unknown' });
  }

  async render(): Promise<string> {
    const [runs, commands] = await Promise.all([this.store.runs.countByStatus(), this.store.commands.countByOutcome()]);
    // Formatting is synchronous: concurrent scrapes cannot mix their snapshots.
    this.snapshot = { runs, commands };
    return exposition(this.families);
  }

  close(): void {
    this.unobserve();
  }
}

export type RunLifecycle = 'started' | 'waiting' | 'resumed' | 'completed' | 'failed' | 'cancelled';

/** The run lifecycle events a committed ledger record marks (shared with the server log); usually none. */
export function lifecycleEvents(r: AppendedRecord): { event: RunLifecycle; reason?: string }[] {
  const out: { event: RunLifecycle; reason?: string }[] = r.seq === 1 ? [{ event: 'started' }] : [];
  if (r.idempotency_key?.startsWith(TERMINAL_PREFIX)) {
    const s = r.idempotency_key.slice(TERMINAL_PREFIX.length);
    if (s === 'completed' || s === 'failed' || s === 'cancelled') out.push({ event: s });
  } else if (r.status === 'waiting') out.push({ event: 'waiting', ...(r.wait_reason ? { reason: r.wait_reason } : {}) });
  else if (r.effect_type === 'resume' && r.status === 'completed') out.push({ event: 'resumed' });
  return out;
}
