// A directory of VisualFlow `*.json` documents (ABSTRACTGATEWAY_WORKFLOW_SOURCE=visualflow) presented as ONE implicit
// bundle, so discovery, run start, namespacing, subflows, agents and listeners work exactly as for a `.flow` file.
//
// - Flows are keyed by their document `id` (not the file name); a second file with the same id is skipped.
// - The bundle id is the directory name (sanitised, else `visualflow`); the bundle version is content-addressed,
//   `dev.<12 hex of sha256 over every (id, document hash)>`, so a workflow id `flows@dev.<hash>:<flow>` always
//   names one definition: editing a file makes a new version for new runs while running runs keep theirs.
// - References (subflow nodes) to ids absent from the directory are reported per flow (`missingRefs`).
// - `watch()` re-scans on fs.watch events (debounced) and on a slow fallback interval (fs.watch is not reliable on
//   every filesystem); the registry additionally re-checks a stat signature when a workflow id misses.
import fs from 'node:fs';
import path from 'node:path';
import { isPlainObject } from '../../model/index.ts';
import { canonicalJson, sha256Hex } from '../../util/json.ts';
import type { Bundle } from '../bundle/bundle.ts';
import { flowNodes, nodeType, type FlowDoc } from '../bundle/flowdoc.ts';
import type { Manifest } from '../bundle/manifest.ts';
import { sanitizeBundleId } from '../bundle/refs.ts';
import { isoFromMs } from '../../util/time.ts';

const SUBFLOW_REF_KEYS = ['subflowId', 'flowId', 'workflowId', 'workflow_id'] as const;

export interface DirectoryScan {
  flows: Map<string, FlowDoc>;
  /** flow id -> file name inside the directory */
  files: Map<string, string>;
  /** flow id -> ids it references that the directory does not hold */
  missing: Map<string, string[]>;
  errors: { file: string; reason: string }[];
  version: string;
  /** newest modification time of a loaded file (the implicit bundle's created_at), '' when none */
  updatedAt: string;
}

/** Ids a flow references through subflow nodes (raw, un-namespaced). */
export function flowRefs(flow: FlowDoc): string[] {
  const out = new Set<string>();
  for (const node of flowNodes(flow)) {
    if (nodeType(node) !== 'subflow' || !isPlainObject(node.data)) continue;
    for (const key of SUBFLOW_REF_KEYS) {
      const ref = node.data[key];
      if (typeof ref === 'string' && ref.trim()) {
        out.add(ref.trim());
        break;
      }
    }
  }
  return [...out];
}

/** `entry` plus every flow it references, transitively; ids not in `flows` are returned as `missing`. */
export function flowClosure(flows: ReadonlyMap<string, FlowDoc>, entry: string): { ids: string[]; missing: string[] } {
  const seen = new Set<string>();
  const missing = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const id = todo.pop()!;
    if (seen.has(id) || missing.has(id)) continue;
    const doc = flows.get(id);
    if (!doc) {
      missing.add(id);
      continue;
    }
    seen.add(id);
    todo.push(...flowRefs(doc));
  }
  return { ids: [...seen].sort(), missing: [...missing].sort() };
}

export const directoryBundleId = (dir: string): string => sanitizeBundleId(path.basename(path.resolve(dir))) || 'visualflow';

export function jsonFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
}

