/**
 * Issuing on a thread of its own. The two DNS look-ups and the signing are most of a
 * credential's CPU after HTTP itself; on their own thread they run on another core beside the
 * event loop serving HTTP, which keeps the allow-list and the rate limiter (one per process, so
 * exact per address). Requests and answers cross as small messages matched by id.
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DnsCheckOptions } from './forward-confirmed-dns.js';
import type { HostCredentialPolicy, IssuedHostCredentials } from './host-credentials.js';

export interface IssuerSettings {
  dns: DnsCheckOptions;
  policy: HostCredentialPolicy;
}

export type IssueOutcome = { hostname: string; issued: IssuedHostCredentials } | { refusal: string };

export interface IssuerRequest {
  id: number;
  /** The client address as text (addresses.ts's addressText). */
  ip: string;
}

export type IssuerReply = { id: number; outcome: IssueOutcome } | { id: number; error: string };
/** A new policy (a configuration reload): requests sent after it are issued under it, those before under the old one. */
export interface PolicyUpdate {
  policy: HostCredentialPolicy;
}
/** The thread's first message: its code is loaded and it answers from now on. */
export const READY = 'ready';

/** The thread's entry: the same kind of file as this one, .js as built or .ts as source (tests, tsx). */
const SOURCE_EXTENSION = extname(fileURLToPath(import.meta.url));
const ENTRY = new URL(`./issuing-thread-worker${SOURCE_EXTENSION}`, import.meta.url);

function startWorker(settings: IssuerSettings): Worker {
  if (SOURCE_EXTENSION === '.js') return new Worker(ENTRY, { workerData: settings });
  // Node 20 does not give a worker the --import hooks of its process, so run as TypeScript the
  // thread registers tsx's loader itself before loading its entry.
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => tsx.register()).then(() => import(${JSON.stringify(ENTRY.href)}))`;
  return new Worker(bootstrap, { eval: true, workerData: settings });
}

interface Waiting {
  resolve(outcome: IssueOutcome): void;
  reject(err: Error): void;
}

/** A running worker, the requests it has not answered yet, and whether it has loaded. */
interface RunningWorker {
  worker: Worker;
  pending: Map<number, Waiting>;
  loaded: Promise<void>;
}

export class IssuingThread {
  settings: IssuerSettings;
  #running: RunningWorker | undefined;
  #nextId = 0;

  constructor(settings: IssuerSettings) {
    this.settings = settings;
  }

  /** Starts the thread; resolves once it answers (a gateway listens only then), rejects if it cannot start. */
  ready(): Promise<void> {
    return this.#start().loaded;
  }

  /** The host proven for `ip` and its credentials, or why there is none. */
  issue(ip: string): Promise<IssueOutcome> {
    const thread = this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      thread.worker.postMessage({ id, ip } satisfies IssuerRequest);
    });
  }

  /** Issue under `policy` from now on (a reload): every request sent after this call, the requests before it under the old one. */
  setPolicy(policy: HostCredentialPolicy): void {
    this.settings = { ...this.settings, policy };
    // a thread started later starts with it; the running one takes it in order with the requests
    this.#running?.worker.postMessage({ policy } satisfies PolicyUpdate);
  }

  async close(): Promise<void> {
    const thread = this.#running;
    this.#running = undefined;
    await thread?.worker.terminate();
  }

  /** The thread, started on first use and again after one died (its requests fail, later ones go to the new one). */
  #start(): RunningWorker {
    if (this.#running) return this.#running;
    let loaded!: { resolve(): void; reject(err: Error): void };
    const thread: RunningWorker = {
      worker: startWorker(this.settings),
      pending: new Map(),
      loaded: new Promise((resolve, reject) => (loaded = { resolve, reject })),
    };
    // nobody need be waiting for it: a thread that fails to start fails its requests too
    thread.loaded.catch(() => {});
    // Requests in flight keep the process alive, not an idle thread.
    thread.worker.unref();
    thread.worker.on('message', (reply: IssuerReply | typeof READY) => {
      if (reply === READY) return loaded.resolve();
      const waiting = thread.pending.get(reply.id);
      thread.pending.delete(reply.id);
      if ('outcome' in reply) waiting?.resolve(reply.outcome);
      else waiting?.reject(new Error(`issuing thread: ${reply.error}`));
    });
    const fail = (err: Error) => {
      if (this.#running === thread) this.#running = undefined;
      loaded.reject(err);
      for (const waiting of thread.pending.values()) waiting.reject(err);
      thread.pending.clear();
    };
    thread.worker.on('error', (err) => fail(new Error(`issuing thread failed: ${err.message}`)));
    thread.worker.on('exit', (code) => fail(new Error(`issuing thread exited with code ${code}`)));
    this.#running = thread;
    return thread;
  }
}
