// Composition root: wires store → runtime (+ flow engine, LLM effects) → runner → HTTP app for one data
// directory. The CLI's `serve` and `runner` commands and the tests build the gateway through here.
import { mkdirSync } from 'node:fs';
import type { GatewayConfig, Env } from './config.ts';
import { BundleRegistry } from './flow/bundle/registry.ts';
import { FlowWorkflows } from './flow/workflows.ts';
import { createApp, type GatewayApp } from './http/app.ts';
import { checkBindSafety, loadSecurityPolicy, maxRequestBodySize, securityWarnings, type SecurityPolicy } from './http/security/index.ts';
import { createAgentWorkflow, createLlmDiscovery, createLlmEffects, loadLlmConfig } from './llm/index.ts';
import { Runner } from './runtime/runner.ts';
import { Runtime } from './runtime/runtime.ts';
import { StaticWorkflows } from './runtime/graph.ts';
import { installSchedules, ScheduledWorkflows } from './runtime/schedule.ts';
import { installMemory, memoryWorkflows } from './runtime/memory.ts';
import type { Workflow, WorkflowSource } from './runtime/types.ts';
import { Store } from './store/index.ts';

export interface Gateway {
  config: GatewayConfig;
  store: Store;
  registry: BundleRegistry;
  runtime: Runtime;
  runner: Runner;
  security: SecurityPolicy | null;
  /** Lines worth printing at start-up (bundle load errors, security warnings). */
  notices: string[];
  createHttpApp(): GatewayApp;
  close(): Promise<void>;
}

export interface GatewayOptions {
  env?: Env;
  /** Build the security layer (default true; tests of other concerns may pass false). */
  security?: boolean;
  log?: (msg: string) => void;
}

/**
 * Resolves workflow ids through the compiled-flow cache; on a miss, re-scans the flows directory when it changed
 * (bundles installed by another process become runnable without a restart).
 */
class ReloadingWorkflows implements WorkflowSource {
  private seen: string;
  constructor(private readonly flows: FlowWorkflows, private readonly registry: BundleRegistry) {
    this.seen = registry.loadedSignature;
  }
  async get(id: string): Promise<Workflow | undefined> {
    this.syncCache();
    const hit = await this.flows.get(id);
    if (hit || !this.registry.reloadIfChanged()) return hit;
    this.syncCache();
    return this.flows.get(id);
  }
  /** The registry was reloaded (upload, removal, another process): compiled flows may be stale. */
  private syncCache(): void {
    if (this.registry.loadedSignature === this.seen) return;
    this.seen = this.registry.loadedSignature;
    this.flows.clear();
  }
}

export async function createGateway(config: GatewayConfig, opts: GatewayOptions = {}): Promise<Gateway> {
  const env = opts.env ?? process.env;
  const log = opts.log ?? ((m: string) => console.error(m));
  mkdirSync(config.dataDir, { recursive: true });
  mkdirSync(config.flowsDir, { recursive: true });
  const notices: string[] = [];

  const store = Store.open(config.dbPath, { synchronous: config.synchronous });
  const registry = new BundleRegistry({ flowsDir: config.flowsDir, dataDir: config.dataDir });
  const loaded = registry.reload();
  for (const e of loaded.errors) notices.push(`bundle ${e.file} not loaded: ${e.reason}`);

  const llmConfig = loadLlmConfig(env);
  const flows = new FlowWorkflows({ source: registry, builtins: [createAgentWorkflow(), ...memoryWorkflows()] });
  let runtime!: Runtime;
  const workflows = new StaticWorkflows([], [new ScheduledWorkflows(() => runtime), new ReloadingWorkflows(flows, registry)]);
  runtime = new Runtime(store, workflows, {
    provider: llmConfig.defaultProvider ?? null,
    model: llmConfig.defaultModel ?? null,
  });
  for (const [type, handler] of Object.entries(createLlmEffects(llmConfig))) runtime.registerEffect(type, handler, { external: true });
  installSchedules(runtime);
  installMemory(runtime);

  const runner = new Runner(store, runtime, {
    pollMs: config.pollMs,
    commandBatchLimit: config.commandBatchLimit,
    tickMaxSteps: config.tickMaxSteps,
    runScanLimit: config.runScanLimit,
    log,
  });

  const security = opts.security === false ? null : loadSecurityPolicy(env, { dataDir: config.dataDir });
  if (security) notices.push(...securityWarnings(security));
  const llm = createLlmDiscovery(llmConfig);

  return {
    config,
    store,
    registry,
    runtime,
    runner,
    security,
    notices,
    createHttpApp: () => createApp({ store, registry, runtime, config, security, llm }),
    async close() {
      await runner.stop();
      store.close();
    },
  };
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
  const sec = gw.security;
  if (sec?.enabled) {
    const check = checkBindSafety(config.host, sec.tokens, { allowedOrigins: sec.allowedOrigins });
    for (const w of check.warnings) gw.notices.push(w);
    if (check.error) {
      await gw.close();
      throw new Error(check.error);
    }
  }
  const app = gw.createHttpApp();
  app.listen({
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
  return {
    gateway: gw,
    url,
    async stop() {
      if (takeover) clearInterval(takeover);
      await app.stop(true);
      await gw.close();
    },
  };
}
