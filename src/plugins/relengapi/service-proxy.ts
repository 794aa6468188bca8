/**
 * The request handler: find the service and forward to it (src/net/forwarder) with the current
 * temporary token. When the service refuses the token (401), it is renewed, and a request whose
 * body is held is sent once more with the new one; otherwise the 401 is the answer.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/errors.js';
import { quotedPath } from '../../fastify/errors.js';
import { writeForwardedHead } from '../../fastify/forwarded-answer.js';
import type { CredentialSource, Forwarder, ForwardingOptions } from '../../net/forwarder/forwarder.js';
import { forward } from '../../net/forwarder/forward.js';
import { forwardableRawHeaders } from '../../net/hop-headers.js';
import { originForm } from '../../net/request-target.js';
import { resolveUpstream, type ServiceRoute, type UpstreamTarget } from './service-routes.js';
import type { TemporaryTokenManager } from './token-manager.js';

export type ServiceProxyOptions = ForwardingOptions & {
  routes: ServiceRoute[];
  tokens: TemporaryTokenManager;
};

/** Each attempt carries the token current then; a 401 renews it (one renewal for a burst of them). */
export function temporaryTokens(tokens: TemporaryTokenManager): CredentialSource<UpstreamTarget, string> {
  return {
    current: () => tokens.token(),
    authorization: (token) => `Bearer ${token}`,
    renewAfter: (statusCode, token) => (statusCode === 401 ? tokens.tokenAfterRejection(token) : undefined),
  };
}

export function serviceProxyHandler(routes: readonly ServiceRoute[], forwarder: Forwarder<UpstreamTarget, string>) {
  return function proxyToService(request: FastifyRequest, reply: FastifyReply): void {
    // an absolute-form target goes where its path says, as the router read it
    const requestTarget = request.raw.url ?? '/';
    const rawUrl = originForm(requestTarget) ?? requestTarget;
    const target = resolveUpstream(routes, rawUrl);
    if (!target) {
      // the router matched a decoded path; only a literal prefix is proxied
      reply.send(new GatewayError('ResourceNotFound', `No RelengAPI service for ${quotedPath(rawUrl)} (prefixes: ${routes.map((r) => r.prefix).join(', ')})`));
      return;
    }
    forward(forwarder, request.raw, reply.raw, target, (statusCode, rawHeaders) => {
      writeForwardedHead(request, reply, statusCode, forwardableRawHeaders(rawHeaders), target.label);
    }, (err) => {
      if (!reply.sent) reply.send(err);
    }, request.log);
  };
}
