// Worker entry of the Python sandbox (docs/reliability.md): CPython compiled to WebAssembly (Pyodide)
// in a Bun Worker whose JavaScript realm holds no host capability once booted. Protocol (one worker serves
// ONE execution, then the parent terminates it):
//   parent → {type:'boot', assets, wasm?, snapshot?, memoryMb}   worker → {type:'ready', boot_ms} | {type:'fatal', error}
//   parent → {type:'snapshot', assets, wasm?, memoryMb}   worker → {type:'snapshot', bytes} (then it is terminated)
// A snapshot is the wasm memory of an interpreter that has just finished CPython's start-up and run no code;
// booting from it (`_loadSnapshot`) takes ~0.6 s instead of ~5 s. The worker that makes it runs no flow code
// and is never used for an execution.
//   parent → {type:'run', code, inputs, function} | {type:'compile', code}  worker → {type:'result', ...}
// Boot order matters: `process` and `WorkerGlobalScope` are hidden BEFORE Pyodide is imported so neither
// pyodide.mjs nor the Emscripten glue takes its Node code path (which imports node:fs, node:child_process,
// node:net…); assets come only from the bytes the parent sent. After boot the realm is locked down: every
// global outside a short ECMAScript allowlist is deleted, code generation (eval, Function and its async /
// generator siblings, ShadowRealm) is removed, intrinsic prototypes are frozen, Error.prepareStackTrace is
// pinned, and Python sees neither a `js` module nor `pyodide_js`. Wasm memory growth is capped by patching
// WebAssembly.Memory.prototype.grow (Python then raises MemoryError); the parent enforces the wall time.

declare const self: { addEventListener(type: 'message', fn: (ev: MessageEvent) => void): void };
const G = globalThis as any;
const post: (msg: unknown) => void = G.postMessage.bind(G);

// ECMAScript intrinsics and the few host functions the booted interpreter still calls (timers for asyncio,
// crypto.getRandomValues for os.urandom, performance.now for time.perf_counter, TextDecoder/Encoder for strings).
const KEEP = new Set(('Infinity NaN undefined globalThis Object Array Boolean Number String Symbol BigInt Math JSON Date ' +
  'RegExp Error EvalError RangeError ReferenceError SyntaxError TypeError URIError AggregateError SuppressedError ' +
  'Promise Proxy Reflect Map Set WeakMap WeakSet WeakRef FinalizationRegistry ArrayBuffer SharedArrayBuffer DataView ' +
  'Atomics Int8Array Uint8Array Uint8ClampedArray Int16Array Uint16Array Int32Array Uint32Array Float16Array ' +
  'Float32Array Float64Array BigInt64Array BigUint64Array Iterator WebAssembly Intl isNaN isFinite parseInt parseFloat ' +
  'decodeURI decodeURIComponent encodeURI encodeURIComponent escape unescape TextDecoder TextEncoder crypto ' +
  'performance setTimeout clearTimeout setInterval clearInterval queueMicrotask DisposableStack AsyncDisposableStack').split(' '));

type Assets = Record<string, Uint8Array>;

function assetReader(assets: Assets) {
  return (path: string): Uint8Array => {
    const name = String(path).split('/').pop()!;
    const bytes = assets[name];
    if (!bytes) throw new Error(`the sandbox has no file '${name}'`);
    return bytes;
  };
}

/** Cap wasm linear memory: Emscripten's heap resize calls grow() inside a try and reports failure to malloc. */
function capMemory(memoryMb: number): void {
  const grow = WebAssembly.Memory.prototype.grow;
  const maxPages = Math.floor((memoryMb * 1024 * 1024) / 65536);
  Object.defineProperty(WebAssembly.Memory.prototype, 'grow', {
    value: function (this: WebAssembly.Memory, delta: number) {
      if (this.buffer.byteLength / 65536 + delta > maxPages) throw new RangeError('sandbox memory limit');
      return grow.call(this, delta);
    },
    writable: false, configurable: false,
  });
}

