/**
 * FORCE_SSL as the original deployment had it behind its TLS-terminating front: plain-http GETs
 * are redirected to https, anything else plain is refused (its body already crossed in clear),
 * and every answer carries HSTS. TRUST_PROXY only means that the front's X-Forwarded-Proto is
 * believed about the scheme; it never affects who the client is.
 */
import type { onRequestHookHandler, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';

/** 180 days, the usual HSTS lifetime; browsers and clients only heed it over https. */
export const HSTS_HEADER = 'max-age=15552000; includeSubDomains';

export interface ForceSslOptions {
  trustProxy: boolean;
}

function arrivedOverHttps(request: FastifyRequest, trustProxy: boolean): boolean {
  if ((request.raw.socket as { encrypted?: boolean }).encrypted) return true;
  if (!trustProxy) return false;
  const proto = request.headers['x-forwarded-proto'];
  // The front appends its own scheme last; earlier entries are whatever the client sent.
  const last = (Array.isArray(proto) ? proto.join(',') : proto ?? '').split(',').pop()!.trim().toLowerCase();
  return last === 'https';
}

export function forceSslHook(options: ForceSslOptions): onRequestHookHandler {
  return async (request, reply) => {
    reply.header('strict-transport-security', HSTS_HEADER);
    if (arrivedOverHttps(request, options.trustProxy)) return;
    if (request.method === 'GET' || request.method === 'HEAD') {
      const host = request.headers.host;
      if (!host) throw new GatewayError('ForbiddenRequest', 'Please use HTTPS (no Host header to redirect to)');
      return reply.redirect(`https://${host}${request.url}`, 301);
    }
    throw new GatewayError('ForbiddenRequest', 'Please use HTTPS when submitting data to this server');
  };
}
