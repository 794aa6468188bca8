/**
 * One error vocabulary for the whole gateway: a code names the failure, the table gives its
 * HTTP status, as Taskcluster's services do (libraries/api middleware/errors.js).
 */
export const ERROR_STATUS = {
  InputError: 400,
  InputValidationError: 400,
  MalformedPayload: 400,
  AuthenticationFailed: 401,
  InsufficientScopes: 403,
  IPNotAllowed: 403,
  ForbiddenRequest: 403,
  ResourceNotFound: 404,
  MethodNotAllowed: 405,
  // the HTTP layer's own refusals keep their statuses: clients and proxies act on them
  RequestTimeout: 408,
  RequestConflict: 409,
  ResourceExpired: 410,
  PayloadTooLarge: 413,
  URITooLong: 414,
  TooManyRequests: 429,
  RequestHeaderFieldsTooLarge: 431,
  InternalServerError: 500,
  UpstreamError: 502,
  ServiceUnavailable: 503,
  UpstreamTimeout: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** Extra fields merged into the JSON body (e.g. the scope expression required). */
  readonly details: Record<string, unknown> | undefined;
  /** Sent as Retry-After: when a retry may succeed (a refusal that is no fault of the caller's). */
  readonly retryAfterSec: number | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown; retryAfterSec?: number }) {
    super(message, options);
    this.name = 'GatewayError';
    this.code = code;
    this.statusCode = ERROR_STATUS[code];
    this.details = details;
    this.retryAfterSec = options?.retryAfterSec;
  }
}

export function isGatewayError(err: unknown): err is GatewayError {
  return err instanceof GatewayError;
}

export interface RequestInfo {
  method: string;
  params: Record<string, unknown>;
  payload: unknown;
  time: string;
}

export interface ErrorBody {
  code: string;
  message: string;
  requestInfo: RequestInfo;
  [key: string]: unknown;
}

/** Payload fields that never leave the gateway, even inside an error body. */
const OMITTED_FIELDS = new Set(['secret', 'accessToken', 'token', 'certificate', 'data', 'password']);

/** Sets a copy's field as data even when its name is `__proto__`, so a payload never swaps a prototype. */
function setField(target: object, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Copy of a request payload with secret values replaced, as Taskcluster's cleanPayload does.
 * Iterative: however deep a payload is, the walk takes no stack (the body parser bounds it too).
 */
export function cleanPayload(payload: unknown): unknown {
  const root = {};
  const pending: Array<[value: unknown, into: object, key: string | number]> = [[payload, root, 'payload']];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [value, into, key] = next;
    if (value === null || typeof value !== 'object') {
      setField(into, key, value);
    } else if (Array.isArray(value)) {
      const copy: unknown[] = new Array(value.length);
      setField(into, key, copy);
      value.forEach((item, i) => pending.push([item, copy, i]));
    } else {
      const copy = {};
      setField(into, key, copy);
      for (const [name, item] of Object.entries(value)) {
        // the fields are created in order here, filled as the walk reaches them
        setField(copy, name, undefined);
        pending.push([OMITTED_FIELDS.has(name) ? '(OMITTED)' : item, copy, name]);
      }
    }
  }
  return (root as { payload: unknown }).payload;
}

export function errorBody(err: GatewayError, request: { method: string; params?: unknown; payload?: unknown }): ErrorBody {
  return {
    ...(err.details ?? {}),
    code: err.code,
    message: err.message,
    requestInfo: {
      method: request.method,
      // URL parameters too: a bootstrap token is one (`/bootstrap/:token`)
      params: cleanPayload(request.params && typeof request.params === 'object' ? request.params : {}) as Record<string, unknown>,
      payload: cleanPayload(request.payload ?? {}),
      time: new Date().toISOString(),
    },
  };
}

/**
 * A setting or configuration file that is missing or wrong: the gateway refuses to start, exit
 * code 2. Defined here, below every layer, so the core's own file readers (local-auth.ts) can
 * throw it.
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
