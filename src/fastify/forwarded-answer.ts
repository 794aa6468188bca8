/**
 * A forwarded answer's head, written straight to the client: from then on its body streams from
 * the forwarder (src/net/forwarder) to the socket, outside Fastify's reply (onResponse hooks and
 * the request log still run, on the response's finish).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export function writeForwardedHead(request: FastifyRequest, reply: FastifyReply, statusCode: number, headers: string[], upstream: string): void {
  reply.hijack();
  try {
    reply.raw.writeHead(statusCode, headers);
  } catch (err) {
    // a header Node refuses to send: nothing sensible can reach the client any more (the
    // response's close cancels the upstream request)
    request.log.warn({ upstream, error: (err as Error).message }, 'upstream answer cannot be passed on');
    reply.raw.destroy();
  }
}