/** Use the module the parent compiled once instead of compiling 10 MB of wasm per worker. */
function reuseCompiledModule(bytes: Uint8Array, module: WebAssembly.Module | undefined): void {
  if (!module) return;
  const instantiate = WebAssembly.instantiate;
  (WebAssembly as any).instantiate = async (src: unknown, imports: Record<string, any>) => {
    if (src === bytes) return { instance: await instantiate(module, imports), module };
    return instantiate(src as Uint8Array<ArrayBuffer>, imports);
  };
}

function lockdown(): void {
  const blocked = function () { throw new EvalError('code generation is disabled in the sandbox'); };
  for (const fn of [function () {}, async function () {}, function* () {}, async function* () {}]) {
    Object.defineProperty(Object.getPrototypeOf(fn), 'constructor', { value: blocked, writable: false, configurable: false });
  }
  Object.defineProperty(Error, 'prepareStackTrace', { value: undefined, writable: false, configurable: false });
  for (const key of Reflect.ownKeys(G)) {
    if (typeof key === 'string' && KEEP.has(key)) continue;
    try { delete G[key]; } catch { /* non-configurable: handled below */ }
  }
  // `Bun` is non-configurable and non-writable on the global object: empty what can be emptied. It is only
  // reachable through globalThis, which Python cannot name (no `js` module, no code generation).
  try {
    for (const key of Reflect.ownKeys(G.Bun ?? {})) { try { delete G.Bun[key]; } catch { /* ignore */ } }
  } catch { /* ignore */ }
  for (const name of KEEP) {
    const v = G[name];
    if (typeof v === 'function' && v.prototype && name !== 'globalThis') Object.freeze(v.prototype);
    if (v && (typeof v === 'object' || typeof v === 'function') && name !== 'globalThis') Object.freeze(v);
  }
  Object.freeze(Object.getPrototypeOf(function () {}));
  Object.freeze(Object.getPrototypeOf(async function () {}));
  Object.freeze(Object.getPrototypeOf(function* () {}));
  Object.freeze(Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())));
}

// Python side of the protocol: runs with one globals dict (top-level names visible everywhere), JSON out
// with integral floats kept as floats (the gateway reads them back as PyFloat).
const PRELUDE = String.raw`
import sys, os, json, time, gc
os.environ.clear()
for _m in ('js', 'pyodide_js'):
    sys.modules.pop(_m, None)

def _encode_default(o):
    if isinstance(o, (set, frozenset)):
        return list(o)
    if isinstance(o, bytes):
        return o.decode('utf-8', 'replace')
    return str(o)

def _sandbox_run(code, inputs_json, fn_name):
    t0, c0 = time.perf_counter(), time.process_time()
    out = {}
    try:
        tree = compile(code, '<code>', 'exec')
    except SyntaxError as e:
        return json.dumps({'ok': False, 'error': 'Syntax error: %s (line %s)' % (e.msg, e.lineno)})
    env = {'__name__': 'visualflow_code', '__builtins__': __builtins__}
    try:
        exec(tree, env)
        fn = env.get(fn_name)
        if not callable(fn):
            out = {'ok': False, 'error': "Code must define a function named '%s'" % fn_name}
        else:
            out = {'ok': True, 'result': fn(json.loads(inputs_json))}
    except MemoryError:
        out = {'ok': False, 'error': 'MEMORY'}
    except BaseException as e:
        out = {'ok': False, 'error': 'Runtime error: %s' % (str(e) or type(e).__name__)}
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    out['execution'] = {'duration_ms': round(wall * 1000, 3), 'cpu_time_ms': round(cpu * 1000, 3),
                        'cpu_percent': round(100.0 * cpu / wall, 1) if wall > 0 else 0.0}
    try:
        return json.dumps(out, ensure_ascii=False, default=_encode_default, allow_nan=True)
    except MemoryError:
        return json.dumps({'ok': False, 'error': 'MEMORY', 'execution': out['execution']})
    except (TypeError, ValueError, RecursionError) as e:
        return json.dumps({'ok': False, 'error': 'Result is not JSON-serialisable: %s' % e, 'execution': out['execution']})

def _sandbox_compile(code):
    try:
        compile(code, '<code>', 'exec')
        return ''
    except SyntaxError as e:
        return 'Syntax error: %s (line %s)' % (e.msg, e.lineno)
    except (MemoryError, RecursionError, ValueError) as e:
        return 'Code cannot be compiled: %s' % (str(e) or type(e).__name__)
`;

