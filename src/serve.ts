// The HTTP side of the composition root: the Elysia app over a core gateway (src/gateway.ts), and `serve`.
import type { GatewayConfig } from './config.ts';
import { createGateway, type Gateway, type GatewayOptions } from './gateway.ts';
import { createApp, type GatewayApp } from './http/app.ts';
import { checkBindSafety, curlExample, loadSecurityPolicy, maxRequestBodySize, securityWarnings, type SecurityPolicy } from './http/security/index.ts';
import { createLlmDiscovery } from './llm/index.ts';

/** The HTTP app over a gateway; `security: false` only for tests of other concerns. */
export function createHttpApp(gw: Gateway, opts: { security?: boolean } = {}): { app: GatewayApp; security: SecurityPolicy | null } {
  const security = opts.security === false ? null : loadSecurityPolicy(gw.env, { dataDir: gw.config.dataDir });
  const app = createApp({
    store: gw.store, registry: gw.registry, runtime: gw.runtime, config: gw.config, security, llm: createLlmDiscovery(gw.llmConfig),
  });
  return { app, security };
}

export interface ServeOptions extends GatewayOptions {
  /** Print a line (stdout): the URL, the token hint. */
  print?: (line: string) => void;
}

export interface ServedGateway {
  gateway: Gateway;
  url: string;
  stop(): Promise<void>;
}

/** Starts the HTTP server (and the runner unless disabled); throws Error with an actionable message. */
export async function serveGateway(config: GatewayConfig, opts: ServeOptions = {}): Promise<ServedGateway> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const gw = await createGateway(config, opts);
  const { app, security: sec } = createHttpApp(gw);
  if (sec) gw.notices.push(...securityWarnings(sec));
  if (sec?.enabled) {
    const check = checkBindSafety(config.host, sec.tokens, { allowedOrigins: sec.allowedOrigins });
    for (const w of check.warnings) gw.notices.push(w);
    if (check.error) {
      await gw.close();
      throw new Error(check.error);
    }
  }
  app.listen({
    reusePort: false, // a second gateway on a busy port must fail, not silently share it
    hostname: config.host,
    port: config.port,
    maxRequestBodySize: sec ? maxRequestBodySize(sec) : undefined,
    idleTimeout: 120,
  });
  const server = app.server!;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${server.port}`;

  let takeover: ReturnType<typeof setInterval> | null = null;
  if (config.runner && !gw.runner.start()) {
    gw.notices.push('another runner holds this data directory; serving the API only and taking over if it stops');
    takeover = setInterval(() => {
      if (gw.runner.start() && takeover) {
        clearInterval(takeover);
        takeover = null;
        print('runner: took over ticking runs for this data directory');
      }
    }, 1000);
  }
  for (const n of gw.notices) console.error(n);
  print(`abstractgateway listening on ${url} (data: ${config.dataDir}, flows: ${config.flowsDir}, runner: ${gw.runner.active ? 'on' : 'off'})`);
  if (sec?.tokenCreated && sec.tokens[0]) {
    // First run with a generated token: show it once, ready to paste (it stays in the 0600 token file).
    print(`Access token (generated, stored in ${sec.tokenFile}):\n  ${sec.tokens[0]}\nTry:\n  ${curlExample(sec.tokens[0], url)}`);
  }
  return {
    gateway: gw,
    url,
    async stop() {
      if (takeover) clearInterval(takeover);
      // SSE streams end with a final comment before the sockets close (clients reconnect with their cursor).
      await app.decorator.ledgerHub.close();
      await app.stop(true);
      await gw.close();
    },
  };
}
