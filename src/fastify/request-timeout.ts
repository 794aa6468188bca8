/**
 * How long a client may take to send a whole request, headers and body. Fastify turns Node's own
 * bound off (its requestTimeout defaults to 0), and with it off a client sending its body one
 * byte every few seconds held its connection forever: anyone reaching a listener could hold as
 * many as the process has file descriptors (a slowloris; headers alone were bounded, by Node's
 * headersTimeout). Node checks the bound every 30 s and answers 408 (or cuts a body it already
 * handed on).
 */
import type { Server } from 'node:http';
import type { ApiRoute } from './routes.js';

/** A listener whose routes read bounded bodies (JSON, text, none): its requests are small. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** A listener forwarding request bodies as they stream (the proxy, relengapi): Node's own default. */
export const STREAMING_REQUEST_TIMEOUT_MS = 300_000;

/** The bound for a listener serving `routes`. */
export function requestTimeoutFor(routes: readonly ApiRoute[]): number {
  return routes.some((route) => route.body === 'stream') ? STREAMING_REQUEST_TIMEOUT_MS : REQUEST_TIMEOUT_MS;
}

/** Puts the bound on a server (a listener's, or its loopback twin); headers alone never get longer. */
export function boundRequestTime(server: Server, timeoutMs: number): void {
  server.requestTimeout = timeoutMs;
  server.headersTimeout = Math.min(server.headersTimeout, timeoutMs);
}
