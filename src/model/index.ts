// The run model, one import for every layer: JSON values and path helpers, the run/ledger/command shapes, the
// reserved sections' accessors, the domain errors. Leaf: imports only its own files.
export * from './json.ts';
export * from './run.ts';
export * from './sections.ts';
export * from './errors.ts';
