/**
 * One proxied request: sent upstream with undici, each attempt signed with the credentials
 * current at that moment (a swap between attempts is picked up; an attempt already sent keeps
 * its signature), retried while the body can be replayed, cancelled when the client goes away.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import { GatewayError } from '../../core/errors.js';
import type { CredentialHolder, SigningIdentity } from '../../core/holder.js';
import { delay, type Cancellation } from './cancellation.js';
import { Exchange } from './exchange.js';
import { upstreamRequestHeaders } from './hop-headers.js';
import { prepareBody } from './request-body.js';
import { retryableError, retryableStatus, retryDelay, type RetryPolicy } from './retry.js';
import type { Target } from './target.js';

export interface Forwarder {
  dispatcher: Dispatcher;
  holder: CredentialHolder;
  retry: RetryPolicy;
  /** Bodies up to this many bytes are held for replay; larger ones stream once. */
  bufferLimit: number;
  /** Longest wait for the upstream's response headers, then for each body chunk. */
  timeoutMs: number;
  log: Pick<Logger, 'warn'>;
}

/** Writes the head of the answer passed on: status, raw headers, the identity that signed. */
export type WriteHead = (statusCode: number, rawHeaders: Buffer[], identity: SigningIdentity) => void;

const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

function upstreamFailure(err: unknown, target: Target): GatewayError {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && TIMEOUTS.has(code)) return new GatewayError('UpstreamTimeout', `Upstream ${target.origin} did not answer in time: ${message}`, undefined, { cause: err });
  if (code === 'UND_ERR_INVALID_ARG') return new GatewayError('InputError', `Request cannot be forwarded: ${message}`);
  return new GatewayError('UpstreamError', `Failed during proxy request to ${target.origin}: ${message}`, undefined, { cause: err });
}

/**
 * Forward the request; resolves once an answer's head has been written (its body then streams
 * on by itself), rejects with a GatewayError when no answer could be had.
 */
export async function forward(forwarder: Forwarder, req: IncomingMessage, res: ServerResponse, target: Target, cancellation: Cancellation, writeHead: WriteHead): Promise<void> {
  const method = req.method ?? 'GET';
  let body;
  try {
    body = await prepareBody(req, forwarder.bufferLimit);
  } catch (err) {
    throw new GatewayError('InputError', `the request body could not be read: ${(err as Error).message}`);
  }
  const headers = upstreamRequestHeaders(req.headers, body.replayable ? undefined : body.length, body.replayable ? body.data !== undefined : true);
  const started = Date.now();
  for (let retry = 0; ; retry++) {
    const identity = forwarder.holder.current;
    headers.authorization = identity.signer.header({ method, host: target.host, port: target.port, resource: target.path });
    let wait: number | undefined;
    let dropped = 0;
    const exchange = new Exchange(res, cancellation, (statusCode, rawHeaders) => {
      if (body.replayable && retryableStatus(statusCode)) wait = retryDelay(forwarder.retry, retry, Date.now() - started);
      if (wait !== undefined) {
        dropped = statusCode;
        return false;
      }
      writeHead(statusCode, rawHeaders, identity);
      return true;
    });
    forwarder.dispatcher.dispatch({
      origin: target.origin,
      path: target.path,
      method: method as Dispatcher.HttpMethod,
      headers,
      body: body.replayable ? body.data : body.stream,
      headersTimeout: forwarder.timeoutMs,
      bodyTimeout: forwarder.timeoutMs,
    }, exchange);
    try {
      if ((await exchange.outcome) === 'answered') return;
      forwarder.log.warn({ upstream: target.origin, statusCode: dropped, retry: retry + 1, delayMs: Math.round(wait!) }, 'upstream answered with a retryable status; retrying');
    } catch (err) {
      if (cancellation.aborted) throw new GatewayError('InputError', 'client went away', undefined, { cause: err });
      wait = body.replayable && retryableError(err) ? retryDelay(forwarder.retry, retry, Date.now() - started) : undefined;
      if (wait === undefined) throw upstreamFailure(err, target);
      forwarder.log.warn({ upstream: target.origin, error: (err as Error).message, retry: retry + 1, delayMs: Math.round(wait) }, 'upstream unreachable; retrying');
    }
    try {
      await delay(wait!, cancellation);
    } catch {
      throw new GatewayError('InputError', 'client went away');
    }
  }
}
