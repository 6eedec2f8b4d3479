// Bundle references, namespaced workflow ids, safe names and "latest version" (docs/flows.md "Bundles").

export interface BundleRef {
  bundleId: string;
  /** null = latest */
  version: string | null;
}

/** `id`, `id@version` or `id@` (= latest); a trailing `.flow` is dropped when the ref is not a path. */
export function parseBundleRef(ref: string): BundleRef {
  let s = ref.trim();
  if (s.endsWith('.flow') && !/[\\/]/.test(s)) s = s.slice(0, -'.flow'.length);
  const at = s.indexOf('@');
  if (at < 0) return { bundleId: s, version: null };
  const version = s.slice(at + 1).trim();
  return { bundleId: s.slice(0, at).trim(), version: version || null };
}

export const bundleRefString = (bundleId: string, version: string): string => `${bundleId}@${version}`;

export const namespacedId = (bundleId: string, version: string, flowId: string): string => `${bundleId}@${version}:${flowId}`;

export interface WorkflowIdParts extends BundleRef {
  flowId: string;
}

/** Split `bundle@ver:flow` or legacy `bundle:flow` (version null); null when there is no `:`. */
export function parseWorkflowId(workflowId: string): WorkflowIdParts | null {
  const colon = workflowId.indexOf(':');
  if (colon <= 0) return null;
  const flowId = workflowId.slice(colon + 1);
  if (!flowId) return null;
  const { bundleId, version } = parseBundleRef(workflowId.slice(0, colon));
  return bundleId ? { bundleId, version, flowId } : null;
}

function sanitizeWith(s: string, allowed: RegExp): string {
  return s.trim().replace(allowed, '-').replace(/-{2,}/g, '-').replace(/^-+|-+$/g, '');
}

/** The file-name-safe form install requires ids to already have. */
export const sanitizeBundleId = (s: string): string => sanitizeWith(s, /[^A-Za-z0-9_-]+/g);
export const sanitizeBundleVersion = (s: string): string => sanitizeWith(s, /[^A-Za-z0-9_.-]+/g);

/** Longest bundle_id / bundle_version accepted: `<id>@<version>.flow` must stay a valid file name (255 bytes). */
export const MAX_BUNDLE_ID_LENGTH = 100;

/**
 * Why a manifest's bundle_id / bundle_version cannot name a file, or null when it is safe. The one rule for
 * upload, install and loading the flows directory: only the characters the sanitizers keep, at most
 * MAX_BUNDLE_ID_LENGTH characters (so no `..`, `/`, NUL or a name the file system refuses).
 */
export function unsafeBundleName(field: 'bundle_id' | 'bundle_version', value: string): string | null {
  const shown = value.length > 60 ? `'${value.slice(0, 40)}…' (${value.length} characters)` : `'${value}'`;
  if (value.length > MAX_BUNDLE_ID_LENGTH) {
    return `${field} ${shown} is not a safe file name: at most ${MAX_BUNDLE_ID_LENGTH} characters`;
  }
  const safe = field === 'bundle_id' ? sanitizeBundleId(value) : sanitizeBundleVersion(value);
  if (value === safe) return null;
  const hint = safe ? `; use '${safe}'` : '; use only letters, digits, "_", "-"' + (field === 'bundle_version' ? ' and "."' : '');
  return `${field} ${shown} is not a safe file name${hint}`;
}

/** Workflow-id component for derived workflows (agent ReAct, event listeners). */
export function sanitizeIdPart(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, '_') || 'unknown';
}

export const isDraftVersion = (v: string): boolean => v.startsWith('draft.');

function semverParts(v: string): number[] | null {
  if (!/^\d+(\.\d+)*$/.test(v)) return null;
  const parts = v.split('.').map(Number);
  while (parts.length < 3) parts.push(0);
  return parts;
}

function compareParts(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

const cmpStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The latest of `versions`: drafts are ignored while any non-draft exists; max semver when every candidate
 * is dotted integers, else max by (created_at, version).
 */
export function pickLatest<T extends { version: string; created_at: string }>(versions: T[]): T | undefined {
  const nonDraft = versions.filter((v) => !isDraftVersion(v.version));
  const candidates = nonDraft.length ? nonDraft : versions;
  const parsed = candidates.map((v) => semverParts(v.version));
  let best: T | undefined;
  let bestIdx = -1;
  candidates.forEach((v, i) => {
    if (!best) { best = v; bestIdx = i; return; }
    const d = parsed.every((p) => p)
      ? compareParts(parsed[i]!, parsed[bestIdx]!)
      : cmpStr(v.created_at, best.created_at) || cmpStr(v.version, best.version);
    if (d > 0) { best = v; bestIdx = i; }
  });
  return best;
}
