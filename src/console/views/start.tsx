// Start: pick a bundle and entrypoint, fill the input form generated from the entrypoint's declared start pins
// (type → control, pinDefaults → initial values, a `prompt` pin without default or a pin marked `required` is
// required), start, land on the run. Also offers "Schedule instead" (interval, or cron with a time zone).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, type BundleDetail } from '../api.ts';
import { ErrorBox, Field, go, runHref, useAsync } from '../ui.tsx';

type Pin = BundleDetail['entrypoints'][number]['inputs'][number] & { label?: string; type?: string; default?: unknown; required?: boolean };

const kindOf = (t: string | undefined): 'string' | 'number' | 'boolean' | 'json' => {
  const s = (t ?? 'any').toLowerCase();
  if (s === 'string' || s === 'text') return 'string';
  if (s === 'number' || s === 'integer' || s === 'int' || s === 'float') return 'number';
  if (s === 'boolean' || s === 'bool') return 'boolean';
  return 'json';
};
const isRequired = (p: Pin) => p.required === true || (p.id === 'prompt' && p.default === undefined);
const initial = (p: Pin): string | boolean => {
  const k = kindOf(p.type);
  if (k === 'boolean') return p.default === true;
  if (p.default === undefined) return '';
  return k === 'json' ? JSON.stringify(p.default, null, 2) : String(p.default);
};

