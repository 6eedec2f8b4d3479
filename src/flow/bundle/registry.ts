// The bundle registry: every `.flow` in the flows directory, keyed by (bundle_id, bundle_version), with
// discovery shapes (docs/api.md "Bundles"), run-start resolution (docs/api.md "Runs"), namespaced workflow JSON
// (docs/flows.md "Bundles"), install/remove and deprecations.
//
// Cross-process freshness: `mtimeSignature()` is a cheap fingerprint of the flows directory (name, inode, size,
// mtime of each `*.flow` entry; stat calls only; install writes tmp + rename so every change shows). A separate
// runner process calls `reloadIfChanged()` when `getWorkflow` misses, so bundles installed by the API process
// become runnable without a restart.
//
// VisualFlow-directory mode (`source: 'visualflow'`, src/flow/visualflow/directory.ts): the flows directory holds
// VisualFlow `*.json` documents instead, loaded as ONE implicit bundle whose version is content-addressed. Versions
// no longer on disk resolve from the snapshot store (saved the first time a version's flow is resolved for a run).

import fs from 'node:fs';
import path from 'node:path';
import {
  AmbiguousStart, BundleExists, BundleNotFound, Deprecated, EntrypointNotFound, FlowNotFound, InvalidBundle, InvalidInput,
  InvalidReference,
} from '../../model/index.ts';
import { sha256Hex } from '../../util/json.ts';
import { bundleFromBytes, bundleFromPath, type Bundle } from './bundle.ts';
import { DeprecationStore, WHOLE_BUNDLE, type DeprecationInfo } from './deprecations.ts';
import { nodeIndex, startInputs, type FlowDoc } from './flowdoc.ts';
import { eventListenerFlow, eventListenerWorkflowId, namespaceFlow, onEventNodeIds } from './namespace.ts';
import {
  bundleRefString, namespacedId, parseBundleRef, parseWorkflowId, pickLatest, unsafeBundleName,
} from './refs.ts';
import type {
  BundleDetail, BundleFlow, BundleListItem, DeprecateResult, DeprecationFields, InstallInfo, ReloadResult, ResolvedStart,
  StartRequest, UndeprecateResult,
} from './types.ts';
import { assertValidBundle } from './validate.ts';
import { DEFAULT_LIMITS, type ArchiveLimits } from './zip.ts';
import { directoryBundleId, flowClosure, implicitBundle, jsonFiles, scanDirectory } from '../visualflow/directory.ts';
import type { FlowSnapshotStore } from '../visualflow/snapshots.ts';

export type * from './types.ts';

export interface BundleRegistryOptions {
  /** A directory of `*.flow` files (zips or unpacked directories), or a single `.flow` file. */
  flowsDir: string;
  /** Holds `workflow_deprecations.json`. */
  dataDir: string;
  limits?: ArchiveLimits;
  /** `visualflow`: flowsDir is a directory of VisualFlow `*.json` files presented as one implicit bundle. */
  source?: 'bundle' | 'visualflow';
  /** visualflow mode: where the documents of versions used by runs are kept (survives edits and restarts). */
  snapshots?: FlowSnapshotStore;
}

export interface LoadedBundle extends Bundle {
  /** Absolute path of the `.flow` file or directory it was read from. */
  file: string;
}

interface ListenerOrigin { bundle: LoadedBundle; flowId: string; nodeId: string }

interface Index {
  bundles: Map<string, Map<string, LoadedBundle>>;
  listeners: Map<string, ListenerOrigin>;
  /** Namespaced JSON built on first use, keyed by the requested workflow id. */
  cache: Map<string, FlowDoc>;
  signature: string;
}

