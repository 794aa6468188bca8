/**
 * When and how long to wait before trying an upstream request again: taskcluster-proxy's
 * exponential backoff (corrections.md, Retries) on connection errors, 5xx and 429.
 */
export interface RetryPolicy {
  /** First wait. */
  initialMs: number;
  /** Growth of each further wait. */
  multiplier: number;
  /** Each wait is drawn from ±this fraction around its nominal value. */
  randomization: number;
  /** Cap on one nominal wait. */
  maxIntervalMs: number;
  /** No retry starts after this much time since the first attempt. */
  maxElapsedMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 500, multiplier: 1.5, randomization: 0.5, maxIntervalMs: 60_000, maxElapsedMs: 15 * 60_000 };

/** Wait before retry number `retry` (0 for the first), or undefined when the time is up. */
export function retryDelay(policy: RetryPolicy, retry: number, elapsedMs: number, random: () => number = Math.random): number | undefined {
  const nominal = Math.min(policy.initialMs * policy.multiplier ** retry, policy.maxIntervalMs);
  const delay = nominal * (1 - policy.randomization + 2 * policy.randomization * random());
  return elapsedMs + delay > policy.maxElapsedMs ? undefined : delay;
}

export function retryableStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

/**
 * Failures to reach the upstream or to get its answer, where another attempt may do better. They
 * include a kept-alive connection the upstream (or a balancer before it) closed or reset as the
 * request went out on it (UND_ERR_SOCKET, ECONNRESET): undici drops that connection, so the next
 * attempt goes out on another. A headers or body timeout is not here: the upstream had the request.
 */
const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED',
]);

export function retryableError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTION_ERRORS.has(code);
}
