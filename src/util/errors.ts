// One error type for everything the gateway rejects on purpose. HTTP maps it to
// `{"detail": message, "code": errCode}` with `status`; the CLI prints the message.
// (The field is `errCode`, not `code`: Elysia treats an error's `code` property specially.)

export class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errCode: string = codeFor(status),
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

function codeFor(status: number): string {
  switch (status) {
    case 400: return 'bad_request';
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 404: return 'not_found';
    case 409: return 'conflict';
    case 413: return 'payload_too_large';
    case 422: return 'validation_error';
    case 429: return 'too_many_requests';
    case 503: return 'unavailable';
    default: return status >= 500 ? 'internal' : 'error';
  }
}

export const badRequest = (m: string, code?: string) => new GatewayError(400, m, code);
export const notFound = (m: string, code?: string) => new GatewayError(404, m, code);
export const conflict = (m: string, code?: string) => new GatewayError(409, m, code);
