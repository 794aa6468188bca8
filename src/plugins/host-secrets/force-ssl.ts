/**
 * FORCE_SSL as the original deployment had it behind its TLS-terminating front: plain-http GETs
 * are redirected to https, anything else plain is refused (its body already crossed in clear),
 * and every answer carries HSTS. TRUST_PROXY only means that the front's X-Forwarded-Proto is
 * believed about the scheme (from the trusted proxies when `trustedProxies` names any, from any
 * peer as the original did otherwise); it never affects who the client is.
 *
 * The redirect goes to the host the client addressed (src/fastify/addressed-origin.ts): a Host
 * that is no valid host[:port] is refused, never written into the Location.
 */
import type { onRequestHookHandler, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import { addressedHeaders, addressedOrigin, type TrustedPeer } from '../../fastify/addressed-origin.js';

/** 180 days, the usual HSTS lifetime; browsers and clients only heed it over https. */
export const HSTS_HEADER = 'max-age=15552000; includeSubDomains';

export interface ForceSslOptions {
  trustProxy: boolean;
  /** The trusted proxies (the gateway's trustedProxies); null when the setting names none. */
  trusted: TrustedPeer | null;
}

function arrivedOverHttps(request: FastifyRequest, options: ForceSslOptions): boolean {
  if ((request.raw.socket as { encrypted?: boolean }).encrypted) return true;
  if (!options.trustProxy) return false;
  // the front appends its own scheme last; earlier entries are whatever the client sent
  const { proto } = addressedHeaders(request, options.trusted ?? (() => true));
  return proto?.toLowerCase() === 'https';
}

export function forceSslHook(options: ForceSslOptions): onRequestHookHandler {
  return async (request, reply) => {
    reply.header('strict-transport-security', HSTS_HEADER);
    if (arrivedOverHttps(request, options)) return;
    if (request.method === 'GET' || request.method === 'HEAD') {
      if (!addressedHeaders(request, options.trusted ?? (() => false)).host) throw new GatewayError('ForbiddenRequest', 'Please use HTTPS (no Host header to redirect to)');
      const target = new URL(addressedOrigin(request, options.trusted ?? (() => false)));
      target.protocol = 'https:';
      return reply.redirect(`${target.origin}${request.url}`, 301);
    }
    throw new GatewayError('ForbiddenRequest', 'Please use HTTPS when submitting data to this server');
  };
}
