// The real Pyodide sandbox (src/sandbox/): results, Python semantics, failures, limits. Escape attempts are in
// test/sandbox/escapes.test.ts.
import { describe, expect, setDefaultTimeout, test } from 'bun:test';
import { codeFromBody, codeNodeOutput, pyIdentifier, runPythonCode, validatePythonCode } from '../../../src/flow/builtins/code.ts';
import { PyFloat, pyFloat, pyStr, toJsonValue } from '../../../src/flow/values.ts';
import { readSnapshot } from '../../../src/sandbox/python.ts';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Booting a Pyodide interpreter takes seconds (tens on a loaded machine).
setDefaultTimeout(180_000);

// One interpreter for the tests that do not need a fresh one (the key stands for a run id).
const shared = { isolationKey: 'code-test' };

const fn = (body: string) => `def transform(_input):\n${body.split('\n').map((l) => '    ' + l).join('\n')}\n`;

describe('runPythonCode: results', () => {
  test('object result; floats keep their Python identity in both directions', async () => {
    const r = await runPythonCode(fn('return {"twice": _input["a"] * 2, "s": str(_input["f"]), "f": _input["f"] * 1, "u": "é"}'),
      { a: 21, f: pyFloat(5) }, shared);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(toJsonValue(r.result)).toEqual({ twice: 42, s: '5.0', f: 5, u: 'é' });
    expect((r.result as any).f).toBeInstanceOf(PyFloat);
    expect(r.execution.permissions).toBe('sandbox');
    expect(r.execution.memory_rss_mb).toBeGreaterThan(0);
    expect(typeof r.execution.duration_ms).toBe('number');
  });
  test('scalar, tuple and set results are JSON-mapped; helpers and restricted builtins work; print is a no-op', async () => {
    const code = 'LIMIT = 3\ndef _norm(s):\n    return s.strip().lower()\n\ndef transform(d):\n    print("ignored")\n' +
      '    try:\n        int("x")\n    except Exception:\n        pass\n' +
      '    return (sorted({_norm(x) for x in d["items"]})[:LIMIT], repr(None), any([0, 1]), None)';
    const r = await runPythonCode(code, { items: [' B', 'a ', 'b', 'C', 'd'] }, shared);
    expect(r).toMatchObject({ ok: true, result: [['a', 'b', 'c'], 'None', true, null] });
  });
  test('a custom function name', async () => {
    const r = await runPythonCode('def main(x):\n    return x.get("n", 0) + 1', { n: 1 }, { ...shared, functionName: 'main' });
    expect(r).toMatchObject({ ok: true, result: 2 });
  });
});

describe('runPythonCode: Python semantics', () => {
  test('top-level names are visible in nested functions and comprehensions (one globals dict)', async () => {
    const code = 'index_path = "cases/x/index.json"\nLIMIT = 2\n\ndef helper():\n    return index_path\n\n' +
      'def transform(d):\n    return {"p": helper(), "l": [index_path[:LIMIT] for _ in range(2)], "g": (lambda: LIMIT)()}';
    expect(await runPythonCode(code, {}, shared)).toMatchObject({ ok: true, result: { p: 'cases/x/index.json', l: ['ca', 'ca'], g: 2 } });
  });
  test('the standard library is importable (it lives in the virtual filesystem)', async () => {
    const r = await runPythonCode('import json, re, math\ndef transform(d):\n    return [json.dumps({"a": 1}), re.sub("a", "b", "aa"), math.floor(2.5)]', {}, shared);
    expect(r).toMatchObject({ ok: true, result: ['{"a": 1}', 'bb', 2] });
  });
});

