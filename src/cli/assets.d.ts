// `import p from './x.flow' with { type: 'file' }` yields a file path (inside the compiled binary's virtual fs).
declare module '*.flow' { const path: string; export default path; }
