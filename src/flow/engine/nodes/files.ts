// Workspace file nodes (docs/flows.md "Node families"): read_file, write_file, list_folder_files. They are visual
// function nodes (errors complete the run with success:false) confined to the run's workspace
// (`vars.workspace_root`): any path that resolves outside it, including through a symlink, is rejected.

import { mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { type Vars, isPlainObject } from '../../../model/index.ts';
import { pyStr, toJsonValue, truthy } from '../deps.ts';
import type { Exec } from '../exec.ts';
import type { NodeResult, NodeSpec } from '../spec.ts';

interface Resolved {
  abs: string;
  /** Path relative to the workspace root, `/`-separated (what the node reports back). */
  virtual: string;
}

function workspaceRoot(x: Exec): string {
  const root = x.vars.workspace_root;
  if (typeof root !== 'string' || !root.trim()) {
    throw new Error(`${x.node.type} needs a workspace: the run has no 'workspace_root' variable`);
  }
  mkdirSync(resolve(root), { recursive: true }); // created on first use, not at run start
  return realpathSync(resolve(root));
}

const inside = (root: string, p: string) => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);

/** realpath of the deepest existing ancestor, plus the part that does not exist yet. */
function realpathDeep(p: string): string {
  const rest: string[] = [];
  for (let cur = p; ; ) {
    try {
      return join(realpathSync(cur), ...rest.reverse());
    } catch {
      const parent = dirname(cur);
      if (parent === cur) return p;
      rest.push(basename(cur));
      cur = parent;
    }
  }
}

/** Resolves `raw` inside the workspace; the deepest existing ancestor is realpath'd to catch symlink escapes. */
function resolveInWorkspace(x: Exec, raw: unknown, what = 'file_path'): Resolved {
  if (typeof raw !== 'string' || !raw.trim()) throw new Error(`${x.node.type} requires a non-empty '${what}'`);
  const root = workspaceRoot(x);
  const abs = isAbsolute(raw) ? resolve(raw) : resolve(root, raw);
  const real = realpathDeep(abs);
  if (!inside(root, abs) || !inside(root, real)) throw new Error(`Path '${raw}' is outside the run workspace`);
  return { abs: real, virtual: relative(root, real).split(sep).join('/') || '.' };
}

async function readFile(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('function');
  const f = resolveInWorkspace(x, input.file_path);
  let text: string;
  try {
    text = readFileSync(f.abs, 'utf8');
  } catch {
    throw new Error(`File not found: ${f.virtual}`);
  }
  let content: unknown = text;
  if (extname(f.abs).toLowerCase() === '.json') {
    try {
      content = JSON.parse(text);
    } catch (err) {
      throw new Error(`Invalid JSON in ${f.virtual}: ${(err as Error).message}`);
    }
  } else if (/^\s*[[{]/.test(text)) {
    try {
      content = JSON.parse(text);
    } catch {
      content = text; // only opportunistic
    }
  }
  return { kind: 'value', output: { content, file_path: f.virtual } };
}

async function writeFile(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('function');
  const f = resolveInWorkspace(x, input.file_path);
  const c = toJsonValue(input.content);
  let text: string;
  if (extname(f.abs).toLowerCase() === '.json') {
    let value = c;
    if (typeof c === 'string') {
      try {
        value = JSON.parse(c);
      } catch {
        throw new Error(`Content for ${f.virtual} is not valid JSON`);
      }
    }
    text = JSON.stringify(value ?? null, null, 2) + '\n';
  } else if (c === null || c === undefined) text = '';
  else if (typeof c === 'string') text = c;
  else if (Array.isArray(c) || isPlainObject(c)) text = JSON.stringify(c, null, 2);
  else text = pyStr(c);
  mkdirSync(dirname(f.abs), { recursive: true });
  writeFileSync(f.abs, text);
  return { kind: 'value', output: { bytes: Buffer.byteLength(text), file_path: f.virtual } };
}

const IGNORED = new Set(['.git', 'node_modules', '__pycache__']);

async function listFolderFiles(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('function');
  const dir = resolveInWorkspace(x, input.folder_path ?? '.', 'folder_path');
  if (!statSync(dir.abs, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`Not a folder: ${dir.virtual}`);
  const recursive = truthy(input.recursive ?? false);
  const withDirs = truthy(input.include_directories ?? false);
  const limit = Math.min(5000, Math.max(1, Number(input.limit ?? 500) || 500));
  const maxDepth = input.max_depth === undefined || input.max_depth === null ? Infinity : Number(input.max_depth);
  const exts = (Array.isArray(input.extensions) ? input.extensions : typeof input.extensions === 'string' ? input.extensions.split(',') : [])
    .map((e: unknown) => pyStr(e).trim().toLowerCase().replace(/^\.?/, '.'))
    .filter((e: string) => e !== '.');
  const entries: Vars[] = [];
  let truncated = false;
  const walk = (abs: string, rel: string, depth: number) => {
    for (const d of readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (IGNORED.has(d.name)) continue;
      const childRel = rel ? `${rel}/${d.name}` : d.name;
      const isDir = d.isDirectory();
      const wanted = isDir ? withDirs : !exts.length || exts.includes(extname(d.name).toLowerCase());
      if (wanted) {
        if (entries.length >= limit) {
          truncated = true;
          return;
        }
        entries.push({ path: dir.virtual === '.' ? childRel : `${dir.virtual}/${childRel}`, type: isDir ? 'directory' : 'file' });
      }
      if (isDir && recursive && depth < maxDepth) walk(join(abs, d.name), childRel, depth + 1);
      if (truncated) return;
    }
  };
  walk(dir.abs, '', 1);
  const files = entries.filter((e) => e.type === 'file').map((e) => e.path);
  return { kind: 'value', output: { folder_path: dir.virtual, files, entries, count: entries.length, truncated } };
}

export const FILE_NODES: Record<string, NodeSpec> = {
  read_file: { family: 'function', exec: readFile },
  write_file: { family: 'function', exec: writeFile },
  list_folder_files: { family: 'function', exec: listFolderFiles },
};
