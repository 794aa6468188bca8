/**
 * The request handler: find the service, attach a temporary token, forward, and when the service
 * rejects the token (401) renew it and, if the request can be replayed (no body), send it once more.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Dispatcher } from 'undici';
import { GatewayError } from '../../core/errors.js';
import { hasBody } from '../../net/message-body.js';
import { forwardToService, responseHeaders } from './forward.js';
import { resolveUpstream, type ServiceRoute } from './routes.js';
import type { TemporaryTokenManager } from './token-manager.js';

export type ServiceProxyOptions = {
  routes: ServiceRoute[];
  tokens: TemporaryTokenManager;
  dispatcher: Dispatcher;
};

export function serviceProxyHandler({ routes, tokens, dispatcher }: ServiceProxyOptions) {
  return async function proxyToService(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const rawUrl = request.raw.url ?? '/';
    const target = resolveUpstream(routes, rawUrl);
    if (!target) {
      // the router matched a decoded path; only a literal prefix is proxied
      throw new GatewayError('ResourceNotFound', `No RelengAPI service for ${rawUrl.split('?')[0]} (prefixes: ${routes.map((r) => r.prefix).join(', ')})`);
    }
    const clientGone = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) clientGone.abort();
    });
    const send = (token: string) => forwardToService({ dispatcher, target, request: request.raw, token, signal: clientGone.signal });

    const token = await tokens.token();
    let answer = await send(token);
    if (answer.statusCode === 401) {
      const renewed = tokens.tokenAfterRejection(token);
      if (hasBody(request.raw)) {
        // the body is spent: pass the 401 on, and let the next request use the new token
        renewed.catch((err: Error) => request.log.warn({ err }, 'renewing the RelengAPI token after a 401 failed'));
      } else {
        await answer.body.dump();
        answer = await send(await renewed);
      }
    }
    reply.code(answer.statusCode).headers(responseHeaders(answer.headers));
    return reply.send(answer.body);
  };
}
