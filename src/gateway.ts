// Composition root of the core: store → runtime (+ flow engine, LLM effects, schedules, memory) → runner for one
// data directory. It does not load the HTTP stack (the `runner` command runs without it); src/serve.ts adds HTTP.
import type { Clock } from './util/clock.ts';
import { existsSync, mkdirSync } from 'node:fs';
import type { GatewayConfig, Env } from './config.ts';
import { BundleRegistry } from './flow/bundle/registry.ts';
import { watchDirectory } from './flow/visualflow/directory.ts';
import { FlowWorkflows } from './flow/workflows.ts';
import { createAgentWorkflow, createLlmEffects, loadLlmConfig, type LlmConfig } from './llm/index.ts';
import { Runner } from './runtime/runner.ts';
import { Runtime } from './runtime/runtime.ts';
import { StaticWorkflows } from './runtime/graph.ts';
import { installSchedules, ScheduledWorkflows } from './features/schedules.ts';
import { installMemory, memoryWorkflows } from './features/memory.ts';
import { installMemoryNodes } from './memory/index.ts';
import { createLlmDiscovery } from './llm/discovery.ts';
import { installMedia } from './llm/media-effects.ts';
import type { Workflow, WorkflowSource } from './runtime/types.ts';
import { openStore, SqliteStore, type Store } from './store/index.ts';
import type { FlowSnapshotStore } from './flow/visualflow/snapshots.ts';
import type { FlowDoc } from './flow/bundle/flowdoc.ts';
import { TelegramBridge } from './telegram/bridge.ts';
import { TelegramClient } from './telegram/client.ts';
import { loadTelegramConfig } from './telegram/config.ts';
import { telegramTools } from './telegram/tools.ts';

export interface Gateway {
  config: GatewayConfig;
  store: Store;
  registry: BundleRegistry;
  runtime: Runtime;
  runner: Runner;
  llmConfig: LlmConfig;
  env: Env;
  /** The Telegram bridge when ABSTRACT_TELEGRAM_BRIDGE=1 (its tools work in every process; polling starts with startBridges). */
  telegram: TelegramBridge | null;
  /** Starts background bridges (the serving process only: one Bot API poller per bot). */
  startBridges(): void;
  /** Lines worth printing at start-up (bundle load errors, security warnings). */
  notices: string[];
  close(): Promise<void>;
}

export interface GatewayOptions {
  env?: Env;
  log?: (msg: string) => void;
  /** The runtime's clock (default: the system clock). */
  clock?: Clock;
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
  // The flows path may be a single `.flow` file (or unpacked bundle): only a missing one becomes a directory.
  if (!existsSync(config.flowsDir)) mkdirSync(config.flowsDir, { recursive: true });
  const notices: string[] = [];
  const telegramConfig = loadTelegramConfig(env); // validated before anything is opened

  const store = await openStore({
    backend: config.storeBackend, dbPath: config.dbPath, synchronous: config.synchronous,
    databaseUrl: config.databaseUrl, poolMax: config.databasePoolMax, listenUrl: config.databaseListenUrl, prepare: config.databasePrepare,
  });
  const visualflow = config.workflowSource === 'visualflow';
  const registry = new BundleRegistry({
    flowsDir: config.flowsDir, dataDir: config.dataDir, source: config.workflowSource, snapshots: snapshotStore(store, log),
  });
  const loaded = registry.reload();
  for (const e of loaded.errors) notices.push(`${visualflow ? 'flow' : 'bundle'} ${e.file} ${visualflow && /references missing/.test(e.reason) ? 'is not runnable' : 'not loaded'}: ${e.reason}`);
  // A directory of VisualFlow JSON is edited live: changes take effect for new runs without a restart.
  const stopWatch = visualflow ? watchDirectory(config.flowsDir, () => registry.reloadIfChanged()) : () => {};

