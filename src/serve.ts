// The HTTP side of the composition root: the Elysia app over a core gateway (src/gateway.ts), and `serve`.
import type { GatewayConfig } from './config.ts';
import { createGateway, type Gateway, type GatewayOptions } from './gateway.ts';
import { createApp, type GatewayApp } from './http/app.ts';
import { pickLogFormat, ServerLog, type LogFormat } from './http/logging/index.ts';
import { checkBindSafety, curlExample, loadSecurityPolicy, maxRequestBodySize, securityWarnings, type SecurityPolicy } from './http/security/index.ts';
import { createLlmDiscovery } from './llm/index.ts';

/** The HTTP app over a gateway; `security: false` only for tests of other concerns. */
export function createHttpApp(gw: Gateway, opts: { security?: boolean; log?: ServerLog | null } = {}): { app: GatewayApp; security: SecurityPolicy | null } {
  const security = opts.security === false ? null : loadSecurityPolicy(gw.env, { dataDir: gw.config.dataDir });
  const app = createApp({
    store: gw.store, registry: gw.registry, runtime: gw.runtime, config: gw.config, security, llm: createLlmDiscovery(gw.llmConfig),
    log: opts.log ?? null, metricsPublic: gw.env.ABSTRACTGATEWAY_METRICS_PUBLIC === '1',
  });
  return { app, security };
}

export interface ServeOptions extends GatewayOptions {
  /** Print a line (stdout): the URL, the token hint. */
  print?: (line: string) => void;
  /** The server log (stderr): format (default: ABSTRACTGATEWAY_LOG_FORMAT, else text on a terminal, JSON lines otherwise); quiet = none. */
  serverLog?: { format?: LogFormat; quiet?: boolean; color?: boolean };
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
  const env = opts.env ?? process.env;
  const log = new ServerLog({
    format: opts.serverLog?.format ?? pickLogFormat(env.ABSTRACTGATEWAY_LOG_FORMAT, !!process.stderr.isTTY),
    quiet: opts.serverLog?.quiet ?? false,
    color: opts.serverLog?.color ?? false,
  });
  const unobserve = log.enabled ? log.observe(gw.store) : () => {};
  const { app, security: sec } = createHttpApp(gw, { log });
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
  if (config.runner && !(await gw.runner.start())) {
    gw.notices.push('another runner holds this data directory; serving the API only and taking over if it stops');
    takeover = setInterval(async () => {
      if ((await gw.runner.start()) && takeover) {
        clearInterval(takeover);
        takeover = null;
        print('runner: took over ticking runs for this data directory');
      }
    }, 1000);
  }
  gw.startBridges();
  for (const n of gw.notices) console.error(n);
  print(`abstractgateway listening on ${url} (data: ${config.dataDir}, flows: ${config.flowsDir}, runner: ${gw.runner.active ? 'on' : 'off'})`);
  print(`web console: ${url}/console (sign in with the access token)`);
  for (const line of tokenLines(sec, url)) print(line);
  return {
    gateway: gw,
    url,
    async stop() {
      if (takeover) clearInterval(takeover);
      // SSE streams end with a final comment before the sockets close (clients reconnect with their cursor).
      await app.decorator.ledgerHub.close();
      await app.stop(true);
      await gw.close();
      unobserve();
    },
  };
}

const shq = (s: string) => (/^[\w./@:+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * Every start says where the token is and how to try it; the value itself only right after it was generated
 * (it stays in the 0600 token file; `abstractgateway token` prints it).
 */
export function tokenLines(sec: SecurityPolicy | null, url: string): string[] {
  if (!sec?.enabled || !sec.tokens[0]) return [];
  const bundles = `${url}/api/gateway/bundles`;
  if (sec.tokenSource === 'file' && sec.tokenFile) {
    if (sec.tokenCreated) {
      return [`Access token (generated, stored in ${sec.tokenFile}):`, `  ${sec.tokens[0]}`, 'Try:', `  ${curlExample(sec.tokens[0], url)}`];
    }
    return [
      `Access token: stored in ${sec.tokenFile} (print it with \`abstractgateway token\`)`,
      'Try:', `  curl -H "Authorization: Bearer $(cat ${shq(sec.tokenFile)})" ${bundles}`,
    ];
  }
  return ['Access token: from ABSTRACTGATEWAY_AUTH_TOKEN(S)', 'Try:', `  curl -H "Authorization: Bearer $ABSTRACTGATEWAY_AUTH_TOKEN" ${bundles}`];
}
