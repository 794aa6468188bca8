/**
 * One forwarded request: sent upstream with undici, each attempt with the plugin's credentials
 * current at that moment (a change between attempts is picked up; an attempt already sent keeps
 * what it carries), retried while the body can be replayed, cancelled when the client goes away.
 * Driven by callbacks, not promises: a request without retries, whose credentials are at hand,
 * allocates no promise here. This is the proxy's hot path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import { GatewayError } from '../../core/errors.js';
import { quotableMessage } from '../../core/url-credentials.js';
import { hasBody } from '../message-body.js';
import { Exchange, type AttemptOwner } from './exchange.js';
import type { Forwarder, ForwardTarget } from './forwarder.js';
import { NO_BODY, prepareBody, type OutgoingBody } from './request-body.js';
import { upstreamRequestHeaders } from './request-headers.js';
import { retryableError, retryableStatus, retryDelay } from './retry.js';

/** Writes the head of the answer passed on: status, raw headers, the credentials it answers. */
export type WriteHead<C> = (statusCode: number, rawHeaders: Buffer[], credentials: C) => void;
/** Called instead when no answer could be had; nothing has been written to the client. */
export type Fail = (err: GatewayError) => void;

const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/** The error answer for an attempt that got no answer: 504 for a timeout, else 502. */
function upstreamFailure(err: unknown, target: ForwardTarget): GatewayError {
  const code = (err as { code?: unknown }).code;
  // to the client and the log: any URL undici quotes without its credentials
  const message = quotableMessage(err instanceof Error ? err.message : String(err));
  // undici's messages do not always name the failure ("other side closed")
  const described = typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
  if (typeof code === 'string' && TIMEOUTS.has(code)) return new GatewayError('UpstreamTimeout', `Upstream ${target.label} did not answer in time: ${described}`, undefined, { cause: err });
  if (code === 'UND_ERR_INVALID_ARG') return new GatewayError('InputError', `Request cannot be forwarded: ${message}`);
  return new GatewayError('UpstreamError', `Failed during proxy request to ${target.label}: ${described}`, undefined, { cause: err });
}

/** Credentials that could not be had: the plugin's own error, or a 502 naming the failure. */
function credentialFailure(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('UpstreamError', `No credentials to forward with: ${quotableMessage((err as Error).message)}`, undefined, { cause: err });
}

const clientGone = (cause?: unknown) => new GatewayError('InputError', 'client went away', undefined, { cause });

