/**
 * One attempt at the upstream, on undici's dispatch API. When the answer's head arrives, the
 * attempt's owner says whether it is passed on (it then writes the head to the client itself);
 * the body then goes straight into the client's response chunk by chunk, with backpressure both
 * ways. No intermediate stream, promise, emitter or header object per request: this is the hot
 * path. A head not passed on (a retryable answer) has its body read to the end and dropped, so
 * the connection stays reusable.
 */
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';

/** Bytes of an answer held for a slow client before the upstream is paused. */
const RESPONSE_BUFFER_BYTES = 256 * 1024;

/** Who started the attempt, told how it ends: a head passed on, or onDropped, or onFailure. */
export interface AttemptOwner {
  /** True once the client has gone away: the attempt is aborted as soon as it can be. */
  readonly cancelled: boolean;
  /** The answer's head: true when it was passed on (written to the client), false to drop it. */
  onHead(statusCode: number, rawHeaders: Buffer[]): boolean;
  /** A dropped answer has been read to its end; its connection is free for another attempt. */
  onDropped(): void;
  /** No head was passed on: the upstream could not be reached, timed out, or broke off. */
  onFailure(err: Error): void;
}

export class Exchange implements Dispatcher.DispatchHandler {
  private passing = false;
  private abortUpstream: ((err?: Error) => void) | undefined;
  /** undici's resume of the upstream's reading, which is also the 'drain' listener. */
  private resumeUpstream: (() => void) | undefined;
  private corked = false;
  private readonly uncork = () => {
    if (!this.corked) return;
    this.corked = false;
    this.res.uncork();
  };

  constructor(
    private readonly res: ServerResponse,
    private readonly owner: AttemptOwner,
  ) {}

  /** The client went away: stop the upstream request (at once, or as soon as it connects). */
  abort(): void {
    this.abortUpstream?.(new Error('client went away'));
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstream = abort;
    if (this.owner.cancelled) abort(new Error('client went away'));
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    this.resumeUpstream = resume;
    this.passing = this.owner.onHead(statusCode, rawHeaders);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (!this.passing) return true;
    if (!this.corked) {
      // what arrives in one read goes out in one write: the head and the body so far
      this.corked = true;
      this.res.cork();
      process.nextTick(this.uncork);
    }
    this.res.write(chunk);
    // reading goes on while the client's side holds less than this, so the two sockets work
    // side by side instead of in lockstep; beyond it, reading waits for the next 'drain'
    if (this.res.writableLength < RESPONSE_BUFFER_BYTES) return true;
    this.res.once('drain', this.resumeUpstream!);
    return false;
  }

  onComplete(): void {
    this.stopWaitingForDrain();
    if (this.passing) {
      // uncorked before the end: on Node 22 an answer ended while corked loses its last writes
      this.uncork();
      this.res.end();
    } else this.owner.onDropped();
  }

  onError(err: Error): void {
    this.stopWaitingForDrain();
    // once the head is out, all that can still be said is that the answer broke off
    if (this.passing) this.res.destroy(err);
    else this.owner.onFailure(err);
  }

  private stopWaitingForDrain(): void {
    if (this.resumeUpstream) this.res.off('drain', this.resumeUpstream);
  }
}
