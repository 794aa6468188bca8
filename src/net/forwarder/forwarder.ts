/**
 * What a forwarding plugin builds once: the connection pool, the retry policy, the limits, and the
 * plugin's own part, its credentials. Everything else about forwarding is the same for every
 * plugin (./forward.ts).
 */
import { Agent, type Dispatcher } from 'undici';
import type { GatewayEvents } from '../../core/events.js';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.js';

/** Where one request goes. */
export interface ForwardTarget {
  /** scheme://host[:port], the undici origin. */
  origin: string;
  /** Path plus query, exactly as it goes upstream. */
  path: string;
  /** Names the upstream in error messages and warnings. */
  label: string;
}

/** A plugin's credentials, asked for on every attempt (a retry may carry newer ones than the first). */
export interface CredentialSource<T extends ForwardTarget, C> {
  /** The credentials for the next attempt: at hand, or a promise when they must be fetched first. */
  current(): C | Promise<C>;
  /** The Authorization header of an attempt at `target` with `credentials`. */
  authorization(credentials: C, method: string, target: T): string;
  /**
   * Whether an answer's status says the upstream refused `credentials`: if so, fresh ones, with
   * which a request whose body is held is sent again at once (the refusal is not passed on);
   * undefined when the answer stands. Asked at most once per request.
   */
  renewAfter?(statusCode: number, credentials: C): Promise<C> | undefined;
}

export interface Forwarder<T extends ForwardTarget, C> {
  dispatcher: Dispatcher;
  credentials: CredentialSource<T, C>;
  retry: RetryPolicy;
  /** Bodies up to this many bytes are held for replay; larger ones stream once. */
  bufferLimit: number;
  /** Longest wait for the upstream's response headers, then for each body chunk. */
  timeoutMs: number;
  /** Content-Type of a body the client sent without one (taskcluster-proxy: JSON); none when undefined. */
  defaultContentType: string | undefined;
  events: UpstreamEvents | undefined;
}

/** Where a forwarder counts its retries and upstream errors: the gateway's tally, under the plugin's name. */
export interface UpstreamEvents {
  tally: GatewayEvents;
  plugin: string;
}

/** The forwarding settings a plugin takes; each has its default when left out. (A type, not an interface: plugin options are records.) */
export type ForwardingOptions = {
  retry?: Partial<RetryPolicy>;
  /** Request bodies up to this size are held and replayed on retry (default 1 MiB). */
  bufferLimit?: number;
  /** Upstream response-header and body-idle timeout (default 5 minutes). */
  timeoutMs?: number;
  /** Connections per upstream origin (default 128). */
  connections?: number;
  /** Send through this dispatcher instead of a pool of the forwarder's own (tests route hostnames with it). */
  dispatcher?: Dispatcher;
  events?: UpstreamEvents;
};

export const FORWARDING_DEFAULTS = { bufferLimit: 1024 * 1024, timeoutMs: 5 * 60_000, connections: 128 } as const;

/** A plugin's forwarder, and how to release its pool (nothing to release with options.dispatcher). */
export function createForwarder<T extends ForwardTarget, C>(
  options: ForwardingOptions,
  credentials: CredentialSource<T, C>,
  defaultContentType?: string,
): { forwarder: Forwarder<T, C>; close(): Promise<void> } {
  const timeoutMs = options.timeoutMs ?? FORWARDING_DEFAULTS.timeoutMs;
  const own = options.dispatcher ? undefined : new Agent({ connections: options.connections ?? FORWARDING_DEFAULTS.connections, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const forwarder: Forwarder<T, C> = {
    dispatcher: options.dispatcher ?? own!,
    credentials,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    bufferLimit: options.bufferLimit ?? FORWARDING_DEFAULTS.bufferLimit,
    timeoutMs,
    defaultContentType,
    events: options.events,
  };
  return { forwarder, close: async () => own?.destroy() };
}
