/**
 * FORCE_SSL as the original deployment had it behind its TLS-terminating front: plain-http GETs
 * are redirected to https, anything else plain is refused (its body already crossed in clear),
 * and every answer carries HSTS. TRUST_PROXY only means that the front's X-Forwarded-Proto is
 * believed about the scheme (from the trusted proxies when `trustedProxies` names any, from any
 * peer as the original did otherwise); it never affects who the client is.
 *
 * The redirect goes to the configured public origin, else to the host the client addressed
 * (src/fastify/addressed-origin.ts): a Host that is no valid host[:port] is refused, never written
 * into the Location, and the redirect varies with the headers that named it.
 */
import type { onRequestHookHandler, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import { addressedHeaders, publicOrigin } from '../../fastify/addressed-origin.js';
import { originForm } from '../../net/request-target.js';
import type { TrustedProxies } from '../../net/trusted-proxies.js';

/** 180 days, the usual HSTS lifetime; browsers and clients only heed it over https. */
export const HSTS_HEADER = 'max-age=15552000; includeSubDomains';

export interface ForceSslOptions {
  trustProxy: boolean;
  /** The gateway's trusted proxies (live: a reload changes them). */
  trustedProxies: TrustedProxies;
  /** The configured public origin to redirect to (its scheme made https); undefined: the host each request addressed. */
  publicOrigin: string | undefined;
}

function arrivedOverHttps(request: FastifyRequest, options: ForceSslOptions): boolean {
  if ((request.raw.socket as { encrypted?: boolean }).encrypted) return true;
  if (!options.trustProxy) return false;
  // the front appends its own scheme last; earlier entries are whatever the client sent
  const { trustedProxies } = options;
  const { proto } = addressedHeaders(request, trustedProxies.namesNone ? () => true : trustedProxies.trusts);
  return proto?.toLowerCase() === 'https';
}

export function forceSslHook(options: ForceSslOptions): onRequestHookHandler {
  const addressing = options.trustedProxies.trusts;
  return async (request, reply) => {
    reply.header('strict-transport-security', HSTS_HEADER);
    if (arrivedOverHttps(request, options)) return;
    if (request.method === 'GET' || request.method === 'HEAD') {
      if (options.publicOrigin === undefined && !addressedHeaders(request, addressing).host) {
        throw new GatewayError('ForbiddenRequest', 'Please use HTTPS (no Host header to redirect to)');
      }
      const origin = new URL(publicOrigin(request, reply, addressing, options.publicOrigin));
      origin.protocol = 'https:';
      // joined, not resolved: a path such as `//evil.example/` stays a path on this host
      // an absolute-form target names its host in vain: its path, as the router read it
      const path = originForm(request.url);
      if (path === undefined) throw new GatewayError('InputError', 'The request target is not a path or an absolute URL');
      return reply.redirect(`${origin.origin}${path}`, 301);
    }
    throw new GatewayError('ForbiddenRequest', 'Please use HTTPS when submitting data to this server');
  };
}
