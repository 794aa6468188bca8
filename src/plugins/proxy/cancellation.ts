/**
 * A client going away before its answer is complete cancels what is done for it: the upstream
 * request (undici takes any emitter of 'abort' as its signal) and any wait before a retry.
 * A plain emitter, because an AbortController per request costs more than the rest of the
 * request's own bookkeeping (it builds a DOMException when fired, an EventTarget when made).
 */
import { EventEmitter } from 'node:events';

export class Cancellation extends EventEmitter<{ abort: [] }> {
  aborted = false;

  cancel(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.emit('abort');
  }
}

/** Resolves after ms, or rejects at once when cancelled. */
export function delay(ms: number, cancellation: Cancellation): Promise<void> {
  return new Promise((resolve, reject) => {
    if (cancellation.aborted) return reject(new Error('cancelled'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('cancelled'));
    };
    const timer = setTimeout(() => {
      cancellation.off('abort', onAbort);
      resolve();
    }, ms);
    cancellation.once('abort', onAbort);
  });
}
