// The Pyodide runtime files the Python sandbox boots from: imported with `{ type: 'file' }` so that
// `bun build --compile` embeds them (the binary runs code nodes with no node_modules and no host Python).
// Read once per process and handed to every worker as bytes; the wasm is also compiled once here.
import lockPath from 'pyodide/pyodide-lock.json' with { type: 'file' };
import wasmPath from 'pyodide/pyodide.asm.wasm' with { type: 'file' };
import stdlibPath from 'pyodide/python_stdlib.zip' with { type: 'file' };

export interface SandboxAssets {
  files: Record<string, Uint8Array>;
  /** Compiled once, shared by every worker (null when this runtime cannot post a wasm module). */
  wasm: WebAssembly.Module | null;
}

let loading: Promise<SandboxAssets> | null = null;

export function loadAssets(): Promise<SandboxAssets> {
  loading ??= (async () => {
    const [wasm, stdlib, lock] = await Promise.all([wasmPath, stdlibPath, lockPath].map((p) => Bun.file(p).bytes()));
    const files = { 'pyodide.asm.wasm': wasm!, 'python_stdlib.zip': stdlib!, 'pyodide-lock.json': lock! };
    return { files, wasm: await WebAssembly.compile(wasm!) };
  })();
  loading.catch(() => { loading = null; });
  return loading;
}
