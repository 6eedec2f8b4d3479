// Domain errors: what went wrong, said by the layer that knows. Each carries a `kind` (the class of failure)
// and a stable machine `errCode`; the HTTP edge (src/http/errors.ts) maps kind → status and answers
// `{detail: message, code: errCode}`; the CLI prints the message. Messages are the HTTP contract's exact text.
// (The field is `errCode`, not `code`: Elysia treats an error's `code` property specially.)
// Leaf module: imports nothing.

export type ErrorKind =
  | 'invalid' // the request cannot be done as asked (400)
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'not_found' // 404
  | 'conflict' // the target's state forbids it (409)
  | 'too_large' // 413
  | 'unprocessable' // well-formed but invalid input (422)
  | 'rate_limited' // 429
  | 'unavailable' // 503
  | 'internal'; // a failure of ours, reported with its cause (500)

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly errCode: string = DEFAULT_CODES[kind],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

const DEFAULT_CODES: Record<ErrorKind, string> = {
  invalid: 'bad_request',
  unauthorized: 'unauthorized',
  forbidden: 'forbidden',
  not_found: 'not_found',
  conflict: 'conflict',
  too_large: 'payload_too_large',
  unprocessable: 'validation_error',
  rate_limited: 'too_many_requests',
  unavailable: 'unavailable',
  internal: 'internal',
};

// ---- generic kinds (for rejections without a more specific class) ------------------------------------------

export class InvalidInput extends DomainError {
  constructor(message: string, errCode?: string) { super('invalid', message, errCode); }
}
export class NotFound extends DomainError {
  constructor(message: string, errCode?: string) { super('not_found', message, errCode); }
}
export class Conflict extends DomainError {
  constructor(message: string, errCode?: string) { super('conflict', message, errCode); }
}
export class Unprocessable extends DomainError {
  constructor(message: string, errCode?: string) { super('unprocessable', message, errCode); }
}
export class TooLarge extends DomainError {
  constructor(message: string, errCode?: string) { super('too_large', message, errCode); }
}
export class InternalFailure extends DomainError {
  constructor(message: string, errCode?: string) { super('internal', message, errCode); }
}

// ---- bundles and flows ------------------------------------------------------------------------------------

export class BundleNotFound extends NotFound {
  constructor(readonly ref: string) { super(`Bundle '${ref}' not found`); }
}
export class FlowNotFound extends NotFound {
  constructor(readonly flowId: string, readonly bundleRef: string | null = null) {
    super(bundleRef === null ? `Flow '${flowId}' not found` : `Flow '${flowId}' not found in bundle '${bundleRef}'`);
  }
}
export class EntrypointNotFound extends NotFound {
  constructor(flowKey: string, bundleId: string) { super(`Entrypoint '${flowKey}' not found in bundle '${bundleId}'`); }
}
/** A workflow id nothing resolves (runtime registry, dynamic ids). */
export class WorkflowNotFound extends NotFound {
  constructor(message: string) { super(message, 'workflow_not_found'); }
}
export class Deprecated extends Conflict {
  constructor(readonly workflow: string, reason: string | null) {
    super(`Workflow '${workflow}' is deprecated${reason ? `: ${reason}` : ''}`, 'deprecated');
  }
}
/** A start request that does not name one entrypoint (several bundles, several entrypoints). */
export class AmbiguousStart extends InvalidInput {}
/** A bundle reference that contradicts itself (`id@v` vs bundle_version, flow prefix vs bundle_id). */
export class InvalidReference extends InvalidInput {}
/** A .flow archive, manifest or flow document that cannot be loaded. */
export class InvalidBundle extends InvalidInput {
  constructor(message: string, errCode = 'invalid_bundle') { super(message, errCode); }
}
export class BundleExists extends InvalidInput {}
export class FlowCompileError extends InvalidInput {
  constructor(readonly flowId: string, detail: string) {
    super(`Flow '${flowId}' cannot be compiled: ${detail}`, 'flow_compile_error');
  }
}

// ---- runs and commands -----------------------------------------------------------------------------------

export class RunNotFound extends NotFound {
  constructor(readonly runId: string) { super(`Run '${runId}' not found`, 'run_not_found'); }
}
export class RunNotWaiting extends Conflict {
  constructor() { super('Run is not waiting', 'run_not_waiting'); }
}
export class RunPaused extends Conflict {
  constructor() { super('Run is paused', 'run_paused'); }
}
export class WaitKeyMismatch extends Conflict {
  constructor(expected: string, got: string) { super(`wait_key mismatch: expected '${expected}', got '${got}'`, 'wait_key_mismatch'); }
}
/** A command (or its payload) the runtime rejects; recorded as the command's outcome reason. */
export class InvalidCommand extends InvalidInput {
  constructor(message: string) { super(message, 'invalid_command'); }
}
/** A schedule definition or update that cannot be applied. */
export class InvalidSchedule extends InvalidInput {
  constructor(message: string) { super(message, 'invalid_schedule'); }
}

/** A configuration value (environment, flag) that is set but invalid: names the variable and what it accepts. */
export class InvalidConfig extends DomainError {
  constructor(message: string) { super('internal', message, 'invalid_config'); }
}

export const errorMessage = (e: unknown): string => (e instanceof Error ? e.message : String(e));
