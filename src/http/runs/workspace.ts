// Thin-client workspace safety for run inputs (docs/api.md "Runs"): a client may narrow its
// workspace but never widen it beyond the operator roots, and every run ends up with a workspace_root.
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Vars } from '../../model/index.ts';
import type { WorkspacePolicy } from '../deps.ts';

const ALIASES: Record<string, string> = {
  workspaceRoot: 'workspace_root',
  workspaceAccessMode: 'workspace_access_mode',
  workspaceAllowedPaths: 'workspace_allowed_paths',
  workspaceIgnoredPaths: 'workspace_ignored_paths',
};
const MODES = new Set(['workspace_only', 'workspace_or_allowed', 'all_except_ignored']);

const inside = (root: string, p: string): boolean => {
  const rel = relative(resolve(root), resolve(p));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** Returns a sanitised copy of `input` with `workspace_root` always set (a fresh dir under `workspacesDir`). */
export function applyWorkspacePolicy(input: Vars, policy: WorkspacePolicy, workspacesDir: string): Vars {
  const out: Vars = { ...input };
  for (const [alias, key] of Object.entries(ALIASES)) {
    if (alias in out) {
      if (!(key in out)) out[key] = out[alias];
      delete out[alias];
    }
  }
  if (!policy.trustClient) {
    const allowed = (p: unknown): p is string =>
      typeof p === 'string' && isAbsolute(p) && policy.roots.some((r) => inside(r, p));
    if ('workspace_root' in out && !allowed(out.workspace_root)) delete out.workspace_root;
    const mode = out.workspace_access_mode;
    if (mode !== undefined) {
      if (mode === 'all_except_ignored') out.workspace_access_mode = 'workspace_only';
      else if (typeof mode !== 'string' || !MODES.has(mode)) delete out.workspace_access_mode;
    }
    if ('workspace_allowed_paths' in out) {
      const paths = out.workspace_allowed_paths;
      out.workspace_allowed_paths = Array.isArray(paths) ? paths.filter(allowed) : [];
    }
  }
  if (typeof out.workspace_root !== 'string' || !out.workspace_root.trim()) {
    // The directory itself is created on first use by the file nodes and tools (a mkdir per start is costly).
    out.workspace_root = join(workspacesDir, crypto.randomUUID().replaceAll('-', ''));
  }
  return out;
}