describe('runPythonCode: failures', () => {
  const cases: [string, string, RegExp][] = [
    ['syntax error', 'def transform(d)\n    return 1', /^Syntax error: .*\(line 1\)/],
    ['runtime error', fn('return 1 / 0'), /^Runtime error: division by zero$/],
    ['key error', fn('return _input["missing"]'), /^Runtime error: 'missing'$/],
    ['missing function', 'x = 1', /Code must define a function named 'transform'/],
    ['a module of the host does not exist here', 'import js\ndef transform(d):\n    return 1', /^Runtime error: No module named 'js'$/],
  ];
  for (const [name, code, re] of cases) {
    test(name, async () => {
      const r = await runPythonCode(code, {}, shared);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(re);
    });
  }
  test('an unserialisable result is reported as its str()', async () => {
    expect(await runPythonCode(fn('return object'), {}, shared)).toMatchObject({ ok: true, result: "<class 'object'>" });
  });
  test('an infinite loop is killed at the time limit, naming the variable that raises it', async () => {
    const r = await runPythonCode(fn('while True:\n    pass'), {}, { timeoutMs: 400 });
    expect(r).toMatchObject({ ok: false, error: 'Execution timed out after 400 ms (raise ABSTRACTGATEWAY_CODE_TIMEOUT_MS to allow more)' });
  });
  test('an abort (cancel, pause, shutdown) terminates a running execution', async () => {
    const ac = new AbortController();
    const pending = runPythonCode(fn('while True:\n    pass'), {}, { signal: ac.signal, timeoutMs: 120_000 });
    setTimeout(() => ac.abort(), 200);
    expect(await pending).toMatchObject({ ok: false, error: 'Code sandbox cancelled the execution' });
  });
  test('a memory hog hits the memory cap', async () => {
    const r = await runPythonCode(fn('x = [0] * (10 ** 9)\nreturn len(x)'), {});
    expect(r).toMatchObject({ ok: false, error: 'Memory limit exceeded (512 MB; raise ABSTRACTGATEWAY_CODE_MEMORY_MB to allow more)' });
  });
  test('without python3 on PATH code nodes still run (no host interpreter is used); the start-up snapshot is cached', async () => {
    const src = new URL('../../../src/flow/builtins/code.ts', import.meta.url).pathname;
    const cache = mkdtempSync(join(tmpdir(), 'ag-pycache-'));
    try {
      const script = join(cache, 'run.ts');
      writeFileSync(script, `import { runPythonCode } from ${JSON.stringify(src)};\n` +
        'console.log(JSON.stringify(await runPythonCode("def transform(d):\\n    return 1", {})));');
      const p = Bun.spawn([process.execPath, script], { env: { PATH: '/nonexistent', XDG_CACHE_HOME: cache }, stdout: 'pipe', stderr: 'pipe' });
      const out = await new Response(p.stdout).text();
      expect(await p.exited).toBe(0);
      expect(JSON.parse(out)).toMatchObject({ ok: true, result: 1 });
      const made = readdirSync(join(cache, 'abstractgateway')).filter((f) => /^pyodide-snapshot-[0-9a-f]+\.bin$/.test(f));
      expect(made).toHaveLength(1);
      expect(await readSnapshot(join(cache, 'abstractgateway', made[0]!))).toBeInstanceOf(Uint8Array);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

describe('validatePythonCode', () => {
  test('accepts code that compiles (imports included), rejects a syntax error with the reason', async () => {
    expect(await validatePythonCode(fn('return 1'))).toBeNull();
    expect(await validatePythonCode('import sys')).toBeNull();
    expect(await validatePythonCode('def transform(')).toMatch(/^Syntax error/);
  });
});

describe('codeBody wrapper and output record', () => {
  test('codeFromBody generates one local per input pin (sanitised), skipping permissions', async () => {
    const code = codeFromBody('return nb1 + nb2', ['nb1', 'nb2']);
    expect(code).toBe('def transform(_input):\n    nb1 = _input.get("nb1")\n    nb2 = _input.get("nb2")\n    return nb1 + nb2\n');
    expect(codeFromBody('', ['permissions', 'my-pin'])).toBe('def transform(_input):\n    my_pin = _input.get("my-pin")\n    return _input\n');
    expect([pyIdentifier('1st'), pyIdentifier('class'), pyIdentifier('a b')]).toEqual(['_1st', 'class_', 'a_b']);
    const r = await runPythonCode(codeFromBody('total = nb1 + nb2\nreturn {"total": total}', ['nb1', 'nb2']), { nb1: 2, nb2: pyFloat(3) }, shared);
    expect(r.ok && pyStr(r.result)).toBe("{'total': 5.0}");
  });
  test('codeNodeOutput shapes success and failure records', () => {
    const execution = { duration_ms: 1, cpu_time_ms: 1, cpu_percent: 100, memory_rss_mb: 10, permissions: 'sandbox' as const };
    expect(codeNodeOutput({ ok: true, result: { greeting: 'hi' }, execution })).toEqual({
      greeting: 'hi', success: true, output: { greeting: 'hi' }, result: { greeting: 'hi' }, execution,
    });
    expect(codeNodeOutput({ ok: true, result: 3, execution })).toEqual({ success: true, output: 3, result: 3, execution });
    expect(codeNodeOutput({ ok: false, error: 'Runtime error: x', execution })).toEqual({
      success: false, output: null, result: null, error: 'Runtime error: x', execution,
    });
  });
});