  const llmConfig = loadLlmConfig(env);
  const telegramClient = telegramConfig ? new TelegramClient(telegramConfig.apiBaseUrl, telegramConfig.token) : null;
  if (telegramClient) llmConfig.externalTools = telegramTools(telegramClient, store);
  const discovery = createLlmDiscovery(llmConfig);
  const flows = new FlowWorkflows({
    source: registry,
    builtins: [createAgentWorkflow(), ...memoryWorkflows()],
    services: {
      providerModels: (p) => discovery.listModels(p),
      providerNames: Object.values(llmConfig.providers).filter((p) => p.configured).map((p) => p.name),
      defaultProvider: llmConfig.defaultProvider,
    },
  });
  let runtime!: Runtime;
  const workflows = new StaticWorkflows([], [new ScheduledWorkflows(() => runtime), new ReloadingWorkflows(flows, registry)]);
  runtime = new Runtime(store, workflows, {
    provider: llmConfig.defaultProvider ?? null,
    model: llmConfig.defaultModel ?? null,
    clock: opts.clock,
    claimMs: config.runClaimMs,
  });
  for (const [type, handler] of Object.entries(createLlmEffects(llmConfig))) runtime.registerEffect(type, handler, { external: true });
  runtime.treeLimits = { maxSubflowDepth: config.maxSubflowDepth, maxTreeRuns: config.maxTreeRuns };
  installSchedules(runtime);
  installMemory(runtime);
  installMemoryNodes(runtime, llmConfig);
  installMedia(runtime, llmConfig, env);

  const runner = new Runner(store, runtime, {
    pollMs: config.pollMs,
    commandBatchLimit: config.commandBatchLimit,
    tickMaxSteps: config.tickMaxSteps,
    runScanLimit: config.runScanLimit,
    log,
  });

  const telegram = telegramConfig && telegramClient
    ? new TelegramBridge({ config: telegramConfig, client: telegramClient, store, runtime, registry, log })
    : null;
  if (telegramConfig) {
    try {
      registry.resolveStart({ flow_id: telegramConfig.flowId, bundle_id: telegramConfig.bundleId });
    } catch (e) {
      notices.push(`telegram: ABSTRACT_TELEGRAM_FLOW_ID=${telegramConfig.flowId} cannot be started yet (${e instanceof Error ? e.message : String(e)}); new chats wait until it can`);
    }
  }

  return {
    config,
    store,
    registry,
    runtime,
    runner,
    llmConfig,
    env,
    notices,
    telegram,
    startBridges() {
      telegram?.start();
    },
    async close() {
      await telegram?.stop();
      stopWatch();
      // sandbox: a tool command (its process group) or a code node must not hold shutdown hostage: stop the
      // runner from starting ticks (synchronous part of stop()), then abort the ones in flight
      const stopping = runner.stop();
      runtime.abortAllInflight();
      await stopping;
      await store.close();
    },
  };
}

/**
 * The flow layer resolves workflows synchronously. On SQLite its snapshots are read and written at once; on
 * PostgreSQL a save is written in the background (a failure is logged) and past versions are served from what
 * this process saved or loaded since it started (docs/scaling.md: the VisualFlow directory mode on PostgreSQL).
 */
function snapshotStore(store: Store, log: (m: string) => void): FlowSnapshotStore {
  if (store instanceof SqliteStore) {
    const repo = store.flowSnapshots;
    return {
      save: (version, docs) => repo.saveSync(version, docs),
      load: (version) => repo.loadSync(version) as Map<string, FlowDoc> | null,
    };
  }
  const known = new Map<string, Map<string, FlowDoc>>();
  return {
    save(version, docs) {
      const cur = known.get(version) ?? new Map<string, FlowDoc>();
      for (const [k, v] of docs) cur.set(k, v);
      known.set(version, cur);
      store.flowSnapshots.save(version, docs).catch((e) => log(`flow snapshot ${version} not saved: ${e instanceof Error ? e.message : String(e)}`));
    },
    load: (version) => known.get(version) ?? null,
  };
}
