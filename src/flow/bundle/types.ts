// Wire shapes of the bundle registry (docs/api.md "Bundles", docs/api.md "Runs"): what the HTTP layer returns as is.

import type { FlowDoc, NodeIndexEntry, StartInput } from './flowdoc.ts';
import type { Entrypoint } from './manifest.ts';

export interface ReloadResult {
  /** false when at least one file was skipped. */
  ok: boolean;
  bundle_ids: string[];
  count: number;
  errors: { file: string; reason: string }[];
}

export interface DeprecationFields {
  deprecated: boolean;
  deprecated_at: string | null;
  deprecated_reason: string | null;
}

export type EntrypointItem = Entrypoint & DeprecationFields;

export interface BundleListItem {
  bundle_id: string;
  bundle_version: string;
  bundle_ref: string;
  created_at: string;
  default_entrypoint: string | null;
  entrypoints: EntrypointItem[];
}

export interface BundleDetail extends Omit<BundleListItem, 'entrypoints'> {
  entrypoints: (EntrypointItem & { workflow_id: string; inputs: StartInput[]; node_index: Record<string, NodeIndexEntry> })[];
  flows: string[];
  metadata: Record<string, unknown>;
}

export interface BundleFlow {
  bundle_id: string;
  bundle_version: string;
  bundle_ref: string;
  flow_id: string;
  workflow_id: string;
  flow: FlowDoc;
}

export interface StartRequest {
  bundle_id?: string | null;
  bundle_version?: string | null;
  flow_id?: string | null;
}

/** A bundle flow, or (bundle fields null) a non-bundle id such as `scheduled:<uuid>` passed through as is. */
export interface ResolvedStart {
  workflow_id: string;
  bundle_id: string | null;
  bundle_version: string | null;
  flow_id: string;
}

export interface InstallInfo {
  bundle_id: string;
  bundle_version: string;
  bundle_ref: string;
  sha256: string;
  default_entrypoint: string | null;
  entrypoints: Entrypoint[];
}

export interface DeprecateResult {
  ok: true;
  bundle_id: string;
  /** the entrypoint id, or `*` for the whole bundle */
  flow_id: string;
  deprecated_at: string;
  reason: string | null;
}

export interface UndeprecateResult {
  ok: true;
  bundle_id: string;
  flow_id: string;
  removed: boolean;
}
