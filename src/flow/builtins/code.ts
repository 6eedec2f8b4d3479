// The `code` node (docs/flows.md "Node families"): flow-authored Python runs in a separate, sandboxed `python3`
// process, never in ours. Layers: AST validation (no imports, no exec/eval/compile/__import__, no dunder or
// frame-introspection attributes), a restricted builtins table, rlimits in the child (address space, CPU,
// no file writes, no core dumps), an empty environment, and a wall-clock kill. JSON in on stdin, JSON out
// on stdout; integral floats keep their float-ness both ways (PyFloat).

import { pyJsonDumps, toJsonValue } from '../values.ts';
import { isPlainObject } from '../../model/index.ts';
import { parseJsonStrict } from './jsonish.ts';

export interface CodeRunOptions {
  /** Wall-clock limit; the child is SIGKILLed after it. Default 10 s. */
  timeoutMs?: number;
  /** Address-space limit of the child. Default 512 MB. */
  memoryMb?: number;
  /** Function the code must define; called with the whole input dict. Default "transform". */
  functionName?: string;
}

export interface CodeExecution {
  duration_ms: number;
  cpu_time_ms: number;
  cpu_percent: number;
  memory_rss_mb: number;
  permissions: 'sandbox';
}

export type CodeRunResult = ({ ok: true; result: unknown } | { ok: false; error: string }) & { execution: CodeExecution };

const RUNNER = String.raw`
import ast, json, resource, sys, time

ALLOWED = ['len', 'str', 'int', 'float', 'bool', 'list', 'dict', 'tuple', 'set', 'range', 'enumerate', 'zip',
           'map', 'filter', 'sorted', 'reversed', 'min', 'max', 'sum', 'abs', 'round', 'isinstance', 'type',
           # beyond the spec's minimum: harmless helpers real flows use (RestrictedPython offers them too)
           'repr', 'any', 'all', 'frozenset', 'divmod', 'pow', 'chr', 'ord', 'callable', 'slice', 'iter', 'next',
           'hash', 'Exception', 'ValueError', 'TypeError', 'KeyError', 'IndexError', 'ZeroDivisionError',
           'AttributeError', 'RuntimeError', 'StopIteration', 'ArithmeticError', 'LookupError', 'NameError']
BAD_CALLS = {'exec', 'eval', 'compile', '__import__'}
# Frame/code introspection reaches the runner's globals without any dunder.
BAD_ATTRS = {'gi_frame', 'gi_code', 'cr_frame', 'cr_code', 'ag_frame', 'ag_code', 'f_back', 'f_globals',
             'f_locals', 'f_builtins', 'f_code', 'tb_frame', 'tb_next', 'func_globals', 'format_map'}

def check(tree):
    for node in ast.walk(tree):
        line = getattr(node, 'lineno', '?')
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return 'imports are not allowed (line %s)' % line
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in BAD_CALLS:
            return 'calling %s() is not allowed (line %s)' % (node.func.id, line)
        if isinstance(node, ast.Attribute) and (node.attr.startswith('__') or node.attr in BAD_ATTRS):
            return "access to attribute '%s' is not allowed (line %s)" % (node.attr, line)
        if isinstance(node, ast.Name) and node.id.startswith('__'):
            return "use of name '%s' is not allowed (line %s)" % (node.id, line)
    return None

def finish(out):
    sys.stdout.buffer.write(json.dumps(out, ensure_ascii=False, default=encode_default).encode('utf-8'))
    sys.stdout.flush()

def encode_default(o):
    if isinstance(o, (set, frozenset)):
        return list(o)
    if isinstance(o, bytes):
        return o.decode('utf-8', 'replace')
    return str(o)

def main():
    req = json.loads(sys.stdin.buffer.read().decode('utf-8'))
    try:
        tree = ast.parse(req['code'], '<code>', 'exec')
    except SyntaxError as e:
        return finish({'ok': False, 'error': 'Syntax error: %s (line %s)' % (e.msg, e.lineno)})
    bad = check(tree)
    if bad:
        return finish({'ok': False, 'error': 'Code validation failed: ' + bad})
    if req.get('validate_only'):
        return finish({'ok': True, 'result': None})
    mem = int(req['memory_mb']) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    cpu = int(req['cpu_s'])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    import builtins
    safe = {n: getattr(builtins, n) for n in ALLOWED}
    safe['print'] = lambda *a, **k: None
    env = {'__builtins__': safe, '__name__': 'visualflow_code'}
    t0, c0 = time.perf_counter(), time.process_time()
    out = {}
    try:
        exec(compile(tree, '<code>', 'exec'), env)
        fn = env.get(req['function'])
        if not callable(fn):
            out = {'ok': False, 'error': "Code must define a function named '%s'" % req['function']}
        else:
            out = {'ok': True, 'result': fn(req['inputs'])}
    except MemoryError:
        out = {'ok': False, 'error': 'Memory limit exceeded (%s MB)' % req['memory_mb']}
    except RecursionError as e:
        out = {'ok': False, 'error': 'Runtime error: %s' % e}
    except BaseException as e:
        out = {'ok': False, 'error': 'Runtime error: %s' % (str(e) or type(e).__name__)}
    wall, cpu_used = time.perf_counter() - t0, time.process_time() - c0
    out['execution'] = {'duration_ms': round(wall * 1000, 3), 'cpu_time_ms': round(cpu_used * 1000, 3),
                        'cpu_percent': round(100.0 * cpu_used / wall, 1) if wall > 0 else 0.0,
                        'memory_rss_mb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 3),
                        'permissions': 'sandbox'}
    try:
        finish(out)
    except MemoryError:
        finish({'ok': False, 'error': 'Memory limit exceeded (%s MB)' % req['memory_mb'], 'execution': out['execution']})
    except (TypeError, ValueError) as e:
        finish({'ok': False, 'error': 'Result is not JSON-serialisable: %s' % e, 'execution': out['execution']})

main()
`;

