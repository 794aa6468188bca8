/**
 * The proxy's route handler: where the request goes, forwarding it, and the answer's head with
 * the headers that say which credentials signed. Errors before any answer (404, 502, 504...)
 * are thrown for the error renderer, with the identity headers set.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CredentialHolder, SigningIdentity } from '../../core/holder.js';
import type { IdentityHeaders } from '../../core/identity-headers.js';
import { Cancellation } from './cancellation.js';
import { forward, type Forwarder } from './forward.js';
import { clientResponseHeaders } from './hop-headers.js';
import type { TargetResolver } from './target.js';

export interface ProxyHandlerParts {
  resolver: TargetResolver;
  forwarder: Forwarder;
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

  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const res = reply.raw;
    const cancellation = new Cancellation();
    res.once('close', () => {
      if (!res.writableFinished) cancellation.cancel();
    });
    let endpoint: string | undefined;
    try {
      const target = resolver.resolve(request.raw.url ?? '/');
      endpoint = target.url;
      await forward(forwarder, request.raw, res, target, cancellation, (statusCode, rawHeaders, identity) => {
        // from here the answer is written straight to the socket; onResponse hooks and the
        // request log still run, on the response's finish
        reply.hijack();
        try {
          res.writeHead(statusCode, clientResponseHeaders(rawHeaders, ownHeaders(identity), target.url));
        } catch (err) {
          // a header Node refuses to send: nothing sensible can reach the client any more
          request.log.warn({ upstream: target.origin, error: (err as Error).message }, 'upstream answer cannot be passed on');
          cancellation.cancel();
          res.destroy();
        }
      });
    } catch (err) {
      if (reply.sent) return;
      reply.headers(headersFor(holder.current));
      if (endpoint) reply.header('x-taskcluster-endpoint', endpoint);
      throw err;
    }
  };
}
