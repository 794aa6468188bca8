/**
 * One log line per request, written when the answer has gone out, as Taskcluster's API
 * services write one `apiMethod` record per call: method, URL, caller's address, status,
 * duration, and whatever the route adds (`request.logFields`, e.g. the secrets audit record).
 * Fastify's own incoming-request line is kept at debug: at info it would double the cost of
 * logging and say nothing the completion line does not.
 *
 * A gateway app is built with `logController: new OneLinePerRequest()` and registers
 * `requestLogFields`; a plugin that has something to add checks
 * `app.hasRequestDecorator('logFields')` and otherwise, in an app of someone else's, writes a
 * line of its own.
 */
import fp from 'fastify-plugin';
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** Fields this request's log line carries besides the request and the response. */
    logFields: Record<string, unknown> | undefined;
  }
}

export class OneLinePerRequest extends LogController {
  /** At debug only: the line that shows a request which never completes. */
  override incomingRequest(request: FastifyRequest): void {
    if (!this.isLogDisabled(request)) request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const line = { req: request, res: reply, responseTime: reply.elapsedTime, ...request.logFields };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}

export const requestLogFields = fp(
  async (app) => {
    app.decorateRequest('logFields', undefined);
  },
  { name: 'taskcluster-gateway-request-log-fields', fastify: '5.x' },
);
