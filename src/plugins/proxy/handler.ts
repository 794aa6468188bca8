/**
 * The proxy's route handler: where the request goes, forwarding it, and the answer's head with
 * the headers that say which credentials signed. Errors before any answer (404, 502, 504...)
 * go to the error renderer, with the identity headers set. A plain function, not an async one:
 * the request's work is driven by undici's callbacks, and a promise per request buys nothing.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CredentialHolder, SigningIdentity } from '../../core/holder.js';
import type { IdentityHeaders } from '../../core/identity-headers.js';
import { writeForwardedHead } from '../../fastify/forwarded-answer.js';
import type { Forwarder } from '../../net/forwarder/forwarder.js';
import { forward } from '../../net/forwarder/forward.js';
import { originForm } from '../../net/request-target.js';
import { clientResponseHeaders } from './response-headers.js';
import type { Target, TargetResolver } from './target.js';

export interface ProxyHandlerParts {
  resolver: TargetResolver;
  forwarder: Forwarder<Target, SigningIdentity>;
  holder: CredentialHolder;
  headersFor: IdentityHeaders;
}

export function proxyHandler({ resolver, forwarder, holder, headersFor }: ProxyHandlerParts) {
  // the identity headers as a flat name/value list, made once per identity, for writeHead
  const flatHeaders = new WeakMap<SigningIdentity, string[]>();
  const ownHeaders = (identity: SigningIdentity): string[] => {
    let flat = flatHeaders.get(identity);
    if (!flat) flatHeaders.set(identity, (flat = Object.entries(headersFor(identity)).flat()));
    return flat;
  };

  /** No answer to pass on: the error, with the identity headers and, once known, the endpoint. */
  const failed = (reply: FastifyReply, err: Error, endpoint?: string): void => {
    if (reply.sent) return;
    reply.headers(headersFor(holder.current));
    if (endpoint) reply.header('x-taskcluster-endpoint', endpoint);
    reply.send(err);
  };

  return (request: FastifyRequest, reply: FastifyReply): void => {
    let target: Target;
    try {
      // an absolute-form target goes where its path says, as the router read it
      const rawUrl = request.raw.url ?? '/';
      target = resolver.resolve(originForm(rawUrl) ?? rawUrl);
    } catch (err) {
      return failed(reply, err as Error);
    }
    forward(forwarder, request.raw, reply.raw, target, (statusCode, rawHeaders, identity) => {
      writeForwardedHead(request, reply, statusCode, clientResponseHeaders(rawHeaders, ownHeaders(identity), target.url), target.origin);
    }, (err) => failed(reply, err, target.url), request.log);
  };
}
