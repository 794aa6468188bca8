/**
 * One attempt at the upstream, on undici's dispatch API. When the answer's head arrives,
 * `onHead` says whether it is passed on (it then writes the head to the client itself); the
 * body then goes straight into the client's response chunk by chunk, with backpressure both
 * ways. No intermediate stream, promise or header object per request: this is the hot path.
 * A head not passed on (a retryable answer) has its body read to the end and dropped, so the
 * connection stays reusable.
 */
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Cancellation } from './cancellation.js';

/** Bytes of an answer held for a slow client before the upstream is paused. */
const RESPONSE_BUFFER_BYTES = 256 * 1024;

/** 'answered': the head went to the client; 'dropped': the answer was read and dropped. */
export type AttemptOutcome = 'answered' | 'dropped';

export class Exchange implements Dispatcher.DispatchHandler {
  readonly outcome: Promise<AttemptOutcome>;
  private settle!: (outcome: AttemptOutcome) => void;
  private fail!: (err: Error) => void;
  private settled = false;
  private passing = false;
  private abortUpstream: ((err?: Error) => void) | undefined;
  private resumeUpstream: (() => void) | undefined;
  private readonly onCancel = () => this.abortUpstream?.(new Error('client went away'));
  private readonly onDrain = () => this.resumeUpstream?.();
  private corked = false;
  private readonly uncork = () => {
    this.corked = false;
    this.res.uncork();
  };

  constructor(
    private readonly res: ServerResponse,
    private readonly cancellation: Cancellation,
    private readonly onHead: (statusCode: number, rawHeaders: Buffer[]) => boolean,
  ) {
    this.outcome = new Promise<AttemptOutcome>((resolve, reject) => {
      this.settle = resolve;
      this.fail = reject;
    });
    cancellation.once('abort', this.onCancel);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.cancellation.aborted) abort(new Error('client went away'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    this.resumeUpstream = resume;
    this.passing = this.onHead(statusCode, rawHeaders);
    if (this.passing) {
      this.res.on('drain', this.onDrain);
      this.done('answered');
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (!this.passing) return true;
    if (!this.corked) {
      // what arrives in one read goes out in one write: head, body and (for a small answer,
      // which completes in the same read) the end, instead of a separate empty write for it
      this.corked = true;
      this.res.cork();
      process.nextTick(this.uncork);
    }
    this.res.write(chunk);
    // reading goes on while the client's side holds less than this, so the two sockets work
    // side by side instead of in lockstep; beyond it, reading waits for the next 'drain'
    return this.res.writableLength < RESPONSE_BUFFER_BYTES;
  }

  onComplete(): void {
    this.release();
    if (this.passing) this.res.end();
    else this.done('dropped');
  }

  onError(err: Error): void {
    this.release();
    if (!this.settled) {
      this.settled = true;
      this.fail(err);
    } else if (this.passing) {
      // the head is out: all that can still be said is that the answer broke off
      this.res.destroy(err);
    }
  }

  private done(outcome: AttemptOutcome): void {
    this.settled = true;
    this.settle(outcome);
  }

  private release(): void {
    this.cancellation.off('abort', this.onCancel);
    this.res.off('drain', this.onDrain);
  }
}
