/**
 * Asserting a whole Taskcluster error body: exactly `{code, message, requestInfo}` (plus the
 * extra fields named), requestInfo exactly `{method, params, payload, time}` with an ISO time.
 */
import type { Test } from 'tap';

export interface ExpectedError {
  code: string;
  /** The whole message, or a pattern when it carries long detail (scope lists). */
  message: string | RegExp;
  method: string;
  params?: Record<string, unknown>;
  payload?: unknown;
  /** Fields the code adds beside the three (InsufficientScopes: `required`). */
  extra?: Record<string, unknown>;
}

export function assertErrorBody(t: Test, body: unknown, expected: ExpectedError, what = expected.code): void {
  const { code, message, requestInfo, ...extra } = body as Record<string, unknown>;
  t.equal(code, expected.code, `${what}: code`);
  if (typeof expected.message === 'string') t.equal(message, expected.message, `${what}: message`);
  else t.match(message, expected.message, `${what}: message`);
  t.same(extra, expected.extra ?? {}, `${what}: no other fields`);
  const { time, ...info } = (requestInfo ?? {}) as Record<string, unknown>;
  t.same(info, { method: expected.method, params: expected.params ?? {}, payload: expected.payload ?? {} }, `${what}: requestInfo`);
  t.match(time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, `${what}: requestInfo.time`);
}
