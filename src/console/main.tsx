// Entry of the web console (bundled for the browser by src/console/build.ts). The shell: sign-in gate,
// navigation (hash routes: #/runs, #/runs/<id>, #/start, #/bundles, #/schedules), theme toggle.
// Every screen talks to the public API only (./api.ts); the token stays in sessionStorage.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './styles.css';
import { api, ApiError, tokenStore, unauthorized } from './api.ts';
import { useRoute } from './ui.tsx';
import { BundlesView } from './views/bundles.tsx';
import { RunView } from './views/run.tsx';
import { RunsView } from './views/runs.tsx';
import { SchedulesView } from './views/schedules.tsx';
import { SignIn } from './views/signin.tsx';
import { StartView } from './views/start.tsx';

const THEME_KEY = 'abstractgateway.console.theme';

function useTheme(): [string, () => void] {
  const [theme, setTheme] = useState(() => localStorage.getItem(THEME_KEY) ?? (matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark'));
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem(THEME_KEY, theme);
  }, [theme]);
  return [theme, () => setTheme((t) => (t === 'dark' ? 'light' : 'dark'))];
}

function App() {
  const [token, setToken] = useState(tokenStore.get());
  const [expired, setExpired] = useState(false);
  const [theme, toggleTheme] = useTheme();
  const route = useRoute();

  useEffect(() => {
    const on = () => { tokenStore.clear(); setToken(''); setExpired(true); };
    unauthorized.add(on);
    return () => { unauthorized.delete(on); };
  }, []);

  const signOut = () => { tokenStore.clear(); setToken(''); setExpired(false); };

  if (!token) {
    return <SignIn expired={expired} theme={theme} toggleTheme={toggleTheme}
      onSignedIn={(t) => { tokenStore.set(t); setToken(t); setExpired(false); }} />;
  }

  const [top = 'runs', arg] = route.path;
  let view;
  if (top === 'runs' && arg) view = <RunView key={arg} runId={arg} />;
  else if (top === 'start') view = <StartView query={route.query} />;
  else if (top === 'bundles') view = <BundlesView />;
  else if (top === 'schedules') view = <SchedulesView />;
  else view = <RunsView />;

  const nav = (id: string, label: string, key: string) => (
    <a href={`#/${id}`} aria-current={top === id ? 'page' : undefined} accessKey={key}>{label}</a>
  );
  return (
    <div class="shell">
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header class="top">
        <a class="brand" href="#/runs"><span class="logo" aria-hidden="true">◆</span> abstractgateway</a>
        <nav aria-label="Main">
          {nav('runs', 'Runs', 'r')}
          {nav('start', 'Start', 's')}
          {nav('bundles', 'Bundles', 'b')}
          {nav('schedules', 'Schedules', 'c')}
        </nav>
        <div class="top-right">
          <a href="/docs" class="muted small-link">API docs</a>
          <button type="button" class="ghost" onClick={toggleTheme} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
            {theme === 'dark' ? '☀' : '☾'}
          </button>
          <button type="button" class="ghost" onClick={signOut}>Sign out</button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>{view}</main>
    </div>
  );
}

// A quick check at load that the stored token still works (a rotated token signs the person out).
if (tokenStore.get()) {
  api.checkToken(tokenStore.get()).catch((e: unknown) => {
    if (e instanceof ApiError && e.status === 401) for (const f of unauthorized) f();
  });
}

render(<App />, document.getElementById('app')!);