const emptyIndex = (): Index => ({ bundles: new Map(), listeners: new Map(), cache: new Map(), signature: '' });
const refOf = (b: Bundle): string => bundleRefString(b.manifest.bundle_id, b.manifest.bundle_version);
const errMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class BundleRegistry {
  readonly flowsDir: string;
  readonly deprecations: DeprecationStore;
  private readonly limits: ArchiveLimits;
  private index: Index = emptyIndex();
  readonly source: 'bundle' | 'visualflow';
  /** visualflow mode: the implicit bundle's id (the directory name). */
  readonly directoryBundleId: string | null;
  private readonly snapshots: FlowSnapshotStore | null;
  /** visualflow mode: directory versions seen by this process or loaded from snapshots, by version. */
  private readonly versions = new Map<string, { bundle: LoadedBundle; saved: Set<string> | null }>();

  constructor(opts: BundleRegistryOptions) {
    this.flowsDir = path.resolve(opts.flowsDir);
    this.limits = opts.limits ?? DEFAULT_LIMITS;
    this.source = opts.source ?? 'bundle';
    this.directoryBundleId = this.source === 'visualflow' ? directoryBundleId(this.flowsDir) : null;
    this.snapshots = opts.snapshots ?? null;
    this.deprecations = new DeprecationStore(path.join(opts.dataDir, 'workflow_deprecations.json'));
  }

  // ---- loading -------------------------------------------------------------------------------------

  /** Re-scan into a new index and swap it in; broken files are reported and skipped. */
  reload(): ReloadResult {
    const signature = this.mtimeSignature();
    const { bundles, errors } = this.scan();
    const next = emptyIndex();
    next.signature = signature;
    for (const b of bundles) {
      const { bundle_id: id, bundle_version: ver } = b.manifest;
      const versions = next.bundles.get(id) ?? new Map<string, LoadedBundle>();
      const dup = versions.get(ver);
      if (dup) {
        errors.push({ file: this.displayName(b.file), reason: `duplicate bundle ${refOf(b)} (already loaded from ${this.displayName(dup.file)})` });
        continue;
      }
      versions.set(ver, b);
      next.bundles.set(id, versions);
      for (const [flowId, flow] of b.flows) {
        for (const nodeId of onEventNodeIds(flow)) {
          next.listeners.set(eventListenerWorkflowId(namespacedId(id, ver, flowId), nodeId), { bundle: b, flowId, nodeId });
        }
      }
    }
    this.index = next;
    const ids = this.bundleIds();
    return { ok: errors.length === 0, bundle_ids: ids, count: ids.length, errors };
  }

  /** Reload when the flows directory changed since the last reload; true when it reloaded. */
  reloadIfChanged(): boolean {
    if (this.mtimeSignature() === this.index.signature) return false;
    this.reload();
    return true;
  }

  /** Signature of the loaded index: changes on every reload that saw different files (compiled-flow caches key on it). */
  get loadedSignature(): string {
    return this.index.signature;
  }

  /** Cheap fingerprint of the flows directory (stat calls only, no reads). */
  mtimeSignature(): string {
    const parts: string[] = [];
    for (const file of this.candidateFiles()) {
      try {
        const st = fs.statSync(file);
        parts.push(`${path.basename(file)}:${st.ino}:${st.size}:${st.mtimeMs}`);
      } catch {
        // vanished between readdir and stat: the next call sees the new state
      }
    }
    return sha256Hex(parts.join('\n'));
  }

  /** flowsDir is one bundle (a `.flow` file or an unpacked bundle directory) rather than a directory of them. */
  private isSingleBundle(): boolean {
    if (this.source === 'visualflow') return false;
    try {
      return !fs.statSync(this.flowsDir).isDirectory() || fs.existsSync(path.join(this.flowsDir, 'manifest.json'));
    } catch {
      return false;
    }
  }

  /** Paths to load: the single bundle, or every `*.flow` entry of the directory, sorted by name. */
  private candidateFiles(): string[] {
    if (this.source === 'visualflow') return jsonFiles(this.flowsDir).map((n) => path.join(this.flowsDir, n));
    if (this.isSingleBundle()) return [this.flowsDir];
    if (!fs.existsSync(this.flowsDir)) return [];
    return fs.readdirSync(this.flowsDir).filter((n) => n.endsWith('.flow')).sort().map((n) => path.join(this.flowsDir, n));
  }

  private scan(): { bundles: LoadedBundle[]; errors: ReloadResult['errors'] } {
    if (this.source === 'visualflow') return this.scanDirectory();
    const bundles: LoadedBundle[] = [];
    const errors: ReloadResult['errors'] = [];
    for (const file of this.candidateFiles()) {
      try {
        const bundle = bundleFromPath(file, this.limits);
        // The rules upload applies: a hand-dropped file cannot bring in an id that could never be installed.
        const unsafe = unsafeNames(bundle);
        if (unsafe) {
          errors.push({ file: this.displayName(file), reason: `skipped: ${unsafe}` });
          continue;
        }
        assertValidBundle(bundle); // a bundle whose flows do not compile is reported, never loaded
        bundles.push({ ...bundle, file });
      } catch (e) {
        errors.push({ file: this.displayName(file), reason: errMessage(e) });
      }
    }
    return { bundles, errors };
  }

  /** The directory as one implicit bundle (none when it holds no flow). */
  private scanDirectory(): { bundles: LoadedBundle[]; errors: ReloadResult['errors'] } {
    const scan = scanDirectory(this.flowsDir);
    if (!scan.flows.size) return { bundles: [], errors: scan.errors };
    const missing = Object.fromEntries(scan.missing);
    const bundle: LoadedBundle = { ...implicitBundle(this.directoryBundleId!, scan.version, scan.flows, { flows_dir: this.flowsDir, missing_refs: missing }, scan.updatedAt), file: this.flowsDir };
    if (!this.versions.has(scan.version)) {
      this.versions.set(scan.version, { bundle, saved: new Set() });
      // Bound the in-memory history: older versions come back from the snapshot store when a run needs them.
      for (const v of this.versions.keys()) if (this.versions.size > 4 && v !== scan.version) this.versions.delete(v);
    }
    return { bundles: [bundle], errors: scan.errors };
  }

  /** visualflow mode: a directory version that is no longer current (kept in memory, else from snapshots). */
  private pastVersion(version: string): LoadedBundle | undefined {
    const hit = this.versions.get(version);
    if (hit) return hit.bundle;
    const docs = this.snapshots?.load(version);
    if (!docs) return undefined;
    const bundle: LoadedBundle = { ...implicitBundle(this.directoryBundleId!, version, docs, { snapshot: true }), file: this.flowsDir };
    this.versions.set(version, { bundle, saved: null });
    return bundle;
  }

  /** visualflow mode: persist the documents a run of `flowId` uses (it and every flow it references) once. */
  private saveSnapshot(b: LoadedBundle, flowId: string): void {
    const entry = this.versions.get(b.manifest.bundle_version);
    if (!this.snapshots || !entry?.saved || entry.saved.has(flowId)) return;
    const { ids } = flowClosure(b.flows, flowId);
    this.snapshots.save(b.manifest.bundle_version, new Map(ids.map((id) => [id, b.flows.get(id)!])));
    for (const id of ids) entry.saved.add(id);
  }

  /** visualflow mode: ids `flowId` references (transitively) that the directory does not hold. */
  missingReferences(flowId: string): string[] {
    const b = this.directoryBundleId ? this.latest(this.directoryBundleId) : undefined;
    return b?.flows.has(flowId) ? flowClosure(b.flows, flowId).missing : [];
  }

  private displayName(file: string): string {
    return file === this.flowsDir ? path.basename(file) : path.relative(this.flowsDir, file);
  }

  // ---- lookup --------------------------------------------------------------------------------------

  bundleIds(): string[] {
    return [...this.index.bundles.keys()].sort();
  }

  /** The bundle id when exactly one is loaded, else null. */
  defaultBundleId(): string | null {
    const ids = this.bundleIds();
    return ids.length === 1 ? ids[0]! : null;
  }

  private latest(bundleId: string): LoadedBundle | undefined {
    const versions = this.index.bundles.get(bundleId);
    if (!versions) return undefined;
    return pickLatest([...versions.values()].map((b) => ({ version: b.manifest.bundle_version, created_at: b.manifest.created_at, b })))?.b;
  }

  private find(bundleId: string, version: string | null): LoadedBundle | undefined {
    if (version === null) return this.latest(bundleId);
    const hit = this.index.bundles.get(bundleId)?.get(version);
    if (hit || bundleId !== this.directoryBundleId) return hit;
    return this.pastVersion(version);
  }

  private mustFind(bundleId: string, version: string | null): LoadedBundle {
    const b = this.find(bundleId, version);
    if (!b) throw new BundleNotFound(version === null ? bundleId : bundleRefString(bundleId, version));
    return b;
  }

  /** `id` / `id@ver` plus an optional explicit version; they must agree. */
  private parseRef(bundleIdOrRef: string, bundleVersion?: string | null): { bundleId: string; version: string | null } {
    const ref = parseBundleRef(bundleIdOrRef);
    if (!ref.bundleId) throw new InvalidReference('bundle_id is required');
    const explicit = bundleVersion?.trim() || null;
    if (ref.version && explicit && ref.version !== explicit) {
      throw new InvalidReference("bundle_version conflicts with bundle_id (bundle_id already includes '@version')");
    }
    return { bundleId: ref.bundleId, version: ref.version ?? explicit };
  }

  // ---- discovery -----------------------------------------------------------------------------------

  list(opts: { allVersions?: boolean; includeDeprecated?: boolean } = {}): { items: BundleListItem[]; default_bundle_id: string | null } {
    const deps = this.deprecations.read();
    const chosen: LoadedBundle[] = [];
    for (const id of this.bundleIds()) {
      if (opts.allVersions) {
        const versions = [...this.index.bundles.get(id)!.values()];
        versions.sort((a, b) => cmp(a.manifest.created_at, b.manifest.created_at) || cmp(a.manifest.bundle_version, b.manifest.bundle_version));
        chosen.push(...versions);
      } else {
        chosen.push(this.latest(id)!);
      }
    }
    const items: BundleListItem[] = [];
    for (const b of chosen) {
      const item = this.listItem(b, deps);
      item.entrypoints = item.entrypoints.filter((ep) => opts.includeDeprecated || !ep.deprecated);
      if (item.entrypoints.length) items.push(item);
    }
    const def = this.defaultBundleId();
    return { items, default_bundle_id: def !== null && items.some((i) => i.bundle_id === def) ? def : null };
  }

  private listItem(b: LoadedBundle, deps: ReturnType<DeprecationStore['read']>): BundleListItem {
    const m = b.manifest;
    return {
      bundle_id: m.bundle_id,
      bundle_version: m.bundle_version,
      bundle_ref: refOf(b),
      created_at: m.created_at,
      default_entrypoint: m.default_entrypoint,
      entrypoints: m.entrypoints.map((ep) => ({ ...ep, ...deprecationFields(deps[m.bundle_id]?.[ep.flow_id] ?? deps[m.bundle_id]?.[WHOLE_BUNDLE]) })),
    };
  }

  get(bundleIdOrRef: string, bundleVersion?: string | null): BundleDetail {
    const { bundleId, version } = this.parseRef(bundleIdOrRef, bundleVersion);
    const b = this.mustFind(bundleId, version);
    const m = b.manifest;
    const item = this.listItem(b, this.deprecations.read());
    return {
      ...item,
      entrypoints: item.entrypoints.map((ep) => {
        const flow = b.flows.get(ep.flow_id)!;
        return { ...ep, workflow_id: namespacedId(m.bundle_id, m.bundle_version, ep.flow_id), inputs: startInputs(flow), node_index: nodeIndex(flow) };
      }),
      flows: [...b.flows.keys()],
      metadata: m.metadata,
    };
  }

  /** Raw (un-namespaced) flow JSON; `flowId` may be `bundle:flow` / `bundle@ver:flow`. */
  getFlow(bundleIdOrRef: string, flowId: string, bundleVersion?: string | null): BundleFlow {
    let { bundleId, version } = this.parseRef(bundleIdOrRef, bundleVersion);
    let fid = flowId.trim();
    if (fid.includes(':')) {
      const parts = parseWorkflowId(fid);
      if (!parts || parts.bundleId !== bundleId) throw new InvalidReference('flow_id bundle prefix does not match bundle_id');
      version = mergeVersions(parts.version, version);
      fid = parts.flowId;
    }
    const b = this.mustFind(bundleId, version);
    const flow = b.flows.get(fid);
    if (!flow) throw new FlowNotFound(fid, refOf(b));
    const m = b.manifest;
    return {
      bundle_id: m.bundle_id,
      bundle_version: m.bundle_version,
      bundle_ref: refOf(b),
      flow_id: fid,
      workflow_id: namespacedId(m.bundle_id, m.bundle_version, fid),
      flow: structuredClone(flow),
    };
  }

  // ---- runs/start resolution -----------------------------------------------------------------------

  /**
   * Resolve a start request (rules: docs/runtime.md "Starting a run"): BundleNotFound / FlowNotFound for an
   * unknown target, Deprecated for a retired one, AmbiguousStart / InvalidReference when the request does not
   * name exactly one entrypoint, InvalidInput when it names nothing.
   */
  resolveStart(req: StartRequest): ResolvedStart {
    const flowId = req.flow_id?.trim() || null;
    const bundleRef = req.bundle_id?.trim() || null;
    if (!flowId && !bundleRef) throw new InvalidInput('flow_id is required (or provide bundle_id to start a bundle entrypoint)');
    const resolved = this.resolveStartTarget(flowId, bundleRef, req.bundle_version ?? null);
    if (resolved.bundle_id !== null && resolved.bundle_id === this.directoryBundleId) {
      const missing = flowClosure(this.mustFind(resolved.bundle_id, resolved.bundle_version).flows, resolved.flow_id).missing;
      if (missing.length) throw new InvalidReference(`Flow '${resolved.flow_id}' references missing flows: ${missing.join(', ')}`, 'missing_flow_refs');
    }
    if (resolved.bundle_id !== null) {
      const dep = this.deprecations.get(resolved.bundle_id, resolved.flow_id);
      if (dep) {
        throw new Deprecated(`${resolved.bundle_id}:${resolved.flow_id}`, dep.reason);
      }
    }
    return resolved;
  }

  private resolveStartTarget(flowId: string | null, bundleRef: string | null, bundleVersion: string | null): ResolvedStart {
    const given = bundleRef ? this.parseRef(bundleRef, bundleVersion) : null;
    let bundleId: string;
    let version: string | null;
    let fid: string;
    if (!flowId) {
      const b = this.mustFind(given!.bundleId, given!.version);
      const eps = b.manifest.entrypoints;
      const chosen = eps.length === 1 ? eps[0]!.flow_id : b.manifest.default_entrypoint;
      if (!chosen) throw new AmbiguousStart(`Bundle '${refOf(b)}' has ${eps.length} entrypoints; specify flow_id`);
      return this.startTarget(b, chosen);
    }
    const parts = flowId.includes(':') ? parseWorkflowId(flowId) : null;
    if (parts && this.index.bundles.has(parts.bundleId)) {
      if (given && given.bundleId !== parts.bundleId) throw new InvalidReference('flow_id bundle prefix does not match bundle_id');
      bundleId = parts.bundleId;
      version = mergeVersions(parts.version, given ? given.version : bundleVersion?.trim() || null);
      fid = parts.flowId;
    } else if (given) {
      ({ bundleId, version } = given);
      fid = flowId;
    } else if (flowId.includes(':')) {
      // Not a bundle prefix: a dynamic workflow id (e.g. `scheduled:<uuid>`) the caller resolves elsewhere.
      return { workflow_id: flowId, bundle_id: null, bundle_version: null, flow_id: flowId };
    } else {
      const ids = this.bundleIds();
      if (ids.length === 0) throw new FlowNotFound(flowId);
      if (ids.length > 1) throw new AmbiguousStart(`bundle_id is required when multiple bundles are loaded (flow_id '${flowId}')`);
      bundleId = ids[0]!;
      version = bundleVersion?.trim() || null;
      fid = flowId;
    }
    const b = this.mustFind(bundleId, version);
    if (!b.flows.has(fid)) throw new FlowNotFound(fid, refOf(b));
    return this.startTarget(b, fid);
  }

  private startTarget(b: LoadedBundle, flowId: string): ResolvedStart {
    const { bundle_id, bundle_version } = b.manifest;
    return { workflow_id: namespacedId(bundle_id, bundle_version, flowId), bundle_id, bundle_version, flow_id: flowId };
  }

  // ---- namespaced workflows --------------------------------------------------------------------------

  /**
   * Namespaced VisualFlow JSON for `<bundle>@<ver>:<flow>`, legacy `<bundle>:<flow>` (latest version), or an
   * event-listener id `visual_event_listener_<flow>_<node>`; undefined when unknown. The returned object is
   * cached and shared: treat it as read-only.
   */
  getWorkflow(workflowId: string): FlowDoc | undefined {
    const idx = this.index;
    const cached = idx.cache.get(workflowId);
    if (cached) return cached;
    let doc: FlowDoc | undefined;
    const listener = idx.listeners.get(workflowId);
    if (listener) {
      doc = eventListenerFlow(this.namespaced(listener.bundle, listener.flowId), listener.nodeId);
    } else {
      const parts = parseWorkflowId(workflowId);
      const b = parts ? this.find(parts.bundleId, parts.version) : undefined;
      if (parts && b?.flows.has(parts.flowId)) {
        doc = this.namespaced(b, parts.flowId);
        if (parts.bundleId === this.directoryBundleId) this.saveSnapshot(b!, parts.flowId);
      }
    }
    if (doc && this.index === idx) idx.cache.set(workflowId, doc);
    return doc;
  }

  private namespaced(b: LoadedBundle, flowId: string): FlowDoc {
    const { bundle_id, bundle_version } = b.manifest;
    return namespaceFlow(b.flows.get(flowId)!, bundle_id, bundle_version, flowId, new Set(b.flows.keys()));
  }

  /** Ids of the event-listener workflows derived from a flow's `on_event` nodes (started with each root run). */
  listenerWorkflowIds(workflowId: string): string[] {
    const parts = parseWorkflowId(workflowId);
    const b = parts ? this.find(parts.bundleId, parts.version) : undefined;
    const flow = parts ? b?.flows.get(parts.flowId) : undefined;
    if (!b || !flow) return [];
    const ns = namespacedId(b.manifest.bundle_id, b.manifest.bundle_version, parts!.flowId);
    return onEventNodeIds(flow).map((nodeId) => eventListenerWorkflowId(ns, nodeId));
  }

  // ---- install / remove ------------------------------------------------------------------------------

  private requireDir(action: string): void {
    if (this.source === 'visualflow') {
      throw new InvalidInput(
        `Cannot ${action} bundles with ABSTRACTGATEWAY_WORKFLOW_SOURCE=visualflow: edit the *.json files in the flows directory (ABSTRACTGATEWAY_FLOWS_DIR) instead (they are picked up without a restart)`,
        'visualflow_source',
      );
    }
    if (this.isSingleBundle()) {
      throw new InvalidInput(`Cannot ${action} bundles: the flows path ${this.flowsDir} is a single bundle, not a directory of .flow files`);
    }
  }

  /**
   * Validate and write `<flowsDir>/<bundle_id>@<version>.flow` (tmp + rename). Does not reload: call
   * `reload()` afterwards to make it visible.
   */
  install(bytes: Uint8Array, opts: { overwrite?: boolean } = {}): InstallInfo {
    this.requireDir('install');
    const bundle = bundleFromBytes(bytes, this.limits);
    assertValidBundle(bundle);
    const m = bundle.manifest;
    const unsafe = unsafeNames(bundle);
    if (unsafe) throw new InvalidBundle(unsafe, 'unsafe_bundle_id');
    const fileName = `${refOf(bundle)}.flow`;
    const target = path.join(this.flowsDir, fileName);
    // Other files holding the same id@version (e.g. a hand-named `demo.flow`) would make it ambiguous.
    const others = this.scan().bundles.filter((b) => refOf(b) === refOf(bundle) && b.file !== target);
    if (!opts.overwrite && (fs.existsSync(target) || others.length)) {
      throw new BundleExists(`Bundle already installed: ${fs.existsSync(target) ? fileName : this.displayName(others[0]!.file)}`);
    }
    fs.mkdirSync(this.flowsDir, { recursive: true });
    const tmp = path.join(this.flowsDir, `.${fileName}.${process.pid}.${Date.now()}.tmp`);
    try {
      fs.writeFileSync(tmp, bytes);
      fs.renameSync(tmp, target);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    for (const o of others) fs.rmSync(o.file, { recursive: true, force: true });
    return {
      bundle_id: m.bundle_id,
      bundle_version: m.bundle_version,
      bundle_ref: refOf(bundle),
      sha256: bundle.sha256,
      default_entrypoint: m.default_entrypoint,
      entrypoints: m.entrypoints,
    };
  }

  /** Delete every file of `bundle_id` (or of one version); returns how many. Does not reload. */
  remove(bundleIdOrRef: string, bundleVersion?: string | null): number {
    this.requireDir('remove');
    const { bundleId, version } = this.parseRef(bundleIdOrRef, bundleVersion);
    const victims = this.scan().bundles.filter(
      (b) => b.manifest.bundle_id === bundleId && (version === null || b.manifest.bundle_version === version),
    );
    if (!victims.length) throw new BundleNotFound(version === null ? bundleId : bundleRefString(bundleId, version));
    for (const b of victims) fs.rmSync(b.file, { recursive: true, force: true });
    return victims.length;
  }

  // ---- deprecations ----------------------------------------------------------------------------------

  /** Deprecate one entrypoint (`flowId`) or the whole bundle (null); 404 for unknown bundle/entrypoint. */
  deprecate(bundleIdOrRef: string, flowId: string | null, reason: string | null): DeprecateResult {
    const { bundleId, flowKey } = this.deprecationTarget(bundleIdOrRef, flowId);
    const versions = this.index.bundles.get(bundleId);
    if (!versions) throw new BundleNotFound(bundleId);
    if (flowKey !== WHOLE_BUNDLE && ![...versions.values()].some((b) => b.manifest.entrypoints.some((ep) => ep.flow_id === flowKey))) {
      throw new EntrypointNotFound(flowKey, bundleId);
    }
    const info = this.deprecations.set(bundleId, flowKey, reason?.trim() || null);
    return { ok: true, bundle_id: bundleId, flow_id: flowKey, deprecated_at: info.deprecated_at, reason: info.reason };
  }

  /** Remove a deprecation; `removed: false` when there was none (no 404, so stale entries can be cleaned). */
  undeprecate(bundleIdOrRef: string, flowId: string | null): UndeprecateResult {
    const { bundleId, flowKey } = this.deprecationTarget(bundleIdOrRef, flowId);
    return { ok: true, bundle_id: bundleId, flow_id: flowKey, removed: this.deprecations.remove(bundleId, flowKey) };
  }

  /** Deprecation of a `bundle[@ver]:flow` workflow id (per flow, else whole bundle), or null. */
  deprecationOf(workflowId: string): DeprecationInfo | null {
    const parts = parseWorkflowId(workflowId);
    return parts ? this.deprecations.get(parts.bundleId, parts.flowId) : null;
  }

  isDeprecated(workflowId: string): boolean {
    return this.deprecationOf(workflowId) !== null;
  }

  private deprecationTarget(bundleIdOrRef: string, flowId: string | null): { bundleId: string; flowKey: string } {
    const { bundleId } = this.parseRef(bundleIdOrRef);
    let flowKey = flowId?.trim() || WHOLE_BUNDLE;
    if (flowKey.includes(':')) {
      const parts = parseWorkflowId(flowKey);
      if (!parts || parts.bundleId !== bundleId) throw new InvalidReference('flow_id bundle prefix does not match bundle_id');
      flowKey = parts.flowId;
    }
    return { bundleId, flowKey };
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A version from a `bundle@ver:` prefix and one given separately must agree. */
function mergeVersions(fromPrefix: string | null, given: string | null): string | null {
  if (fromPrefix && given && fromPrefix !== given) {
    throw new InvalidReference(`flow_id version '${fromPrefix}' conflicts with bundle_version '${given}'`);
  }
  return fromPrefix ?? given;
}

function deprecationFields(info: DeprecationInfo | undefined): DeprecationFields {
  return { deprecated: !!info, deprecated_at: info?.deprecated_at ?? null, deprecated_reason: info?.reason ?? null };
}

function unsafeNames(b: Bundle): string | null {
  return unsafeBundleName('bundle_id', b.manifest.bundle_id) ?? unsafeBundleName('bundle_version', b.manifest.bundle_version);
}
