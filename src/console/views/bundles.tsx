// Bundles: every installed version with its entrypoints; upload a `.flow` (drag and drop or file picker),
// reload the registry, remove a version, deprecate / undeprecate an entrypoint, start from an entrypoint.
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorBox, Panel, Time, useAsync } from '../ui.tsx';

export function BundlesView() {
  const [showDeprecated, setShowDeprecated] = useState(true);
  const list = useAsync(() => api.bundles(showDeprecated), [showDeprecated]);
  const [msg, setMsg] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [drag, setDrag] = useState(false);
  const [overwrite, setOverwrite] = useState(false);

  /** Runs one management call; on success shows the message it returns and refreshes the list. */
  const act = async (fn: () => Promise<string>) => {
    setMsg(null);
    setError(null);
    try {
      setMsg(await fn());
      list.reload();
    } catch (e) { setError(e); }
  };
  const upload = (files: FileList | null) => {
    const file = files?.[0];
    if (!file) return;
    void act(async () => {
      const r = await api.upload(file, overwrite);
      return `Installed ${r.bundle_ref}${r.gateway_reload_error ? ` (reload failed: ${r.gateway_reload_error})` : ''}`;
    });
  };

  return (
    <div class="page">
      <div class="page-h">
        <h1>Bundles</h1>
        <div class="row">
          <label class="check"><input type="checkbox" checked={showDeprecated} onChange={(e) => setShowDeprecated((e.target as HTMLInputElement).checked)} /> show deprecated</label>
          <button type="button" onClick={() => act(async () => { const r = await api.reload(); return `Reloaded: ${r.count} bundle(s)${r.errors.length ? `, ${r.errors.length} skipped` : ''}`; })}>Reload</button>
        </div>
      </div>
      <label class={`drop ${drag ? 'over' : ''}`} data-testid="drop-zone"
        onDragOver={(e) => { e.preventDefault(); setDrag(true); }} onDragLeave={() => setDrag(false)}
        onDrop={(e) => { e.preventDefault(); setDrag(false); upload(e.dataTransfer?.files ?? null); }}>
        <input type="file" accept=".flow,application/zip" class="visually-hidden" aria-label="Upload a .flow bundle"
          onChange={(e) => { upload((e.target as HTMLInputElement).files); (e.target as HTMLInputElement).value = ''; }} />
        <strong>Drop a <code>.flow</code> bundle here</strong> <span class="muted">or click to choose a file</span>
      </label>
      <label class="check"><input type="checkbox" checked={overwrite} onChange={(e) => setOverwrite((e.target as HTMLInputElement).checked)} /> overwrite an installed version</label>
      {msg ? <p class="note ok" role="status">{msg}</p> : null}
      <ErrorBox error={error} />
      <ErrorBox error={list.error} title="Could not list bundles" />
      <div class="cards">
        {(list.value?.items ?? []).map((b) => (
          <Panel key={b.bundle_ref} title={b.bundle_ref} actions={
            <button type="button" class="danger ghost" onClick={() => { if (confirm(`Remove ${b.bundle_ref}?`)) void act(async () => { await api.removeBundle(b.bundle_id, b.bundle_version); return `Removed ${b.bundle_ref}`; }); }}
              aria-label={`Remove ${b.bundle_ref}`}>Remove</button>}>
            <p class="muted small">created <Time iso={b.created_at} /></p>
            <ul class="eps">
              {b.entrypoints.map((ep) => (
                <li data-entrypoint={`${b.bundle_id}:${ep.flow_id}`}>
                  <div>
                    <strong>{ep.name || ep.flow_id}</strong> <code class="muted">{ep.flow_id}</code>
                    {ep.deprecated ? <span class="badge s-cancelled">deprecated{ep.deprecated_reason ? `: ${ep.deprecated_reason}` : ''}</span> : null}
                    {ep.description ? <p class="muted small">{ep.description}</p> : null}
                  </div>
                  <div class="row">
                    {!ep.deprecated ? <a class="button small" href={`#/start?bundle=${encodeURIComponent(b.bundle_id)}&flow=${encodeURIComponent(ep.flow_id)}`}>Start</a> : null}
                    {ep.deprecated
                      ? <button type="button" class="small ghost" onClick={() => act(async () => { await api.undeprecate(b.bundle_id, ep.flow_id); return `Undeprecated ${b.bundle_id}:${ep.flow_id}`; })}>Undeprecate</button>
                      : <button type="button" class="small ghost" onClick={() => { const reason = prompt('Why is it deprecated? (optional)'); if (reason !== null) void act(async () => { await api.deprecate(b.bundle_id, ep.flow_id, reason || null); return `Deprecated ${b.bundle_id}:${ep.flow_id}`; }); }}>Deprecate</button>}
                  </div>
                </li>
              ))}
            </ul>
          </Panel>
        ))}
        {list.value && !list.value.items.length ? <p class="muted">No bundles installed. Drop a <code>.flow</code> file above.</p> : null}
      </div>
    </div>
  );
}
