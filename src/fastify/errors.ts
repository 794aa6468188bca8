/**
 * The one error renderer: every thrown error leaves as Taskcluster's JSON error shape
 * `{code, message, requestInfo}` with the status from the core's table. Registered with
 * fastify-plugin, once at the root of each app.
 *
 * The framework's own answers take the same shape: a gateway listener hands Fastify
 * `renderError` as its `frameworkErrors` (undecodable URLs, over-long params) and
 * `answerClientError` for what Node's HTTP parser refuses before Fastify sees a request
 * (oversized headers, bad Content-Length, garbage, request timeouts).
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_STATUS, errorBody, GatewayError, type ErrorCode } from '../core/errors.js';
import { redactUrl } from '../log.js';
import { originForm } from '../net/request-target.js';

const CODE_FOR_STATUS: Record<number, ErrorCode> = {
  400: 'InputError',
  401: 'AuthenticationFailed',
  403: 'ForbiddenRequest',
  404: 'ResourceNotFound',
  405: 'MethodNotAllowed',
  408: 'RequestTimeout',
  409: 'RequestConflict',
  410: 'ResourceExpired',
  413: 'PayloadTooLarge',
  414: 'URITooLong',
  415: 'InputError',
  429: 'TooManyRequests',
  431: 'RequestHeaderFieldsTooLarge',
  502: 'UpstreamError',
  503: 'ServiceUnavailable',
  504: 'UpstreamTimeout',
};

/**
 * Fastify's messages that quote the request (the whole URL, with any bewit or bootstrap token in
 * it) are replaced by ones that do not: an error body echoes no bearer material.
 */
const INPUT_FREE_MESSAGES: Readonly<Record<string, string>> = {
  FST_ERR_BAD_URL: 'The URL has a percent-escape that does not decode (such as %zz)',
  FST_ERR_MAX_PARAM_LENGTH: 'A URL parameter is longer than this gateway accepts',
};

/**
 * A request URL as an error message may quote it: its path only (of an absolute-form target, the
 * path the router read), bearer material in it (a bootstrap token, `&bewit=`, an embedded URL's
 * userinfo) replaced as the logs show it.
 */
export function quotedPath(url: string): string {
  return redactUrl((originForm(url) ?? url).split('?')[0]!);
}

/** The one 404 for a method and URL no route serves. */
export function noRoute(method: string, url: string): GatewayError {
  return new GatewayError('ResourceNotFound', `No route for ${method} ${quotedPath(url)}`);
}

/** Any error as a GatewayError: ours as they are, Fastify's by their status, others as 500. */
export function toGatewayError(err: FastifyError | Error): GatewayError {
  if (err instanceof GatewayError) return err;
  const fastifyError = err as FastifyError;
  if (fastifyError.validation) {
    return new GatewayError('InputValidationError', `Request input does not match its schema: ${err.message}`);
  }
  const code = fastifyError.statusCode !== undefined ? CODE_FOR_STATUS[fastifyError.statusCode] : undefined;
  if (code && fastifyError.statusCode! < 500) return new GatewayError(code, INPUT_FREE_MESSAGES[fastifyError.code] ?? err.message);
  if (code) return new GatewayError(code, err.message, undefined, { cause: err });
  return new GatewayError('InternalServerError', 'Internal Server Error', undefined, { cause: err });
}

/**
 * Params as Taskcluster names them: a wildcard under the name its route's scope gives it (`name`,
 * not `*`). Each value is a piece of the URL, quoted as the logs show it: a proxy's wildcard holds
 * the whole path, with whatever bewit, bootstrap token or userinfo the caller put in it.
 */
function namedParams(request: FastifyRequest): Record<string, unknown> {
  // the not-found route is a wildcard of Fastify's making: no params of the caller's
  if (request.is404 || !request.params || typeof request.params !== 'object') return {};
  const renames = request.routeOptions.config?.scopeParams ?? {};
  const named = Object.fromEntries(Object.entries(renames).map(([name, param]) => [param, name]));
  const params: Record<string, unknown> = {};
  for (const [param, value] of Object.entries(request.params as Record<string, unknown>)) {
    params[Object.hasOwn(named, param) ? named[param]! : param] = typeof value === 'string' ? redactUrl(value) : value;
  }
  return params;
}

