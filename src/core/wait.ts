/**
 * Waiting at start for a service the program must reach before it can serve (the queue holding
 * a task, the auth service, the database): attempts with exponential backoff; once the service is
 * not there at once, one log line saying what is awaited and for how long; and WaitExpired naming
 * it and the last failure once the bound has passed (the bins exit 2 with that line).
 */
import { quotableMessage } from './url-credentials.js';

/** The bound passed without an answer: the program cannot serve. */
export class WaitExpired extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WaitExpired';
  }
}

export interface WaitOptions {
  /** What is awaited, in words: "the queue at https://tc.example.com for task abc". */
  what: string;
  /** No attempt starts after this long, and one still running then is cut; 0 (or not a number) = one attempt, uncut. */
  boundMs: number;
  log: { info(fields: object, message: string): void };
  /** Failures worth another attempt (an outage); any other is thrown at once. Default: every failure. */
  retryable?(err: unknown): boolean;
  /** First pause between attempts, doubling up to maxIntervalMs. */
  initialMs?: number;
  maxIntervalMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An attempt still running at the bound. */
class NoAnswer extends Error {}

/** One attempt, cut (its signal aborted) when the bound passes, whether or not it heeds the signal. */
async function bounded<T>(attempt: (signal: AbortSignal) => Promise<T>, leftMs: number): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new NoAnswer('no answer'));
    }, leftMs);
  });
  try {
    return await Promise.race([attempt(controller.signal), expiry]);
  } finally {
    clearTimeout(timer);
  }
}

/** The first answer of `attempt`, retried until `boundMs` has passed; each attempt gets a signal aborted at the bound. */
export async function waitFor<T>(attempt: (signal: AbortSignal) => Promise<T>, options: WaitOptions): Promise<T> {
  const { what, log } = options;
  const boundMs = Number.isFinite(options.boundMs) ? Math.max(0, options.boundMs) : 0;
  if (boundMs === 0) return attempt(new AbortController().signal);
  const seconds = `${+(boundMs / 1000).toFixed(1)} s`;
  // one line once the service is not there at once: the first attempt failed, or is still out after a second
  let announced = false;
  const announce = () => {
    if (!announced) log.info({ waitingFor: what, boundMs }, `waiting for ${what} (at most ${seconds})`);
    announced = true;
  };
  const slow = setTimeout(announce, Math.min(ANNOUNCE_AFTER_MS, boundMs));
  try {
    return await attempts(attempt, { ...options, boundMs }, seconds, announce);
  } finally {
    clearTimeout(slow);
  }
}

/** How long a first attempt may take before the wait is announced. */
const ANNOUNCE_AFTER_MS = 1000;

async function attempts<T>(attempt: (signal: AbortSignal) => Promise<T>, options: WaitOptions, seconds: string, announce: () => void): Promise<T> {
  const { what, boundMs, retryable = () => true, initialMs = 250, maxIntervalMs = 5_000 } = options;
  const deadline = Date.now() + boundMs;
  let pause = initialMs;
  let failure: unknown;
  for (;;) {
    try {
      return await bounded(attempt, Math.max(1, deadline - Date.now()));
    } catch (err) {
      if (!(err instanceof NoAnswer) && !retryable(err)) throw err;
      // a cut attempt says less than the failure before it
      if (!(err instanceof NoAnswer) || failure === undefined) failure = err;
      announce();
    }
    const left = deadline - Date.now();
    // the last failure may be fetch's, which quotes the URL it was given whole, or an upstream's answer quoting one
    if (left <= 0) throw new WaitExpired(`gave up waiting for ${what} after ${seconds}: ${quotableMessage((failure as Error).message)}`, { cause: failure });
    await sleep(Math.min(pause, left));
    pause = Math.min(pause * 2, maxIntervalMs);
  }
}
