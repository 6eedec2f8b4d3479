// The `code` node (docs/flows.md "Node families"): flow-authored Python runs in CPython compiled to WebAssembly
// (Pyodide) inside a locked-down worker (src/sandbox/, threat model in docs/reliability.md): no host
// filesystem, environment, processes or network; wall time and memory capped by the sandbox. JSON in, JSON
// out; integral floats keep their float-ness both ways (PyFloat). No host python3 is needed.

import { pyJsonDumps, toJsonValue } from '../values.ts';
import { isPlainObject } from '../../model/index.ts';
import { LIMIT_VARS, pythonSandbox } from '../../sandbox/python.ts';
import { parseJsonStrict } from './jsonish.ts';

export interface CodeRunOptions {
  /** Wall-clock limit; the worker is terminated after it. Default ABSTRACTGATEWAY_CODE_TIMEOUT_MS (10 s). */
  timeoutMs?: number;
  /** Function the code must define; called with the whole input dict. Default "transform". */
  functionName?: string;
  /** Executions with the same key (the run id) may share an interpreter; others never do. */
  isolationKey?: string | null;
  /** Aborting (cancel, pause, gateway shutdown) terminates the interpreter. */
  signal?: AbortSignal;
}

export interface CodeExecution {
  duration_ms: number;
  cpu_time_ms: number;
  cpu_percent: number;
  memory_rss_mb: number;
  permissions: 'sandbox';
}

export type CodeRunResult = ({ ok: true; result: unknown } | { ok: false; error: string }) & { execution: CodeExecution };

const emptyExecution = (durationMs: number): CodeExecution =>
  ({ duration_ms: durationMs, cpu_time_ms: 0, cpu_percent: 0, memory_rss_mb: 0, permissions: 'sandbox' });

/** Run `code` (which must define `functionName`) with `inputs` in the sandbox. Never throws. */
export async function runPythonCode(code: string, inputs: Record<string, unknown>, opts: CodeRunOptions = {}): Promise<CodeRunResult> {
  const sandbox = pythonSandbox();
  const timeoutMs = opts.timeoutMs ?? sandbox.limits.timeoutMs;
  const started = performance.now();
  const reply = await sandbox.run(code, pyJsonDumps(inputs, { ensureAscii: false }), opts.functionName ?? 'transform',
    opts.isolationKey ?? null, timeoutMs, opts.signal);
  const wall = Math.round((performance.now() - started) * 1000) / 1000;
  if (reply.kind === 'timeout') {
    return { ok: false, error: `Execution timed out after ${timeoutMs} ms (raise ${LIMIT_VARS.timeoutMs} to allow more)`, execution: emptyExecution(wall) };
  }
  if (reply.kind !== 'json') return { ok: false, error: `Code sandbox ${reply.kind === 'failed' ? reply.error : 'failed'}`, execution: emptyExecution(wall) };
  const parsed = parseJsonStrict(reply.json);
  if (!parsed?.ok || !isPlainObject(parsed.value)) return { ok: false, error: 'Code sandbox returned no result', execution: emptyExecution(wall) };
  const v = parsed.value;
  const execution: CodeExecution = {
    ...emptyExecution(wall), ...(isPlainObject(v.execution) ? (toJsonValue(v.execution) as object) : {}),
    memory_rss_mb: reply.memoryMb, permissions: 'sandbox',
  };
  if (v.ok === true) return { ok: true, result: v.result ?? null, execution };
  const error = v.error === 'MEMORY'
    ? `Memory limit exceeded (${sandbox.limits.memoryMb} MB; raise ${LIMIT_VARS.memoryMb} to allow more)`
    : String(v.error ?? 'code failed');
  return { ok: false, error, execution };
}

/**
 * Compile-time check (the reference rejects a bad code node when compiling the flow): the error message, or
 * null when the code compiles. Only syntax is checked: what the code may do is bounded by the sandbox.
 */
export async function validatePythonCode(code: string): Promise<string | null> {
  const reply = await pythonSandbox().compile(code);
  if (reply.kind === 'compiled') return reply.error || null;
  return reply.kind === 'timeout' ? 'Code validation timed out' : `Code sandbox ${reply.kind === 'failed' ? reply.error : 'failed'}`;
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
