// File tools (AbstractCore names and parameters), confined to the run's workspace.
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { dirname, join } from 'node:path';
import { bool, cap, int, str } from './args.ts';
import { ToolError, type Workspace } from './workspace.ts';

type Args = Record<string, unknown>;

const isHidden = (name: string) => name.startsWith('.');

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  } catch (e) {
    throw new ToolError(`Cannot read directory: ${(e as Error).message}`);
  }
}

function requireDir(ws: Workspace, abs: string): void {
  if (!existsSync(abs)) throw new ToolError(`Directory '${ws.display(abs)}' does not exist`);
  if (!statSync(abs).isDirectory()) throw new ToolError(`'${ws.display(abs)}' is not a directory`);
}

/** Files under `dir` (depth-first, sorted), skipping hidden entries unless asked and ignored paths always. */
function* walk(ws: Workspace, dir: string, recursive: boolean, includeHidden: boolean): Generator<string> {
  for (const e of entries(dir)) {
    if (!includeHidden && isHidden(e.name)) continue;
    const p = join(dir, e.name);
    if (ws.isIgnored(p)) continue;
    if (e.isDirectory()) {
      if (recursive) yield* walk(ws, p, recursive, includeHidden);
    } else if (e.isFile()) {
      yield p;
    }
  }
}

export function listFiles(ws: Workspace, args: Args): string {
  const dir = ws.resolve(str(args, 'directory_path', '.'), 'directory_path');
  requireDir(ws, dir);
  const glob = new Bun.Glob(str(args, 'pattern', '*') ?? '*');
  const recursive = bool(args, 'recursive', false);
  const limit = Math.max(1, int(args, 'head_limit', 50));
  const found: string[] = [];
  for (const f of walk(ws, dir, recursive, bool(args, 'include_hidden', false))) {
    const name = f.slice(f.lastIndexOf('/') + 1);
    if (glob.match(name) || glob.match(ws.display(f))) found.push(ws.display(f));
  }
  if (!found.length) return `No files found in '${ws.display(dir)}' matching '${str(args, 'pattern', '*')}'`;
  const shown = found.slice(0, limit).map((f) => `${f} (${statSync(ws.resolve(f)).size} bytes)`);
  const more = found.length > limit ? `\n... ${found.length - limit} more (raise head_limit)` : '';
  return `Files in '${ws.display(dir)}' (${found.length}):\n${shown.join('\n')}${more}`;
}

export function skimFolders(ws: Workspace, args: Args): string {
  const raw = args.paths ?? args.directory_path ?? '.';
  const paths = Array.isArray(raw) ? raw : [raw];
  const maxDepth = Math.max(1, int(args, 'max_depth', 2));
  const includeHidden = bool(args, 'include_hidden', false);
  const lines: string[] = [];
  const visit = (dir: string, depth: number, indent: string) => {
    const es = entries(dir).filter((e) => (includeHidden || !isHidden(e.name)) && !ws.isIgnored(join(dir, e.name)));
    const files = es.filter((e) => e.isFile());
    lines.push(`${indent}${ws.display(dir)}/ (${files.length} files${files.length ? ': ' + files.slice(0, 8).map((f) => f.name).join(', ') + (files.length > 8 ? ', …' : '') : ''})`);
    if (depth >= maxDepth) return;
    for (const d of es.filter((e) => e.isDirectory())) visit(join(dir, d.name), depth + 1, indent + '  ');
  };
  for (const p of paths) {
    const dir = ws.resolve(p, 'paths');
    requireDir(ws, dir);
    visit(dir, 1, '');
  }
  return lines.join('\n');
}

export function searchFiles(ws: Workspace, args: Args, maxChars: number): string {
  const pattern = str(args, 'pattern');
  let re: RegExp;
  try {
    re = new RegExp(pattern, bool(args, 'case_sensitive', false) ? '' : 'i');
  } catch (e) {
    throw new ToolError(`Invalid regular expression '${pattern}': ${(e as Error).message}`);
  }
  const base = ws.resolve(str(args, 'path', '.'), 'path');
  const glob = new Bun.Glob(str(args, 'file_pattern', '*') ?? '*');
  const limit = Math.max(1, int(args, 'head_limit', 20));
  const filesOnly = str(args, 'output_mode', 'content') === 'files_with_matches';
  const files = statSync(base, { throwIfNoEntry: false })?.isFile() ? [base] : (requireDir(ws, base), [...walk(ws, base, true, false)]);
  const hits: string[] = [];
  for (const f of files) {
    if (hits.length >= limit) break;
    if (!glob.match(f.slice(f.lastIndexOf('/') + 1))) continue;
    if (statSync(f).size > 2_000_000) continue; // large/binary files are not what an agent greps
    const text = readFileSync(f, 'utf8');
    if (text.includes('\u0000')) continue;
    const lines = text.split('\n');
    for (let i = 0; i < lines.length && hits.length < limit; i++) {
      if (!re.test(lines[i]!)) continue;
      hits.push(filesOnly ? ws.display(f) : `${ws.display(f)}:${i + 1}: ${lines[i]!.trim().slice(0, 300)}`);
      if (filesOnly) break;
    }
  }
  if (!hits.length) return `No matches for '${pattern}' in '${ws.display(base)}'`;
  return cap(hits.join('\n') + (hits.length >= limit ? `\n... (stopped at head_limit=${limit})` : ''), maxChars);
}

