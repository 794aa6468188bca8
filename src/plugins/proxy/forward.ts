/**
 * One proxied request: sent upstream with undici, each attempt signed with the credentials
 * current at that moment (a swap between attempts is picked up; an attempt already sent keeps
 * its signature), retried while the body can be replayed, cancelled when the client goes away.
 * Driven by callbacks, not promises: a request without retries allocates no promise here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import { GatewayError } from '../../core/errors.js';
import type { CredentialHolder, SigningIdentity } from '../../core/holder.js';
import { Exchange, type AttemptOwner } from './exchange.js';
import { upstreamRequestHeaders } from './hop-headers.js';
import { hasBody } from '../../net/message-body.js';
import { NO_BODY, prepareBody, type OutgoingBody } from './request-body.js';
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
}

/** Writes the head of the answer passed on: status, raw headers, the identity that signed. */
export type WriteHead = (statusCode: number, rawHeaders: Buffer[], identity: SigningIdentity) => void;
/** Called instead when no answer could be had; nothing has been written to the client. */
export type Fail = (err: GatewayError) => void;

const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

function upstreamFailure(err: unknown, target: Target): GatewayError {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && TIMEOUTS.has(code)) return new GatewayError('UpstreamTimeout', `Upstream ${target.origin} did not answer in time: ${message}`, undefined, { cause: err });
  if (code === 'UND_ERR_INVALID_ARG') return new GatewayError('InputError', `Request cannot be forwarded: ${message}`);
  return new GatewayError('UpstreamError', `Failed during proxy request to ${target.origin}: ${message}`, undefined, { cause: err });
}

/** The attempts of one request, one at a time; the owner of each attempt's Exchange. */
class Forwarding implements AttemptOwner {
  cancelled = false;
  private body: OutgoingBody = NO_BODY;
  private headers: Record<string, string | string[]> = {};
  private readonly started = Date.now();
  private retry = 0;
  /** The identity the current attempt is signed with, and the attempt itself. */
  private identity: SigningIdentity | undefined;
  private exchange: Exchange | undefined;
  /** Set by onHead for an answer dropped to be retried. */
  private droppedStatus = 0;
  private wait = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly forwarder: Forwarder,
    private readonly method: string,
    private readonly res: ServerResponse,
    private readonly target: Target,
    private readonly writeHead: WriteHead,
    private readonly fail: Fail,
    /** The request's own logger: its warnings carry the request's id. */
    private readonly log: Pick<Logger, 'warn'>,
  ) {
    // 'close' comes once per response: on() spares once()'s wrapper
    res.on('close', this.onClose);
  }

  send(body: OutgoingBody, clientHeaders: IncomingMessage['headers']): void {
    this.body = body;
    this.headers = upstreamRequestHeaders(clientHeaders, body.replayable ? undefined : body.length, body.replayable ? body.data !== undefined : true);
    this.attempt();
  }

  private attempt(): void {
    const { forwarder, target, body } = this;
    const identity = (this.identity = forwarder.holder.current);
    this.headers.authorization = identity.signer.header({ method: this.method, host: target.host, port: target.port, resource: target.path });
    this.exchange = new Exchange(this.res, this);
    forwarder.dispatcher.dispatch({
      origin: target.origin,
      path: target.path,
      method: this.method as Dispatcher.HttpMethod,
      headers: this.headers,
      body: body.replayable ? body.data : body.stream,
      headersTimeout: forwarder.timeoutMs,
      bodyTimeout: forwarder.timeoutMs,
    }, this.exchange);
  }

  onHead(statusCode: number, rawHeaders: Buffer[]): boolean {
    if (this.body.replayable && retryableStatus(statusCode)) {
      const wait = retryDelay(this.forwarder.retry, this.retry, Date.now() - this.started);
      if (wait !== undefined) {
        this.droppedStatus = statusCode;
        this.wait = wait;
        return false;
      }
    }
    this.writeHead(statusCode, rawHeaders, this.identity!);
    return true;
  }

  onDropped(): void {
    this.log.warn({ upstream: this.target.origin, statusCode: this.droppedStatus, retry: this.retry + 1, delayMs: Math.round(this.wait) }, 'upstream answered with a retryable status; retrying');
    this.retryAfter(this.wait);
  }

  onFailure(err: Error): void {
    if (this.cancelled) return this.fail(new GatewayError('InputError', 'client went away', undefined, { cause: err }));
    const wait = this.body.replayable && retryableError(err) ? retryDelay(this.forwarder.retry, this.retry, Date.now() - this.started) : undefined;
    if (wait === undefined) return this.fail(upstreamFailure(err, this.target));
    this.log.warn({ upstream: this.target.origin, error: err.message, retry: this.retry + 1, delayMs: Math.round(wait) }, 'upstream unreachable; retrying');
    this.retryAfter(wait);
  }

  private retryAfter(wait: number): void {
    if (this.cancelled) return this.fail(new GatewayError('InputError', 'client went away'));
    this.retry++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.attempt();
    }, wait);
  }

  /** The client went away before its answer was complete: stop the attempt or the wait for the next. */
  private readonly onClose = () => {
    if (this.res.writableFinished) return;
    this.cancelled = true;
    this.exchange?.abort();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.fail(new GatewayError('InputError', 'client went away'));
    }
  };
}

/**
 * Forward the request: the answer's head goes to writeHead (its body then streams on by
 * itself), or, when no answer could be had, a GatewayError to fail.
 */
export function forward(forwarder: Forwarder, req: IncomingMessage, res: ServerResponse, target: Target, writeHead: WriteHead, fail: Fail, log: Pick<Logger, 'warn'>): void {
  const forwarding = new Forwarding(forwarder, req.method ?? 'GET', res, target, writeHead, fail, log);
  if (!hasBody(req)) return forwarding.send(NO_BODY, req.headers);
  prepareBody(req, forwarder.bufferLimit).then(
    (body) => forwarding.send(body, req.headers),
    (err: Error) => fail(new GatewayError('InputError', `the request body could not be read: ${err.message}`)),
  );
}
