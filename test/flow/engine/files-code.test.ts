import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../support/harness.ts';
import { end, flow, lit, n, runFlow, start } from './helpers.ts';

// Booting a Pyodide interpreter takes seconds (tens on a loaded machine).
setDefaultTimeout(180_000);

const ws = tempDir('ag-ws-');
const outside = tempDir('ag-outside-');
afterAll(() => {
  ws.cleanup();
  outside.cleanup();
});

const readNode = (id: string, path: string) => n(id, 'read_file', { in: ['exec-in', 'file_path'], out: ['exec-out', 'content', 'file_path'], pinDefaults: { file_path: path } });

describe('workspace file nodes', () => {
  test('write_file then read_file round-trip inside the workspace (JSON pretty + parsed back)', async () => {
    const f = flow(
      'rw',
      [start('s'), lit('obj', { a: [1, 2] }), n('w', 'write_file', { in: ['exec-in', 'file_path', 'content'], out: ['exec-out', 'bytes', 'file_path'], pinDefaults: { file_path: 'out/data.json' } }), readNode('r', 'out/data.json'), end('e', ['content', 'file_path', 'bytes'])],
      ['s.exec-out>w.exec-in', 'obj.value>w.content', 'w.exec-out>r.exec-in', 'r.exec-out>e.exec-in', 'w.bytes>e.bytes'],
    );
    const run = await runFlow(f, { workspace_root: ws.path });
    expect(readFileSync(join(ws.path, 'out/data.json'), 'utf8')).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}\n');
    expect(run.output).toEqual({ content: { a: [1, 2] }, file_path: 'out/data.json', bytes: 30, success: true });
  });

  test('list_folder_files lists recursively with an extension filter', async () => {
    mkdirSync(join(ws.path, 'tree/sub'), { recursive: true });
    writeFileSync(join(ws.path, 'tree/a.md'), 'a');
    writeFileSync(join(ws.path, 'tree/b.txt'), 'b');
    writeFileSync(join(ws.path, 'tree/sub/c.md'), 'c');
    const f = flow('ls', [start('s'), n('ls', 'list_folder_files', { in: ['exec-in', 'folder_path', 'recursive', 'extensions'], out: ['exec-out', 'files', 'count'], pinDefaults: { folder_path: 'tree', recursive: true, extensions: ['md'] } }), end('e', ['files', 'count'])], ['s.exec-out>ls.exec-in', 'ls.exec-out>e.exec-in']);
    expect((await runFlow(f, { workspace_root: ws.path })).output).toEqual({ files: ['tree/a.md', 'tree/sub/c.md'], count: 2, success: true });
  });

  test.each([
    ['../escape.txt', 'is outside the run workspace'],
    ['/etc/passwd', 'is outside the run workspace'],
    ['link/secret.txt', 'is outside the run workspace'],
    ['missing.txt', 'File not found: missing.txt'],
  ])('read_file %p fails with a clear error', async (path, message) => {
    writeFileSync(join(outside.path, 'secret.txt'), 'nope');
    if (!existsSync(join(ws.path, 'link'))) symlinkSync(outside.path, join(ws.path, 'link'));
    const run = await runFlow(flow('bad', [start('s'), readNode('r', path)], ['s.exec-out>r.exec-in']), { workspace_root: ws.path });
    expect(run.status).toBe('completed');
    expect(run.output).toMatchObject({ success: false, node: 'r' });
    expect(String(run.output!.error)).toContain(message);
  });

  test('file nodes refuse to run without a workspace', async () => {
    const run = await runFlow(flow('nows', [start('s'), readNode('r', 'a.txt')], ['s.exec-out>r.exec-in']));
    expect(run.output!.error).toBe("read_file needs a workspace: the run has no 'workspace_root' variable");
  });
});

describe('code node (sandboxed Python)', () => {
  test('codeBody gets one local per input pin; an object result exposes its keys', async () => {
    const f = flow('code', [start('s', ['x']), n('c', 'code', { in: ['exec-in', 'x'], out: ['exec-out', 'output'], codeBody: 'return {"double": x * 2}' }), end('e', ['double'])], ['s.exec-out>c.exec-in', 'c.exec-out>e.exec-in']);
    expect((await runFlow(f, { x: 21 })).output).toEqual({ double: 42, success: true });
  });

  test('a raising code node inside a ForEach does not stop the run (probe 2)', async () => {
    const f = flow(
      'codeloop',
      [start('s'), lit('items', [1, 0, 2]), n('loop', 'loop', { in: ['exec-in', 'items'], out: ['loop', 'done', 'item'] }), n('c', 'code', { in: ['exec-in', 'item'], out: ['exec-out'], codeBody: 'return 1 / item' }), end('e', ['ok'], { pinDefaults: { ok: 3 } })],
      ['s.exec-out>loop.exec-in', 'items.value>loop.items', 'loop.loop>c.exec-in', 'loop.done>e.exec-in'],
    );
    const run = await runFlow(f);
    expect(run.output).toEqual({ ok: 3, success: true });
    expect(run.vars._flow_error).toContain('division by zero');
  });

  test('a code node without code is a compile error', async () => {
    const run = runFlow(flow('nocode', [start('s'), n('c', 'code', { in: ['exec-in'], out: ['exec-out'] })], ['s.exec-out>c.exec-in']));
    await expect(run).rejects.toThrow("node 'c' (code): the code node has no code");
  });
});
