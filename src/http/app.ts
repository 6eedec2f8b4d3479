// createApp(deps): the whole HTTP surface as one Elysia app (not listening). Security is mounted first so its
// global hooks (request id, origin, CORS, auth, limits, audit) run before any route; the error plugin maps
// everything the gateway rejects to `{"detail", "code"}`.
import { join } from 'node:path';
import { Elysia } from 'elysia';
import pkg from '../../package.json' with { type: 'json' };
import { artifactRoutes } from './artifacts/routes.ts';
import { bundleRoutes } from './bundles/routes.ts';
import { BundleService } from './bundles/service.ts';
import { commandRoutes } from './commands/routes.ts';
import { CommandService } from './commands/service.ts';
import { consoleRoutes } from './console/routes.ts';
import type { AppDeps } from './deps.ts';
import { discoveryRoutes } from './discovery/routes.ts';
import { docsRoutes } from './docs/routes.ts';
import { errorPlugin } from './errors.ts';
import { healthRoutes } from './health/routes.ts';
import { ledgerRoutes } from './ledger/routes.ts';
import { requestLogPlugin } from './logging/index.ts';
import { GatewayMetrics } from './metrics/index.ts';
import { metricsRoutes } from './metrics/routes.ts';
import { memoryRoutes } from './memory/routes.ts';
import { MemoryService } from '../memory/service.ts';
import { RunService } from './runs/service.ts';
import { runRoutes } from './runs/routes.ts';
import { securityPlugin } from './security/index.ts';
import { LedgerHub } from './sse.ts';

export type { AppDeps, WorkspacePolicy } from './deps.ts';

const DEFAULT_MAX_BUNDLE_BYTES = 75 * 1024 * 1024;

export function createApp(deps: AppDeps) {
  const { store, registry, runtime, config } = deps;
  const version = deps.version ?? pkg.version;
  const hub = new LedgerHub(store, config.pollMs);
  const runs = new RunService({
    store,
    registry,
    runtime,
    dataDir: config.dataDir,
    workspace: deps.workspace ?? { roots: [join(config.dataDir, 'workspaces')], trustClient: config.toolMode === 'local' },
  });
  const metrics = deps.metrics ?? new GatewayMetrics(store);
  const bundles = new BundleService(registry, store, deps.maxBundleBytes ?? deps.security?.maxBundleBytes ?? DEFAULT_MAX_BUNDLE_BYTES);

  // Elysia listens with SO_REUSEPORT by default: a second gateway on a busy port would silently share it (and
  // split traffic between two data directories). Fail with EADDRINUSE instead.
  return new Elysia({ name: 'abstractgateway', serve: { reusePort: false } })
    .use(deps.security ? securityPlugin(deps.security, { dataDir: config.dataDir }) : new Elysia({ name: 'security' }))
    .use(errorPlugin)
    .use(docsRoutes(version))
    .use(consoleRoutes)
    .use(healthRoutes)
    .use(discoveryRoutes(version, deps.llm ?? null))
    .use(bundleRoutes(bundles))
    .use(runRoutes(runs))
    .use(ledgerRoutes({ store, hub }))
    .use(artifactRoutes(store))
    .use(memoryRoutes(new MemoryService(store, (id) => runtime.isInflight(id))))
    .use(commandRoutes(new CommandService(store)))
    .use(metricsRoutes(metrics, { security: deps.security ?? null, public: deps.metricsPublic ?? false }))
    .use(deps.log ? requestLogPlugin(deps.log) : new Elysia({ name: 'request-log' }))
    .decorate('ledgerHub', hub)
    .decorate('metrics', metrics)
    .onStop(() => {
      void hub.close(); // serve.ts awaits the final flush itself (before stopping the server)
      if (!deps.metrics) metrics.close();
    });
}

export type GatewayApp = ReturnType<typeof createApp>;
