/**
 * One request to a RelengAPI service: the client's method, headers and streamed body, with its
 * Authorization replaced by the temporary token. Plain undici, no Fastify.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Dispatcher } from 'undici';
import { GatewayError } from '../../core/errors.js';
import { forwardableHeaders } from '../../net/hop-headers.js';
import { hasBody } from '../../net/message-body.js';
import type { UpstreamTarget } from './routes.js';

/**
 * Not sent to the service: its own host; and node's server already answered
 * `Expect: 100-continue` to the client, and undici refuses to send it.
 */
const REQUEST_DROPPED = new Set(['host', 'expect']);

export interface ForwardOptions {
  dispatcher: Dispatcher;
  target: UpstreamTarget;
  request: IncomingMessage;
  token: string;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

export async function forwardToService({ dispatcher, target, request, token, signal }: ForwardOptions): Promise<Dispatcher.ResponseData> {
  const headers = forwardableHeaders(request.headers, REQUEST_DROPPED);
  headers.authorization = `Bearer ${token}`;
  try {
    return await dispatcher.request({
      origin: target.origin,
      path: target.path,
      method: request.method as Dispatcher.HttpMethod,
      headers,
      body: hasBody(request) ? request : null,
      signal,
    });
  } catch (err) {
    const code = (err as { code?: string }).code ?? (err as Error).message;
    throw new GatewayError('UpstreamError', `RelengAPI service ${target.route.prefix} (${target.origin}) failed: ${code}`, undefined, { cause: err });
  }
}

/** The service's answer headers as the client gets them. */
export function responseHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  return forwardableHeaders(headers);
}