/** The attempts of one request, one at a time; the owner of each attempt's Exchange. */
class Forwarding<T extends ForwardTarget, C> implements AttemptOwner {
  cancelled = false;
  private body: OutgoingBody = NO_BODY;
  private headers: Record<string, string | string[]> = {};
  private readonly started = Date.now();
  private retry = 0;
  /** The credentials the current attempt carries, and the attempt itself. */
  private credentials: C | undefined;
  private exchange: Exchange | undefined;
  /** Set by onHead for an answer dropped to be retried: its status, and the wait or the renewed credentials. */
  private droppedStatus = 0;
  private wait = 0;
  private renewal: Promise<C> | undefined;
  private renewed = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly forwarder: Forwarder<T, C>,
    private readonly method: string,
    private readonly res: ServerResponse,
    private readonly target: T,
    private readonly writeHead: WriteHead<C>,
    private readonly fail: Fail,
    /** The request's own logger: its warnings carry the request's id. */
    private readonly log: Pick<Logger, 'warn'>,
  ) {
    // 'close' comes once per response: on() spares once()'s wrapper
    res.on('close', this.onClose);
  }

  send(body: OutgoingBody, clientHeaders: IncomingMessage['headers']): void {
    this.body = body;
    const streamedLength = body.replayable ? undefined : body.length;
    this.headers = upstreamRequestHeaders(clientHeaders, streamedLength, body.replayable ? body.data !== undefined : true, this.forwarder.defaultContentType);
    this.attempt();
  }

  private attempt(): void {
    const credentials = this.forwarder.credentials.current();
    if (credentials instanceof Promise) this.attemptWhenHeld(credentials);
    else this.dispatch(credentials);
  }

  /** Credentials being fetched (a token being issued): the attempt waits for them, unless the client leaves. */
  private attemptWhenHeld(pending: Promise<C>): void {
    pending.then(
      (credentials) => (this.cancelled ? this.fail(clientGone()) : this.dispatch(credentials)),
      (err: unknown) => this.fail(credentialFailure(err)),
    );
  }

  private dispatch(credentials: C): void {
    const { forwarder, target, body } = this;
    this.credentials = credentials;
    this.headers.authorization = forwarder.credentials.authorization(credentials, this.method, target);
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
    const { credentials } = this.forwarder;
    if (credentials.renewAfter && !this.renewed) {
      const renewal = credentials.renewAfter(statusCode, this.credentials!);
      if (renewal) {
        this.renewed = true;
        if (this.body.replayable) {
          // awaited once the refusal is read (onDropped); a failure before then is not unhandled
          renewal.catch(() => {});
          this.renewal = renewal;
          return false;
        }
        // the body is spent: the refusal is the answer, and the next request has the new credentials
        renewal.catch((err: Error) => this.log.warn({ upstream: this.target.label, error: quotableMessage(err.message) }, 'renewing credentials the upstream refused failed'));
      }
    }
    this.writeHead(statusCode, rawHeaders, this.credentials!);
    return true;
  }

  onDropped(): void {
    const { renewal } = this;
    if (renewal) {
      this.renewal = undefined;
      if (this.cancelled) return this.fail(clientGone());
      return this.attemptWhenHeld(renewal);
    }
    this.log.warn({ upstream: this.target.label, statusCode: this.droppedStatus, retry: this.retry + 1, delayMs: Math.round(this.wait) }, 'upstream answered with a retryable status; retrying');
    this.retryAfter(this.wait, 'status');
  }

  onFailure(err: Error): void {
    if (this.cancelled) return this.fail(clientGone(err));
    const wait = this.body.replayable && retryableError(err) ? retryDelay(this.forwarder.retry, this.retry, Date.now() - this.started) : undefined;
    if (wait === undefined) {
      const failure = upstreamFailure(err, this.target);
      const { events } = this.forwarder;
      if (events && failure.code !== 'InputError') events.tally.count('upstream-error', events.plugin, failure.code === 'UpstreamTimeout' ? 'timeout' : 'connection');
      return this.fail(failure);
    }
    this.log.warn({ upstream: this.target.label, error: quotableMessage(err.message), retry: this.retry + 1, delayMs: Math.round(wait) }, 'upstream unreachable; retrying');
    this.retryAfter(wait, 'connection');
  }

  private retryAfter(wait: number, reason: 'status' | 'connection'): void {
    if (this.cancelled) return this.fail(clientGone());
    const { events } = this.forwarder;
    events?.tally.count('upstream-retry', events.plugin, reason);
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
      this.fail(clientGone());
    }
  };
}

/**
 * Forward the request: the answer's head goes to writeHead (its body then streams on by
 * itself), or, when no answer could be had, a GatewayError to fail.
 */
export function forward<T extends ForwardTarget, C>(forwarder: Forwarder<T, C>, req: IncomingMessage, res: ServerResponse, target: T, writeHead: WriteHead<C>, fail: Fail, log: Pick<Logger, 'warn'>): void {
  const forwarding = new Forwarding(forwarder, req.method ?? 'GET', res, target, writeHead, fail, log);
  if (!hasBody(req)) return forwarding.send(NO_BODY, req.headers);
  prepareBody(req, forwarder.bufferLimit).then(
    (body) => forwarding.send(body, req.headers),
    (err: Error) => fail(new GatewayError('InputError', `the request body could not be read: ${err.message}`)),
  );
}
