// Sign-in: the person pastes the API token; it is checked with one authenticated read (GET /bundles) and kept
// in sessionStorage only. Distinct states for a refused token (401), a gateway that does not answer, and others.
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';

export function SignIn({ onSignedIn, expired, theme, toggleTheme }: {
  onSignedIn: (token: string) => void; expired: boolean; theme: string; toggleTheme: () => void;
}) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ kind: 'token' | 'unreachable' | 'other'; message: string } | null>(
    expired ? { kind: 'token', message: 'The gateway no longer accepts the token of this session (rotated or wrong). Sign in again.' } : null,
  );

  const submit = async (e: Event) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) return setError({ kind: 'token', message: 'Paste the API token first.' });
    setBusy(true);
    setError(null);
    try {
      await api.checkToken(t);
      onSignedIn(t);
    } catch (err) {
      const a = err as ApiError;
      if (a.status === 401) setError({ kind: 'token', message: 'Wrong token: the gateway refused it (401). Check the token file below.' });
      else if (a.status === 429) setError({ kind: 'token', message: `Too many failed attempts from this address: ${a.message}` });
      else if (a.code === 'unreachable') setError({ kind: 'unreachable', message: 'Cannot reach the gateway. Is it still running? Reload this page once it is back.' });
      else setError({ kind: 'other', message: `${a.message} (${a.code})` });
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="signin" id="main">
      <button type="button" class="ghost theme-corner" onClick={toggleTheme} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
        {theme === 'dark' ? '☀' : '☾'}
      </button>
      <form class="card signin-card" onSubmit={submit} aria-labelledby="signin-h">
        <h1 id="signin-h"><span class="logo" aria-hidden="true">◆</span> abstractgateway console</h1>
        <p class="muted">Watch, answer and steer the runs of this gateway.</p>
        <label class="field">
          <span class="field-l">API token</span>
          <input type="password" name="token" autoComplete="off" spellcheck={false} autoFocus value={token}
            aria-invalid={error?.kind === 'token' ? 'true' : undefined} aria-describedby="token-help"
            onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
        </label>
        {error ? <div class={`error state-${error.kind}`} role="alert" data-state={error.kind}>{error.message}</div> : null}
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Checking…' : 'Sign in'}</button>
        <div id="token-help" class="help">
          <p><strong>Where is my token?</strong> On first start the gateway generates one and stores it in
            {' '}<code>&lt;data_dir&gt;/gateway_token</code> (mode 0600) — with <code>npm start</code> that is{' '}
            <code>./runtime/gateway_token</code>. Print it with <code>abstractgateway token --data-dir &lt;data_dir&gt;</code>.
            If the server was started with <code>ABSTRACTGATEWAY_AUTH_TOKEN</code>, use that value instead.</p>
          <p class="muted">The token is kept for this browser tab only (sessionStorage), never put in a URL, and sent
            only to this gateway as <code>Authorization: Bearer …</code>.</p>
        </div>
      </form>
    </main>
  );
}
