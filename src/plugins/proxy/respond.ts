/**
 * The upstream's answer, written straight to the client's socket: status, headers and the body
 * streamed with backpressure. Fastify's send adds nothing a streamed answer needs; the route's
 * onResponse hooks and request log still run, on the response's finish.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { UpstreamAnswer } from './forward.js';

export function streamAnswer(res: ServerResponse, answer: UpstreamAnswer, headers: Record<string, string | string[]>, log: Pick<Logger, 'warn'>): void {
  try {
    res.writeHead(answer.statusCode, headers);
  } catch (err) {
    // a header Node refuses to send: nothing sensible can reach the client any more
    log.warn({ error: (err as Error).message }, 'upstream answer cannot be passed on');
    answer.body.destroy();
    res.destroy();
    return;
  }
  // pipe, not pipeline: pipeline makes and fires an AbortController per call, a tenth of a small request's cost
  answer.body.once('error', (err) => {
    log.warn({ error: err.message }, 'upstream answer broke off while streaming');
    res.destroy(err);
  });
  res.once('close', () => {
    if (!res.writableFinished) answer.body.destroy();
  });
  answer.body.pipe(res);
}
