// The built-in web console: `GET /` redirects to `/console`; `/console` serves a static page whose script and
// stylesheet are `/console/assets/app.{js,css}`. The assets contain no data and sit outside /api/gateway, so
// they load without a token; the page then talks to the public API with the token the person signs in with.
//
// Where the assets come from (nothing is built or read at server start-up):
//   1. the compiled binary: scripts/build.ts embeds dist/console/app.{js,css} (`--asset`), found in
//      Bun.embeddedFiles;
//   2. otherwise (`npm start`, tests): built from src/console on the first request, kept in memory.
import { Elysia } from 'elysia';
import type { ConsoleAssets } from '../../console/build.ts';

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <meta name="color-scheme" content="dark light" />
  <title>abstractgateway console</title>
  <link rel="icon" href="data:," />
  <link rel="stylesheet" href="/console/assets/app.css" />
</head>
<body>
  <div id="app"><noscript>The console needs JavaScript.</noscript></div>
  <script type="module" src="/console/assets/app.js"></script>
</body>
</html>
`;

/** Same-origin only: the page can reach nothing but this gateway. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

interface Served { body: string; etag: string }
type Source = 'embedded' | 'built';
let loading: Promise<{ js: Served; css: Served; source: Source }> | null = null;

async function embedded(): Promise<ConsoleAssets | null> {
  const find = (name: string) => Bun.embeddedFiles.find((f) => (f as Blob & { name?: string }).name?.endsWith(`console/${name}`));
  const js = find('app.js');
  const css = find('app.css');
  return js && css ? { js: await js.text(), css: await css.text() } : null;
}

function assets(): Promise<{ js: Served; css: Served; source: Source }> {
  loading ??= (async () => {
    const e = await embedded();
    const a = e ?? (await (await import('../../console/build.ts')).buildConsole());
    const served = (body: string): Served => ({ body, etag: `"${Bun.hash(body).toString(36)}"` });
    return { js: served(a.js), css: served(a.css), source: e ? 'embedded' as const : 'built' as const };
  })().catch((err: unknown) => {
    loading = null; // let the next request try again
    throw err;
  });
  return loading;
}

async function asset(kind: 'js' | 'css', request: Request): Promise<Response> {
  let a: Awaited<ReturnType<typeof assets>>;
  try {
    a = await assets();
  } catch (err) {
    console.error(`[console] ${(err as Error).message}`);
    return Response.json(
      { detail: 'The console assets could not be built; run `npm install` (preact) and see the server log', code: 'console_unavailable' },
      { status: 503 },
    );
  }
  const { body, etag } = a[kind];
  const headers = {
    'content-type': kind === 'js' ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8',
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'x-console-assets': a.source, // embedded in the binary, or built from src/console on first request
    etag,
  };
  if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers });
  return new Response(body, { headers });
}

const page = () => new Response(PAGE, { headers: PAGE_HEADERS });
const hide = { detail: { hide: true } };

export const consoleRoutes = new Elysia({ name: 'console' })
  .get('/', () => new Response(null, { status: 302, headers: { location: '/console' } }), hide)
  .get('/console', page, hide)
  .get('/console/', page, hide)
  .get('/console/assets/app.js', ({ request }) => asset('js', request), hide)
  .get('/console/assets/app.css', ({ request }) => asset('css', request), hide);
