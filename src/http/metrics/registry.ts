// Prometheus text exposition (format 0.0.4) for a handful of counters, gauges and histograms. Small on purpose:
// the gateway exports ~10 series with fixed labels, which needs no client library (prom-client would bring its
// own registry, default Node process metrics and perf_hooks collectors we do not want on Bun).
type Labels = Record<string, string>;

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (l: Labels) => {
  const keys = Object.keys(l);
  return keys.length ? `{${keys.map((k) => `${k}="${esc(l[k]!)}"`).join(',')}}` : '';
};
const num = (n: number) => (Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN');

interface Family { name: string; help: string; type: 'counter' | 'gauge' | 'histogram'; render(): string[] }

/** A counter (optionally labelled); `inc` is one Map lookup (hot-path safe). */
export class Counter implements Family {
  readonly type = 'counter';
  private values = new Map<string, { labels: Labels; v: number }>();
  /** `labelled`: a series appears once first incremented; otherwise the bare counter shows 0 from the start. */
  constructor(readonly name: string, readonly help: string, private readonly labelled = false) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    const cur = this.values.get(key);
    if (cur) cur.v += by;
    else this.values.set(key, { labels, v: by });
  }
  get(labels: Labels = {}): number { return this.values.get(labelText(labels))?.v ?? 0; }
  render(): string[] {
    if (!this.values.size) return this.labelled ? [] : [`${this.name} 0`];
    return [...this.values.values()].map(({ labels, v }) => `${this.name}${labelText(labels)} ${num(v)}`);
  }
}

/** A gauge computed at scrape time. */
export class Gauge implements Family {
  readonly type = 'gauge';
  constructor(readonly name: string, readonly help: string, private readonly read: () => { labels?: Labels; value: number }[]) {}
  render(): string[] {
    return this.read().map(({ labels, value }) => `${this.name}${labelText(labels ?? {})} ${num(value)}`);
  }
}

/** Latency in seconds over fixed buckets (cumulative, as the format wants). */
export class Histogram implements Family {
  readonly type = 'histogram';
  private counts: number[];
  private sum = 0;
  private n = 0;
  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[] = DEFAULT_BUCKETS) {
    this.counts = buckets.map(() => 0);
  }
  observe(seconds: number): void {
    this.sum += seconds;
    this.n++;
    for (let i = 0; i < this.buckets.length; i++) if (seconds <= this.buckets[i]!) { this.counts[i]!++; break; }
  }
  get count(): number { return this.n; }
  render(): string[] {
    let acc = 0;
    const lines = this.buckets.map((b, i) => `${this.name}_bucket{le="${b}"} ${(acc += this.counts[i]!)}`);
    lines.push(`${this.name}_bucket{le="+Inf"} ${this.n}`, `${this.name}_sum ${num(this.sum)}`, `${this.name}_count ${this.n}`);
    return lines;
  }
}

export const DEFAULT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export function exposition(families: Family[]): string {
  const out: string[] = [];
  for (const f of families) out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`, ...f.render());
  return out.join('\n') + '\n';
}
