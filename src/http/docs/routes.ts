// OpenAPI document at /openapi.json (rendered from the routes' zod schemas) and an offline Swagger UI at /docs:
// the viewer's JS/CSS are embedded from swagger-ui-dist (no CDN), so the page works air-gapped and from the
// compiled binary.
import { openapi } from '@elysiajs/openapi';
import { Elysia } from 'elysia';
import bundleJs from 'swagger-ui-dist/swagger-ui-bundle.js' with { type: 'file' };
import uiCss from 'swagger-ui-dist/swagger-ui.css' with { type: 'file' };

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>abstractgateway API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', persistAuthorization: true });
  </script>
</body>
</html>
`;

export const docsRoutes = (version: string) =>
  new Elysia({ name: 'docs' })
    .use(
      openapi({
        provider: null,
        path: '/openapi',
        specPath: '/openapi.json',
        exclude: { paths: ['/docs', '/docs/assets/swagger-ui-bundle.js', '/docs/assets/swagger-ui.css'] },
        documentation: {
          info: {
            title: 'abstractgateway',
            version,
            description:
              'Durable run gateway: discover bundles, start runs, act through the command inbox, render by replaying ' +
              'the ledger (`?after=`) and tailing it over SSE. Errors are `{"detail", "code"}`.',
          },
          components: { securitySchemes: { gatewayBearerAuth: { type: 'http', scheme: 'bearer' } } },
          security: [{ gatewayBearerAuth: [] }],
        },
      }),
    )
    .get('/docs', () => new Response(PAGE, { headers: { 'content-type': 'text/html; charset=utf-8' } }), {
      detail: { hide: true },
    })
    .get('/docs/assets/swagger-ui-bundle.js', () => new Response(Bun.file(bundleJs, { type: 'text/javascript; charset=utf-8' })), {
      detail: { hide: true },
    })
    .get('/docs/assets/swagger-ui.css', () => new Response(Bun.file(uiCss, { type: 'text/css; charset=utf-8' })), {
      detail: { hide: true },
    });