const MISSING = 'code node requires python3 on PATH';
let pythonPath: Promise<string | null> | null = null;

/** The real interpreter behind `python3` (pyenv shims need the parent env; the sandbox runs without one). */
function resolvePython(): Promise<string | null> {
  pythonPath ??= (async () => {
    const shim = Bun.which('python3');
    if (!shim) return null;
    try {
      const p = Bun.spawn([shim, '-c', 'import sys; print(sys.executable)'], { stdout: 'pipe', stderr: 'ignore' });
      const out = (await new Response(p.stdout).text()).trim();
      return (await p.exited) === 0 && out ? out : null;
    } catch {
      return null;
    }
  })();
  return pythonPath;
}

const emptyExecution = (durationMs: number): CodeExecution =>
  ({ duration_ms: durationMs, cpu_time_ms: 0, cpu_percent: 0, memory_rss_mb: 0, permissions: 'sandbox' });

/** Isolated mode, no site packages, empty environment, neutral working directory. */
const spawnSandbox = (python: string) => Bun.spawn([python, '-I', '-S', '-B', '-c', RUNNER], {
  stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', env: { LANG: 'C.UTF-8' }, cwd: '/',
});

async function runChild(request: Record<string, unknown>, timeoutMs: number): Promise<CodeRunResult> {
  const python = await resolvePython();
  if (!python) return { ok: false, error: MISSING, execution: emptyExecution(0) };
  const started = performance.now();
  let proc: ReturnType<typeof spawnSandbox>;
  try {
    proc = spawnSandbox(python);
  } catch (e) {
    return { ok: false, error: `Code sandbox could not start: ${(e as Error).message}`, execution: emptyExecution(0) };
  }
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; proc.kill('SIGKILL'); }, timeoutMs);
  try {
    proc.stdin.write(pyJsonDumps(request, { ensureAscii: false }));
    await proc.stdin.end();
  } catch {
    // the child died before reading its input; reported below from its exit status
  }
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited,
  ]);
  clearTimeout(timer);
  const wall = Math.round((performance.now() - started) * 1000) / 1000;
  if (timedOut) return { ok: false, error: `Execution timed out after ${timeoutMs} ms`, execution: emptyExecution(wall) };
  const parsed = stdout ? parseJsonStrict(stdout) : null;
  if (parsed?.ok && isPlainObject(parsed.value)) {
    const v = parsed.value;
    const execution = isPlainObject(v.execution) ? (toJsonValue(v.execution) as CodeExecution) : emptyExecution(wall);
    return v.ok === true
      ? { ok: true, result: v.result ?? null, execution }
      : { ok: false, error: String(v.error ?? 'code failed'), execution };
  }
  const signal = proc.signalCode;
  const why = signal === 'SIGXCPU' ? 'CPU time limit exceeded'
    : signal === 'SIGKILL' || signal === 'SIGSEGV' ? `killed by ${signal} (likely the memory limit)`
      : `exited with ${signal ?? `code ${code}`}`;
  const detail = stderr.trim().split('\n').at(-1) ?? '';
  return { ok: false, error: `Code sandbox ${why}${detail ? `: ${detail}` : ''}`, execution: emptyExecution(wall) };
}

