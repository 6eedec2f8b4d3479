// Workspace confinement for built-in tools: every path argument resolves inside the run's
// `vars.workspace_root`, following symlinks, so neither `../` nor a symlink can reach outside it.
import { mkdirSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';

export class ToolError extends Error {}

const inside = (root: string, p: string): boolean => {
  const rel = relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** Real path of `p`, or of its nearest existing ancestor joined with the missing tail. */
function realish(p: string): string {
  let cur = p;
  const tail: string[] = [];
  for (;;) {
    try {
      return resolve(realpathSync(cur), ...tail.reverse());
    } catch {
      const parent = dirname(cur);
      if (parent === cur) return p;
      tail.push(cur.slice(parent.length).replace(/^[/\\]/, ''));
      cur = parent;
    }
  }
}

/** Run-vars workspace policy (docs/runtime.md "Effects", docs/api.md "Runs"). */
export const ACCESS_MODES = ['workspace_only', 'workspace_or_allowed', 'all_except_ignored'] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

export interface WorkspacePolicy {
  mode: AccessMode;
  /** extra roots for `workspace_or_allowed` */
  allowed: string[];
  /** never reachable, whatever the mode */
  ignored: string[];
}

export class Workspace {
  readonly root: string;
  private readonly policy: WorkspacePolicy;

  constructor(root: string, policy: Partial<WorkspacePolicy> = {}) {
    this.root = realish(resolve(root));
    const abs = (list: string[] | undefined) => (list ?? []).map((p) => realish(resolve(this.root, p)));
    this.policy = { mode: policy.mode ?? 'workspace_only', allowed: abs(policy.allowed), ignored: abs(policy.ignored) };
  }

  isIgnored(abs: string): boolean {
    return this.policy.ignored.some((i) => inside(i, abs));
  }

  /** Absolute path for a tool argument (relative paths are relative to the root), checked against the policy. */
  resolve(p: unknown, argName = 'path'): string {
    if (p === undefined || p === null || p === '') p = '.';
    if (typeof p !== 'string') throw new ToolError(`${argName} must be a string`);
    const abs = realish(resolve(this.root, p));
    if (this.isIgnored(abs)) throw new ToolError(`Path '${p}' is excluded by the workspace policy (workspace_ignored_paths)`);
    const ok = this.policy.mode === 'all_except_ignored' || inside(this.root, abs)
      || (this.policy.mode === 'workspace_or_allowed' && this.policy.allowed.some((a) => inside(a, abs)));
    if (!ok) throw new ToolError(`Path '${p}' is outside the workspace; use a path inside the workspace root`);
    return abs;
  }

  /** Workspace-relative display path ('.' for the root); absolute outside it. */
  display(abs: string): string {
    return inside(this.root, abs) ? relative(this.root, abs) || '.' : abs;
  }
}

const strList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : []);

/** The run's workspace, or a clear error when the run has none (file tools never fall back to CWD). */
export function workspaceFor(vars: Record<string, any>): Workspace {
  const root = vars?.workspace_root;
  if (typeof root !== 'string' || !root.trim()) {
    throw new ToolError('This run has no workspace (vars.workspace_root is not set); file and command tools are disabled');
  }
  mkdirSync(resolve(root), { recursive: true }); // created on first use, not at run start
  const mode = (ACCESS_MODES as readonly string[]).includes(vars.workspace_access_mode) ? (vars.workspace_access_mode as AccessMode) : 'workspace_only';
  return new Workspace(root, { mode, allowed: strList(vars.workspace_allowed_paths), ignored: strList(vars.workspace_ignored_paths) });
}