export function renderError(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const error = toGatewayError(err);
  if (error.statusCode >= 500) request.log.error({ err: error.cause ?? error }, error.message);
  // a body left as text (/bewit's URL, a /credentials body that is no JSON) is never echoed: it is
  // the caller's credentials as often as not, and no field name says which part is secret
  const payload = typeof request.body === 'string' ? '(OMITTED)' : request.body;
  const body = errorBody(error, { method: request.method, params: namedParams(request), payload });
  if (error.retryAfterSec !== undefined) reply.header('retry-after', String(error.retryAfterSec));
  return reply.code(ERROR_STATUS[error.code]).type('application/json; charset=utf-8').send(body);
}

/** What Node's HTTP parser refused, as a GatewayError. */
function clientError(err: NodeJS.ErrnoException): GatewayError {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return new GatewayError('RequestTimeout', 'The request did not arrive within the server\'s request timeout');
  if (err.code === 'HPE_HEADER_OVERFLOW') return new GatewayError('RequestHeaderFieldsTooLarge', 'The request headers are larger than the server accepts');
  return new GatewayError('InputError', `Malformed HTTP request: ${err.message.replace(/^Parse Error: /, '')}`);
}

/** The method of a request the parser refused, when its first bytes name one. */
function methodOf(rawPacket: unknown): string {
  return Buffer.isBuffer(rawPacket) ? (/^[A-Z]{1,16}(?= )/.exec(rawPacket.subarray(0, 17).toString('latin1'))?.[0] ?? '') : '';
}

/**
 * A server's 'clientError' listener: the refusal in Taskcluster's shape, written straight to the
 * socket (there is no request to reply to), which then closes as Node's own answer would.
 */
export function answerClientError(err: NodeJS.ErrnoException & { rawPacket?: unknown }, socket: Duplex): void {
  // a reset connection has no one to answer
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) writeRefusal(socket, clientError(err), methodOf(err.rawPacket));
  socket.destroy(err);
}

/** An answer written straight to a socket that has no request to reply to, which then closes. */
function writeRefusal(socket: Duplex, error: GatewayError, method: string): void {
  const body = JSON.stringify(errorBody(error, { method }));
  const status = ERROR_STATUS[error.code];
  socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * A server's 'connect' listener: CONNECT asks for a tunnel, which no listener opens; Node hands it
 * to this event instead of the request handler, and with no listener closed the connection
 * without an answer. Refused in Taskcluster's shape, as every other request no route serves.
 */
export function answerConnect(_request: unknown, socket: Duplex): void {
  if (socket.destroyed) return;
  socket.on('error', () => {});
  if (socket.writable) writeRefusal(socket, new GatewayError('MethodNotAllowed', 'CONNECT is not served: this gateway opens no tunnels; send the request itself to it'), 'CONNECT');
  socket.end();
}

/** The renderer's plugin name, which every capability plugin declares as its dependency. */
export const ERROR_RENDERER = 'taskcluster-gateway-errors';

/**
 * Registered once per listener (src/server.ts's gatewayApp; in an app of one's own, once at its
 * root): every capability plugin depends on it, so a missing one fails at registration.
 */
export const errorRenderer = fp(
  async (app) => {
    app.setErrorHandler((err: FastifyError, request, reply) => renderError(err, request, reply));
    app.setNotFoundHandler((request, reply) =>
      renderError(noRoute(request.method, request.url), request, reply),
    );
    // CONNECT never reaches the router (Node emits it apart): answered here, once per server
    if (!app.server.listeners('connect').includes(answerConnect)) app.server.on('connect', answerConnect);
  },
  { name: ERROR_RENDERER, fastify: '5.x' },
);
