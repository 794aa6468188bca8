/**
 * Temporary RelengAPI tokens for the task's permissions, issued with the permanent token the
 * gateway holds. One token is shared by all requests; it is renewed ahead of its expiry (so
 * requests already sent with it finish with a valid token) and once when a service rejects it,
 * and concurrent requests needing a renewal share one token request.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayError } from '../../core/errors.js';
import { quotableMessage, quotableUrl, REDACTED } from '../../core/url-credentials.js';
import type { GatewayEvents } from '../../core/events.js';

export interface TokenManagerOptions {
  /** RelengAPI tokens endpoint (POST issues a token). */
  tokenUrl: string;
  /** Permanent token allowed to issue temporary tokens; never logged nor echoed. */
  permanentToken: string;
  permissions: string[];
  /** Lifetime asked for each temporary token. */
  lifetimeMs: number;
  /** A token is replaced this long before it expires. */
  renewBeforeMs: number;
  /** Give up on a token request after this long. */
  requestTimeoutMs?: number;
  /** Retries of a token request that met a connection error or a 5xx (default 2)... */
  retries?: number;
  /** ...after this delay, doubled each time. */
  retryDelayMs?: number;
  now?: () => number;
  /** Where each token asked for is counted, issued or failed (the gateway's tally, read by /metrics). */
  events?: GatewayEvents;
}

interface IssuedToken {
  value: string;
  renewAt: number;
}

/** Longest piece of a RelengAPI error answer quoted in our own error message. */
const MAX_QUOTED_ERROR = 500;

export class TemporaryTokenManager {
  readonly #options: Required<Omit<TokenManagerOptions, 'events'>>;
  readonly #events: GatewayEvents | undefined;
  #current: IssuedToken | undefined;
  #renewal: Promise<IssuedToken> | undefined;

  constructor(options: TokenManagerOptions) {
    this.#options = { requestTimeoutMs: 30_000, retries: 2, retryDelayMs: 250, now: Date.now, ...options };
    this.#events = options.events;
  }

  /** A token valid for at least `renewBeforeMs` more, issuing a new one when needed. */
  async token(): Promise<string> {
    const current = this.#current;
    if (current && this.#options.now() < current.renewAt) return current.value;
    return (await this.#renew()).value;
  }

  /**
   * A service answered 401 to `rejected`: replace it unless it was replaced already (by a
   * renewal another rejected request started), so a burst of 401s costs one token request.
   */
  async tokenAfterRejection(rejected: string): Promise<string> {
    const current = this.#current;
    if (current && current.value !== rejected) return current.value;
    if (current) this.#current = undefined;
    return (await this.#renew()).value;
  }

  #renew(): Promise<IssuedToken> {
    this.#renewal ??= this.#issue().finally(() => {
      this.#renewal = undefined;
    });
    return this.#renewal;
  }

  /** Ask for a token, retrying briefly on connection errors and 5xx (the original used httpbackoff). */
  async #issue(): Promise<IssuedToken> {
    const { retries, retryDelayMs } = this.#options;
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.#requestToken();
      if ('token' in outcome) {
        this.#current = outcome.token;
        this.#events?.count('relengapi-token-renewal', 'issued');
        return outcome.token;
      }
      if (!outcome.transient || attempt >= retries) {
        this.#events?.count('relengapi-token-renewal', 'failed');
        throw outcome.error;
      }
      await sleep(retryDelayMs * 2 ** attempt);
    }
  }

  async #requestToken(): Promise<{ token: IssuedToken } | { error: GatewayError; transient: boolean }> {
    const { tokenUrl, permanentToken, permissions, lifetimeMs, renewBeforeMs, requestTimeoutMs, now } = this.#options;
    const expires = now() + lifetimeMs;
    let response: Response;
    try {
      response = await fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${permanentToken}` },
        body: JSON.stringify({ typ: 'tmp', expires: new Date(expires).toISOString(), permissions, metadata: {} }),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
    } catch (err) {
      const error = new GatewayError('UpstreamError', `RelengAPI token service ${quotableUrl(tokenUrl)} is unreachable: ${quotableMessage(describeFetchFailure(err))}`, undefined, { cause: err });
      return { error, transient: true };
    }
    const text = await response.text().catch(() => '');
    if (response.status !== 200) {
      // its own words may quote a URL with a token in it, as any lower layer's may
      const quoted = quotableMessage(relengapiMessage(text).replaceAll(permanentToken, REDACTED)).slice(0, MAX_QUOTED_ERROR);
      const error = new GatewayError('UpstreamError', `RelengAPI refused a temporary token (${response.status}): ${quoted}`);
      return { error, transient: response.status >= 500 };
    }
    const value = tokenOf(text);
    if (value === undefined) return { error: new GatewayError('UpstreamError', `RelengAPI token service ${quotableUrl(tokenUrl)} answered without result.token`), transient: false };
    return { token: { value, renewAt: expires - renewBeforeMs } };
  }
}

function tokenOf(text: string): string | undefined {
  try {
    const token = (JSON.parse(text) as { result?: { token?: unknown } }).result?.token;
    return typeof token === 'string' && token !== '' ? token : undefined;
  } catch {
    return undefined;
  }
}

/** The human part of a RelengAPI error: `{error: {description}}` (RelengAPI), `{detail}` (problem+json), else the text. */
function relengapiMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { description?: unknown; name?: unknown }; detail?: unknown; message?: unknown };
    for (const candidate of [body.error?.description, body.detail, body.message, body.error?.name]) {
      if (typeof candidate === 'string' && candidate !== '') return candidate;
    }
  } catch {
    // not JSON: quote it as it is
  }
  return text.trim() || '(empty answer)';
}

/** fetch hides the socket error in `cause`; its code (ECONNREFUSED, ENOTFOUND...) is what helps. */
function describeFetchFailure(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if ((err as Error).name === 'TimeoutError') return 'timed out';
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
