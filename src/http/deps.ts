// What createApp needs. The workspace policy is the only HTTP-specific piece (thin-client safety on run start).
import type { GatewayConfig } from '../config.ts';
import type { BundleRegistry } from '../flow/bundle/registry.ts';
import type { LlmDiscovery } from '../llm/discovery.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Store } from '../store/index.ts';
import type { ServerLog } from './logging/index.ts';
import type { GatewayMetrics } from './metrics/index.ts';
import type { SecurityPolicy } from './security/index.ts';

export interface WorkspacePolicy {
  /** Operator roots a client-supplied workspace path must stay inside. */
  roots: string[];
  /** Honour client workspace knobs as given (tool mode `local`, or the operator allows it). */
  trustClient: boolean;
}

export interface AppDeps {
  store: Store;
  registry: BundleRegistry;
  runtime: Runtime;
  config: GatewayConfig;
  /** null/absent = no security layer (tests, or ABSTRACTGATEWAY_SECURITY=0 handled by the policy itself). */
  security?: SecurityPolicy | null;
  /** Default: roots = [<dataDir>/workspaces], trusted only in tool mode `local`. */
  workspace?: WorkspacePolicy;
  /** Per-file upload cap (default: the security policy's, else 75 MiB). */
  maxBundleBytes?: number;
  /** LLM provider/model/tool discovery; its routes are mounted only when given. */
  llm?: LlmDiscovery | null;
  version?: string;
  /** cli: metrics for GET /metrics (default: a fresh GatewayMetrics over the store, closed on stop). */
  metrics?: GatewayMetrics | null;
  /** cli: serve /metrics without the token (ABSTRACTGATEWAY_METRICS_PUBLIC=1). */
  metricsPublic?: boolean;
  /** cli: the per-request log line (absent: no request log). */
  log?: ServerLog | null;
}
