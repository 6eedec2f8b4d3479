// `import x from 'pyodide/…' with { type: 'file' }` yields a path (inside the compiled binary's virtual fs).
declare module 'pyodide/pyodide.asm.wasm' { const path: string; export default path; }
declare module 'pyodide/python_stdlib.zip' { const path: string; export default path; }
declare module 'pyodide/pyodide-lock.json' { const path: string; export default path; }