/** Run `code` (which must define `functionName`) with `inputs` in the sandbox. Never throws. */
export function runPythonCode(code: string, inputs: Record<string, unknown>, opts: CodeRunOptions = {}): Promise<CodeRunResult> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const memoryMb = opts.memoryMb ?? 512;
  return runChild({
    code, inputs, function: opts.functionName ?? 'transform', memory_mb: memoryMb, cpu_s: Math.ceil(timeoutMs / 1000) + 1,
  }, timeoutMs);
}

/**
 * Compile-time check (the reference rejects a bad code node when compiling the flow): the error message, or
 * null when the code parses and passes the sandbox rules. Resolves `MISSING` when python3 is absent.
 */
export async function validatePythonCode(code: string): Promise<string | null> {
  const r = await runChild({ code, inputs: {}, function: 'transform', validate_only: true, memory_mb: 256, cpu_s: 5 }, 5_000);
  return r.ok ? null : r.error;
}

const PY_KEYWORDS = new Set(('False None True and as assert async await break class continue def del elif else except ' +
  'finally for from global if import in is lambda nonlocal not or pass raise return try while with yield').split(' '));

/** A pin id as a Python identifier (invalid characters → `_`, leading digit / keyword get an underscore). */
export function pyIdentifier(pin: string): string {
  let id = pin.replace(/[^A-Za-z0-9_]/g, '_') || '_';
  if (/^\d/.test(id)) id = '_' + id;
  return PY_KEYWORDS.has(id) ? id + '_' : id;
}

/** HEAD `codeBody` form: wrap the body in `def transform(_input):` with one local per input pin. */
export function codeFromBody(codeBody: string, inputPins: string[]): string {
  const lines = ['def transform(_input):'];
  for (const pin of inputPins) {
    if (pin === 'permissions') continue;
    lines.push(`    ${pyIdentifier(pin)} = _input.get(${JSON.stringify(pin)})`);
  }
  const body = codeBody.trim() ? codeBody.replace(/\s+$/, '').split('\n') : ['return _input'];
  for (const l of body) lines.push(l ? '    ' + l : '');
  return lines.join('\n') + '\n';
}

/**
 * The node output record (HEAD): success → `{...result (if object), success, output, result, execution}`;
 * failure → `{success:false, output:null, result:null, error, execution}`. 0.4.1 exposed just the result.
 */
export function codeNodeOutput(r: CodeRunResult): Record<string, unknown> {
  if (!r.ok) return { success: false, output: null, result: null, error: r.error, execution: r.execution };
  return { ...(isPlainObject(r.result) ? r.result : {}), success: true, output: r.result, result: r.result, execution: r.execution };
}
