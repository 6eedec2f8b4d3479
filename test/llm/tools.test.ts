import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executeToolCall, type ToolRunContext } from '../../src/llm/tools/index.ts';
import { listTools } from '../../src/llm/discovery.ts';

let root: string;
let outside: string;
const limits = { commandTimeoutMs: 5000, commandMaxTimeoutMs: 10_000, maxOutputChars: 2000, fetchTimeoutMs: 2000 };
const ctx = (): ToolRunContext => ({ vars: { workspace_root: root }, limits, signal: new AbortController().signal });
const run = (name: string, args: Record<string, unknown>, c: ToolRunContext = ctx()) => executeToolCall({ name, arguments: args, call_id: 'c1' }, c);

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ag-ws-'));
  outside = mkdtempSync(join(tmpdir(), 'ag-out-'));
  writeFileSync(join(outside, 'secret.txt'), 'top secret');
  mkdirSync(join(root, 'src/deep'), { recursive: true });
  writeFileSync(join(root, 'README.md'), '# Title\nhello world\nline three\n');
  writeFileSync(join(root, 'src/main.ts'), 'export const answer = 42;\n// TODO: more\n');
  writeFileSync(join(root, 'src/deep/util.py'), 'def todo():\n    pass\n');
  writeFileSync(join(root, '.hidden'), 'x');
  symlinkSync(outside, join(root, 'escape'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('catalogue', () => {
  test('lists the spec tool names with flat parameter maps', () => {
    const tools = listTools();
    const names = tools.map((t) => t.name);
    for (const n of ['list_files', 'skim_folders', 'search_files', 'read_file', 'write_file', 'edit_file', 'execute_command', 'fetch_url', 'ask_user', 'remember', 'recall_memory']) {
      expect(names).toContain(n);
    }
    const read = tools.find((t) => t.name === 'read_file')!;
    expect(read.parameters.file_path).toMatchObject({ type: 'string' });
    expect(read.description.length).toBeGreaterThan(10);
  });
});

describe('file tools', () => {
  test('list_files: flat, recursive, pattern, hidden', async () => {
    const flat = await run('list_files', {});
    expect(flat.success).toBe(true);
    expect(flat.output).toContain('README.md');
    expect(flat.output).not.toContain('main.ts');
    expect(flat.output).not.toContain('.hidden');
    const rec = await run('list_files', { directory_path: 'src', recursive: true, pattern: '*.py' });
    expect(rec.output).toContain('src/deep/util.py');
    expect(rec.output).not.toContain('main.ts');
    expect((await run('list_files', { include_hidden: true })).output).toContain('.hidden');
  });

  test('skim_folders shows a tree', async () => {
    const r = await run('skim_folders', { paths: ['.'], max_depth: 3 });
    expect(r.output).toContain('src/deep/ (1 files: util.py)');
  });

  test('skim_files shows file heads', async () => {
    const r = await run('skim_files', { paths: ['README.md', 'src'], head_lines: 1 });
    expect(r.output).toBe('== README.md (4 lines)\n# Title\n... (3 more lines)\n\n== src: not a file');
    expect((await run('skim_files', {})).error).toContain("'paths'");
  });

  test('search_files: regex matches with locations, invalid regex error', async () => {
    const r = await run('search_files', { pattern: 'todo' });
    expect(r.output).toContain('src/main.ts:2: // TODO: more');
    expect(r.output).toContain('src/deep/util.py:1: def todo():');
    const cs = await run('search_files', { pattern: 'TODO', case_sensitive: true, output_mode: 'files_with_matches' });
    expect(cs.output).toBe('src/main.ts');
    const bad = await run('search_files', { pattern: '(' });
    expect(bad.success).toBe(false);
    expect(bad.error).toContain('Invalid regular expression');
  });

  test('read_file: whole, line range, missing', async () => {
    expect((await run('read_file', { file_path: 'README.md' })).output).toBe('# Title\nhello world\nline three\n');
    expect((await run('read_file', { file_path: 'README.md', start_line_one_indexed: 2, end_line_one_indexed_inclusive: 3 })).output).toBe('2: hello world\n3: line three');
    const missing = await run('read_file', { file_path: 'nope.txt' });
    expect(missing).toMatchObject({ success: false, error: "File 'nope.txt' does not exist" });
    expect((await run('read_file', {})).error).toBe("Missing required argument 'file_path'");
  });

  test('write_file creates dirs and appends; edit_file replaces', async () => {
    expect((await run('write_file', { file_path: 'out/new.txt', content: 'one' })).success).toBe(true);
    await run('write_file', { file_path: 'out/new.txt', content: ' two', mode: 'a' });
    expect(readFileSync(join(root, 'out/new.txt'), 'utf8')).toBe('one two');
    const e = await run('edit_file', { file_path: 'out/new.txt', pattern: 'two', replacement: '2' });
    expect(e.output).toContain('Replaced 1');
    expect(readFileSync(join(root, 'out/new.txt'), 'utf8')).toBe('one 2');
    await run('edit_file', { file_path: 'out/new.txt', pattern: '(\\w+) (\\d)', replacement: '$2-$1', use_regex: true });
    expect(readFileSync(join(root, 'out/new.txt'), 'utf8')).toBe('2-one');
    const nf = await run('edit_file', { file_path: 'out/new.txt', pattern: 'zzz', replacement: 'y' });
    expect(nf.error).toContain('Pattern not found');
  });

  test('paths outside the workspace are rejected (.., absolute, symlink)', async () => {
    for (const [name, args] of [
      ['read_file', { file_path: '../' + outside.split('/').pop() + '/secret.txt' }],
      ['read_file', { file_path: join(outside, 'secret.txt') }],
      ['read_file', { file_path: 'escape/secret.txt' }],
      ['write_file', { file_path: 'escape/new.txt', content: 'x' }],
      ['list_files', { directory_path: '/etc' }],
      ['execute_command', { command: 'ls', working_directory: '..' }],
    ] as const) {
      const r = await run(name, args);
      expect(r.success).toBe(false);
      expect(r.error).toContain('outside the workspace');
    }
  });

  test('workspace policy: ignored paths, allowed extra roots, all_except_ignored', async () => {
    const withVars = (extra: Record<string, unknown>): ToolRunContext => ({ ...ctx(), vars: { workspace_root: root, ...extra } });
    const ign = withVars({ workspace_ignored_paths: ['src/deep'] });
    expect((await run('read_file', { file_path: 'src/deep/util.py' }, ign)).error).toContain('excluded by the workspace policy');
    expect((await run('list_files', { recursive: true }, ign)).output).not.toContain('util.py');
    expect((await run('search_files', { pattern: 'todo' }, ign)).output).not.toContain('util.py');
    const secret = join(outside, 'secret.txt');
    const allowed = withVars({ workspace_access_mode: 'workspace_or_allowed', workspace_allowed_paths: [outside] });
    expect((await run('read_file', { file_path: secret }, allowed)).output).toBe('top secret');
    expect((await run('read_file', { file_path: '/etc/hostname' }, allowed)).error).toContain('outside the workspace');
    const open = withVars({ workspace_access_mode: 'all_except_ignored', workspace_ignored_paths: [outside] });
    expect((await run('read_file', { file_path: secret }, open)).error).toContain('excluded');
    expect((await run('list_files', { directory_path: '/' }, open)).success).toBe(true);
  });

  test('no workspace_root means file tools are disabled, not CWD', async () => {
    const r = await run('list_files', {}, { ...ctx(), vars: {} });
    expect(r.error).toContain('no workspace');
  });

  test('unknown tool and agent-only builtins fail clearly', async () => {
    expect((await run('teleport', {})).error).toContain("Unknown tool 'teleport'");
    expect((await run('ask_user', { question: 'x' })).error).toContain('only available inside an agent');
  });
});

describe('execute_command', () => {
  test('runs in the workspace and reports exit code and output', async () => {
    const r = await run('execute_command', { command: 'pwd; echo err >&2; exit 3' });
    expect(r.success).toBe(true);
    expect(r.output).toMatchObject({ exit_code: 3, timed_out: false, stderr: 'err\n' });
    expect((r.output as any).stdout.trim()).toBe(root);
  });

  test('timeout kills the whole process tree', async () => {
    const t0 = Date.now();
    const r = await run('execute_command', { command: 'sleep 5 & sleep 5; echo never', timeout: 1 });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(r.success).toBe(false);
    expect(r.error).toContain('timed out after 1s');
    expect((r.output as any).stdout).not.toContain('never');
  });

  test('output is capped', async () => {
    const r = await run('execute_command', { command: 'yes abcdefgh | head -c 100000' });
    const out = r.output as any;
    expect(out.stdout.length).toBeLessThan(2200);
    expect(out.stdout).toContain('[truncated 98000 characters]');
  });

  test('abort kills the command', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = Date.now();
    const r = await run('execute_command', { command: 'sleep 5' }, { ...ctx(), signal: ac.signal });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(r.error).toBe('Command cancelled');
  });
});

describe('fetch_url', () => {
  const server = Bun.serve({
    hostname: '127.0.0.1', port: 0,
    fetch: (req) => new URL(req.url).pathname === '/big' ? new Response('x'.repeat(10_000)) : Response.json({ hello: 'web' }),
  });
  afterAll(() => server.stop(true));

  test('fetches text with status and content type; caps size', async () => {
    const r = await run('fetch_url', { url: `http://127.0.0.1:${server.port}/` });
    expect(r.output).toMatchObject({ status: 200, ok: true, content: '{"hello":"web"}' });
    expect((r.output as any).content_type).toContain('application/json');
    const big = await run('fetch_url', { url: `http://127.0.0.1:${server.port}/big` });
    expect((big.output as any).content).toContain('[truncated 8000 characters]');
  });

  test('rejects bad URLs and reports connection failures', async () => {
    expect((await run('fetch_url', { url: 'file:///etc/passwd' })).error).toContain('Only http(s)');
    expect((await run('fetch_url', { url: 'not a url' })).error).toContain('Invalid URL');
    const refused = await run('fetch_url', { url: 'http://127.0.0.1:1/' });
    expect(refused.success).toBe(false);
    expect(refused.error).toContain('Fetch failed');
  });
});