/** Read and index every `*.json` of `dir`; unreadable or id-less files are reported and skipped. */
export function scanDirectory(dir: string): DirectoryScan {
  const flows = new Map<string, FlowDoc>();
  const files = new Map<string, string>();
  const errors: DirectoryScan['errors'] = [];
  const hashes: string[] = [];
  let newest = 0;
  for (const name of jsonFiles(dir)) {
    let doc: unknown;
    try {
      const file = path.join(dir, name);
      doc = JSON.parse(fs.readFileSync(file, 'utf8'));
      newest = Math.max(newest, fs.statSync(file).mtimeMs);
    } catch (e) {
      errors.push({ file: name, reason: `not valid JSON (${e instanceof Error ? e.message : String(e)})` });
      continue;
    }
    if (!isPlainObject(doc) || (doc.nodes !== undefined && !Array.isArray(doc.nodes))) {
      errors.push({ file: name, reason: 'not a VisualFlow document (expected an object with a "nodes" list)' });
      continue;
    }
    const id = typeof doc.id === 'string' ? doc.id.trim() : '';
    if (!id || id.includes(':') || id.includes('@')) {
      errors.push({ file: name, reason: 'the document needs a string "id" without ":" or "@"' });
      continue;
    }
    if (flows.has(id)) {
      errors.push({ file: name, reason: `duplicate flow id '${id}' (already loaded from ${files.get(id)})` });
      continue;
    }
    flows.set(id, doc);
    files.set(id, name);
    hashes.push(`${id}:${sha256Hex(canonicalJson(doc))}`);
  }
  const missing = new Map<string, string[]>();
  for (const [id, doc] of flows) {
    const absent = flowRefs(doc).filter((r) => !flows.has(r));
    if (absent.length) {
      missing.set(id, absent.sort());
      errors.push({ file: files.get(id)!, reason: `flow '${id}' references missing flows: ${absent.join(', ')}` });
    }
  }
  return { flows, files, missing, errors, version: `dev.${sha256Hex(hashes.join('\n')).slice(0, 12)}`, updatedAt: newest ? isoFromMs(newest) : '' };
}

/** The manifest a set of flows gets as a bundle: every flow an entrypoint (or just `entry`). */
export function manifestFor(opts: {
  bundleId: string;
  version: string;
  flows: ReadonlyMap<string, FlowDoc>;
  createdAt: string;
  entrypoints?: string[];
  defaultEntrypoint?: string | null;
  metadata?: Record<string, unknown>;
}): Manifest {
  const ids = [...opts.flows.keys()].sort();
  const eps = opts.entrypoints ?? ids;
  return {
    bundle_format_version: '1',
    bundle_id: opts.bundleId,
    bundle_version: opts.version,
    created_at: opts.createdAt,
    entrypoints: eps.map((id) => {
      const doc = opts.flows.get(id)!;
      return {
        flow_id: id,
        name: typeof doc.name === 'string' && doc.name.trim() ? doc.name : id,
        description: typeof doc.description === 'string' ? doc.description : '',
        interfaces: Array.isArray(doc.interfaces) ? doc.interfaces.filter((i: unknown): i is string => typeof i === 'string') : [],
      };
    }),
    default_entrypoint: opts.defaultEntrypoint ?? null,
    flows: Object.fromEntries(ids.map((id) => [id, `flows/${id}.json`])),
    artifacts: {},
    assets: {},
    metadata: opts.metadata ?? {},
  };
}

/** An in-memory bundle holding `flows` (the directory now, or a stored snapshot of an earlier version). */
export function implicitBundle(bundleId: string, version: string, flows: Map<string, FlowDoc>, extra: Record<string, unknown> = {}, createdAt = ''): Bundle {
  const manifest = manifestFor({ bundleId, version, flows, createdAt, metadata: { source: 'visualflow', ...extra } });
  return { manifest, flows, sha256: sha256Hex(version) };
}

/**
 * Calls `onChange` (debounced) when the directory may have changed: fs.watch events, plus a fallback check every
 * `fallbackMs` (cheap: the caller's signature compare). Returns a stop function; timers never keep the process alive.
 */
export function watchDirectory(dir: string, onChange: () => void, opts: { debounceMs?: number; fallbackMs?: number } = {}): () => void {
  const debounceMs = opts.debounceMs ?? 150;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const fire = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      onChange();
    }, debounceMs);
    timer.unref?.();
  };
  let watcher: fs.FSWatcher | null = null;
  try {
    watcher = fs.watch(dir, { persistent: false }, fire);
    watcher.on('error', () => {
      watcher?.close();
      watcher = null;
    });
  } catch {
    watcher = null; // the fallback interval covers it
  }
  const fallback = setInterval(onChange, opts.fallbackMs ?? 5000);
  fallback.unref?.();
  return () => {
    watcher?.close();
    clearInterval(fallback);
    if (timer) clearTimeout(timer);
  };
}