export function StartView({ query }: { query: URLSearchParams }) {
  const list = useAsync(() => api.bundles(), []);
  const bundleIds = useMemo(() => [...new Set((list.value?.items ?? []).map((b) => b.bundle_id))], [list.value]);
  const [bundleId, setBundleId] = useState(query.get('bundle') ?? '');
  const [flowId, setFlowId] = useState(query.get('flow') ?? '');
  useEffect(() => { if (!bundleId && bundleIds.length) setBundleId(list.value?.default_bundle_id ?? bundleIds[0]!); }, [bundleIds.join()]);
  const detail = useAsync(async () => (bundleId ? api.bundle(bundleId) : null), [bundleId]);
  const eps = detail.value?.entrypoints ?? [];
  const ep = eps.find((e) => e.flow_id === flowId) ?? eps.find((e) => e.flow_id === detail.value?.default_entrypoint) ?? eps[0] ?? null;
  const pins = (ep?.inputs ?? []) as Pin[];

  const [values, setValues] = useState<Record<string, string | boolean>>({});
  useEffect(() => setValues(Object.fromEntries(pins.map((p) => [p.id, initial(p)]))), [ep?.workflow_id]);
  const [session, setSession] = useState('');
  const [mode, setMode] = useState<'now' | 'interval' | 'cron'>(query.get('schedule') ? 'interval' : 'now');
  const [every, setEvery] = useState('1h');
  const [cron, setCron] = useState('0 9 * * *');
  const [tz, setTz] = useState(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const input: Record<string, unknown> = {};
    const errs: Record<string, string> = {};
    for (const p of pins) {
      const v = values[p.id];
      const k = kindOf(p.type);
      if (k === 'boolean') { input[p.id] = v === true; continue; }
      const s = String(v ?? '');
      if (s.trim() === '') { if (isRequired(p)) errs[p.id] = 'Required'; continue; }
      if (k === 'number') { const n = Number(s); if (Number.isNaN(n)) errs[p.id] = 'Not a number'; else input[p.id] = n; }
      else if (k === 'json') { try { input[p.id] = JSON.parse(s); } catch { input[p.id] = s; } }
      else input[p.id] = s;
    }
    setErrors(errs);
    if (Object.keys(errs).length || !ep) return;
    setBusy(true);
    setSubmitError(null);
    try {
      const base = { bundle_id: bundleId, flow_id: ep.flow_id, input_data: input, session_id: session.trim() || null };
      const r = mode === 'now'
        ? await api.start(base)
        : await api.schedule({ ...base, flow_id: ep.flow_id, start_at: 'now', ...(mode === 'interval' ? { interval: every } : { cron, timezone: tz }) });
      go(runHref(r.run_id));
    } catch (err) { setSubmitError(err); } finally { setBusy(false); }
  };

  return (
    <div class="page narrow">
      <div class="page-h"><h1>Start a run</h1></div>
      <ErrorBox error={list.error} title="Bundles" />
      <form class="card form" onSubmit={submit} aria-label="Start a run">
        <div class="row">
          <Field label="Bundle">
            <select name="bundle" value={bundleId} onChange={(e) => { setBundleId((e.target as HTMLSelectElement).value); setFlowId(''); }}>
              {bundleIds.map((b) => <option value={b}>{b}</option>)}
            </select>
          </Field>
          <Field label="Entrypoint">
            <select name="entrypoint" value={ep?.flow_id ?? ''} onChange={(e) => setFlowId((e.target as HTMLSelectElement).value)}>
              {eps.map((e) => <option value={e.flow_id}>{e.name || e.flow_id}</option>)}
            </select>
          </Field>
        </div>
        {ep?.description ? <p class="muted">{ep.description}</p> : null}
        <ErrorBox error={detail.error} title="Bundle" />
        <fieldset class="pins">
          <legend>Inputs</legend>
          {!pins.length ? <p class="muted">This entrypoint declares no inputs.</p> : null}
          {pins.map((p) => {
            const k = kindOf(p.type);
            const label = `${p.label || p.id}${isRequired(p) ? ' *' : ''}`;
            const hint = <>{p.type ?? 'any'}{p.default !== undefined ? ` · default ${JSON.stringify(p.default)}` : ''}{errors[p.id] ? <strong class="err-text"> {errors[p.id]}</strong> : null}</>;
            const set = (v: string | boolean) => setValues((vs) => ({ ...vs, [p.id]: v }));
            if (k === 'boolean') return <label class="check"><input type="checkbox" name={p.id} checked={values[p.id] === true} onChange={(e) => set((e.target as HTMLInputElement).checked)} /> {label}</label>;
            return (
              <Field label={label} hint={hint}>
                {k === 'json'
                  ? <textarea name={p.id} rows={3} value={String(values[p.id] ?? '')} aria-invalid={errors[p.id] ? 'true' : undefined} onInput={(e) => set((e.target as HTMLTextAreaElement).value)} />
                  : <input name={p.id} {...(k === 'number' ? { type: 'number' as const, step: 'any' } : { type: 'text' as const })} required={isRequired(p)} value={String(values[p.id] ?? '')}
                      aria-invalid={errors[p.id] ? 'true' : undefined} onInput={(e) => set((e.target as HTMLInputElement).value)} />}
              </Field>
            );
          })}
        </fieldset>
        <Field label="Session id" hint="optional; groups runs (default: the new run's id)">
          <input type="text" name="session" value={session} onInput={(e) => setSession((e.target as HTMLInputElement).value)} />
        </Field>
        <fieldset class="when">
          <legend>When</legend>
          <div class="row">
            {(['now', 'interval', 'cron'] as const).map((m) => (
              <label class="check"><input type="radio" name="mode" value={m} checked={mode === m} onChange={() => setMode(m)} />
                {m === 'now' ? ' Run now' : m === 'interval' ? ' Every interval' : ' Cron schedule'}</label>
            ))}
          </div>
          {mode === 'interval' ? <Field label="Interval" hint="e.g. 30s, 15m, 1h, 1d"><input type="text" name="interval" value={every} onInput={(e) => setEvery((e.target as HTMLInputElement).value)} /></Field> : null}
          {mode === 'cron' ? (
            <div class="row">
              <Field label="Cron expression" hint="minute hour day month weekday"><input type="text" name="cron" value={cron} onInput={(e) => setCron((e.target as HTMLInputElement).value)} /></Field>
              <Field label="Time zone" hint="IANA name"><input type="text" name="timezone" value={tz} onInput={(e) => setTz((e.target as HTMLInputElement).value)} /></Field>
            </div>
          ) : null}
        </fieldset>
        <ErrorBox error={submitError} title={mode === 'now' ? 'Could not start' : 'Could not schedule'} />
        <button type="submit" class="primary" disabled={busy || !ep}>{mode === 'now' ? 'Start run' : 'Create schedule'}</button>
      </form>
    </div>
  );
}