let runner: { run(code: string, inputs: string, fn: string): string; compile(code: string): string; memoryMb(): number } | null = null;

interface BootMsg { assets: Assets; wasm?: WebAssembly.Module; snapshot?: Uint8Array; memoryMb: number }

async function boot(msg: BootMsg, makeSnapshot = false): Promise<void> {
  const t0 = performance.now();
  delete G.process;
  delete G.navigator;
  // The Emscripten glue picks its worker code path (crypto.getRandomValues, no Node modules) on this name.
  G.WorkerGlobalScope = function WorkerGlobalScope() {};
  const read = assetReader(msg.assets);
  G.readbuffer = read;
  G.read = (p: string) => new TextDecoder().decode(read(p));
  G.load = () => { throw new Error('script loading is disabled in the sandbox'); };
  capMemory(msg.memoryMb);
  reuseCompiledModule(msg.assets['pyodide.asm.wasm']!, msg.wasm);
  const { loadPyodide } = await import('pyodide');
  const { default: createPyodideModule } = (await import('pyodide/pyodide.asm.mjs' as string)) as { default: unknown };
  const py = await loadPyodide({
    indexURL: '/pyodide/', stdLibURL: '/pyodide/python_stdlib.zip', createPyodideModule,
    lockFileContents: G.read('pyodide-lock.json'), jsglobals: Object.create(null), env: {}, args: [],
    stdout: () => {}, stderr: () => {}, checkAPIVersion: true,
    ...(makeSnapshot ? { _makeSnapshot: true } : msg.snapshot ? { _loadSnapshot: msg.snapshot } : {}),
  } as Parameters<typeof loadPyodide>[0]);
  if (makeSnapshot) {
    const bytes = (py as unknown as { makeMemorySnapshot(): Uint8Array }).makeMemorySnapshot();
    post({ type: 'snapshot', bytes });
    return;
  }
  py.setStdin({ error: true } as never);
  py.runPython(PRELUDE);
  for (const m of ['js', 'pyodide_js']) { try { py.unregisterJsModule(m); } catch { /* not registered */ } }
  const heap = (py as unknown as { _module: { HEAP8: Int8Array } })._module;
  const run = py.globals.get('_sandbox_run');
  const compile = py.globals.get('_sandbox_compile');
  runner = {
    run: (c, i, f) => String(run(c, i, f)), compile: (c) => String(compile(c)),
    memoryMb: () => Math.round((heap.HEAP8.buffer.byteLength / 1048576) * 1000) / 1000,
  };
  lockdown();
  post({ type: 'ready', boot_ms: Math.round(performance.now() - t0) });
}

self.addEventListener('message', (ev: MessageEvent) => {
  const msg = ev.data as Record<string, any>;
  if (msg.type === 'boot' || msg.type === 'snapshot') {
    boot(msg as never, msg.type === 'snapshot').catch((e) => post({ type: 'fatal', error: String((e as Error)?.message ?? e) }));
    return;
  }
  if (!runner) { post({ type: 'fatal', error: 'the sandbox is not booted' }); return; }
  try {
    if (msg.type === 'run') {
      const json = runner.run(String(msg.code), String(msg.inputs), String(msg.function));
      post({ type: 'result', json, memory_mb: runner.memoryMb() });
    }
    else if (msg.type === 'compile') post({ type: 'result', error: runner.compile(String(msg.code)) });
  } catch (e) {
    post({ type: 'result', crashed: String((e as Error)?.message ?? e) });
  }
});