export async function readFile(ws: Workspace, args: Args, maxChars: number): Promise<string> {
  const path = ws.resolve(str(args, 'file_path'), 'file_path');
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new ToolError(`File '${ws.display(path)}' does not exist`);
  if (!st.isFile()) throw new ToolError(`'${ws.display(path)}' is not a file`);
  const text = await Bun.file(path).text();
  if (bool(args, 'should_read_entire_file', true) && args.start_line_one_indexed === undefined && args.end_line_one_indexed_inclusive === undefined) {
    return cap(text, maxChars);
  }
  const lines = text.split('\n');
  const start = Math.max(1, int(args, 'start_line_one_indexed', 1));
  const end = Math.min(lines.length, int(args, 'end_line_one_indexed_inclusive', lines.length));
  if (start > lines.length) throw new ToolError(`start_line_one_indexed ${start} is past the end of the file (${lines.length} lines)`);
  return cap(lines.slice(start - 1, end).map((l, i) => `${start + i}: ${l}`).join('\n'), maxChars);
}

export async function skimFiles(ws: Workspace, args: Args, maxChars: number): Promise<string> {
  const raw = args.paths ?? args.file_path;
  const paths = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  if (!paths.length) throw new ToolError("Missing required argument 'paths'");
  const head = Math.max(1, int(args, 'head_lines', 20));
  const parts: string[] = [];
  for (const p of paths) {
    const path = ws.resolve(p, 'paths');
    if (!statSync(path, { throwIfNoEntry: false })?.isFile()) {
      parts.push(`== ${ws.display(path)}: not a file`);
      continue;
    }
    const lines = (await Bun.file(path).text()).split('\n');
    const more = lines.length > head ? `\n... (${lines.length - head} more lines)` : '';
    parts.push(`== ${ws.display(path)} (${lines.length} lines)\n${lines.slice(0, head).join('\n')}${more}`);
  }
  return cap(parts.join('\n\n'), maxChars);
}

export async function writeFile(ws: Workspace, args: Args): Promise<string> {
  const path = ws.resolve(str(args, 'file_path'), 'file_path');
  const content = str(args, 'content', '') ?? '';
  const mode = str(args, 'mode', 'w');
  if (mode !== 'w' && mode !== 'a') throw new ToolError(`mode must be 'w' (overwrite) or 'a' (append), got '${mode}'`);
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw new ToolError(`'${ws.display(path)}' is a directory`);
  if (bool(args, 'create_dirs', true)) mkdirSync(dirname(path), { recursive: true });
  else if (!existsSync(dirname(path))) throw new ToolError(`Directory '${ws.display(dirname(path))}' does not exist`);
  const previous = mode === 'a' && existsSync(path) ? await Bun.file(path).text() : '';
  await Bun.write(path, previous + content);
  return `${mode === 'a' ? 'Appended' : 'Wrote'} ${content.length} characters to '${ws.display(path)}'`;
}

export async function editFile(ws: Workspace, args: Args): Promise<string> {
  const path = ws.resolve(str(args, 'file_path'), 'file_path');
  if (!statSync(path, { throwIfNoEntry: false })?.isFile()) throw new ToolError(`File '${ws.display(path)}' does not exist`);
  const pattern = str(args, 'pattern');
  const replacement = str(args, 'replacement', '') ?? '';
  const max = int(args, 'max_replacements', -1);
  const text = await Bun.file(path).text();
  let re: RegExp;
  try {
    re = new RegExp(bool(args, 'use_regex', false) ? pattern : pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g');
  } catch (e) {
    throw new ToolError(`Invalid regular expression '${pattern}': ${(e as Error).message}`);
  }
  let count = 0;
  const useRegex = bool(args, 'use_regex', false);
  const next = text.replace(re, (m) => {
    if (max >= 0 && count >= max) return m;
    count++;
    // regex mode supports $1-style groups; literal mode inserts the replacement verbatim
    return useRegex ? m.replace(new RegExp(re.source), replacement) : replacement;
  });
  if (count === 0) throw new ToolError(`Pattern not found in '${ws.display(path)}'; read the file and retry with exact text`);
  if (!bool(args, 'preview_only', false)) await Bun.write(path, next);
  return `${bool(args, 'preview_only', false) ? 'Would replace' : 'Replaced'} ${count} occurrence(s) in '${ws.display(path)}'`;
}
