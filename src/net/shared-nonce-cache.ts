/**
 * The Hawk nonce cache of replicas sharing Redis: a header accepted on one is refused on every
 * other for the whole window. One atomic `SET key <owner> NX PX <window>` per header decides: no
 * read-then-write that two replicas could interleave.
 *
 * The record names its owner, the Redis connection of the replica that took the header. A
 * balancer passes a request on to the next replica when the one it sent it to dies before
 * answering (nginx's `proxy_next_upstream error`), the very same header: a header is never
 * admitted twice, but a replica refusing one asks, then only, whether its owner's connection is
 * still open. Closed (the kernel closes a killed process's sockets as it dies), the request died
 * with its replica, and the refusal is `orphaned`, which clients retry with a fresh signature,
 * rather than a `replay`, which they do not.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { NONCE_WINDOW_MS, NonceCache, type NonceStore, type NonceVerdict } from '../core/hawk.js';
import type { SharedState } from './shared-state.js';

/** The owner of a header taken while this replica's connection id was not yet known: never orphaned. */
const UNKNOWN_OWNER = 'unknown';

/** The first wait before asking again whether an owner's connection is open; each next one doubles. */
const FIRST_RECHECK_MS = 10;

export class SharedNonceCache implements NonceStore {
  constructor(private readonly shared: SharedState, private readonly local = new NonceCache()) {}

  async admit(clientId: string, nonce: string, ts: string, now = Date.now()): Promise<NonceVerdict> {
    // this replica's own memory first: a replay it saw costs no round trip, and it keeps guarding
    // (with its per-client floor) while Redis is unavailable
    if (!this.local.admitNow(clientId, nonce, ts, now)) return 'replay';
    const key = `nonce:${JSON.stringify([clientId, nonce, ts])}`;
    const owner = this.shared.connectionId ?? UNKNOWN_OWNER;
    const admitted = await this.shared.run(async (redis) => (await redis.set(key, owner, 'PX', NONCE_WINDOW_MS, 'NX')) === 'OK', () => true);
    if (admitted) return 'admitted';
    // refused whatever comes next: how is asked apart, so that no failure of it can admit
    return this.shared.run((redis) => this.refusal(redis, key), () => 'replay');
  }

  /**
   * How to refuse the header recorded at `key`: orphaned when the connection that took it is
   * closed. Redis learns of a close when it reads it, which can be after the balancer has passed
   * the request on: an owner still connected is asked about again, each wait twice the last, for
   * as long as a Redis command may take (--redis-timeout-ms), before the header counts as a replay.
   */
  private async refusal(redis: Redis, key: string): Promise<NonceVerdict> {
    const owner = await redis.get(key);
    if (owner === null || !/^\d+$/.test(owner) || owner === this.shared.connectionId) return 'replay';
    for (let waited = 0, wait = FIRST_RECHECK_MS; ; waited += wait, wait *= 2) {
      if (!(await connected(redis, owner))) return 'orphaned';
      if (waited >= this.shared.timeoutMs) return 'replay';
      await sleep(Math.min(wait, this.shared.timeoutMs - waited));
    }
  }
}

/** Whether Redis has a connection `id`; this replica's own is, as it asks on it. */
async function connected(redis: Redis, id: string): Promise<boolean> {
  try {
    return (await redis.client('LIST', 'ID', id)) !== '';
  } catch (err) {
    // a Redis before 6.2 has no CLIENT LIST ID: an answer, not an outage (which would fail open).
    // ioredis imported here, as the shared state imports it (loaded already): a gateway without
    // Redis never loads it, and it costs as much start-up as Fastify (bench/results/startup-steps.md)
    if (err instanceof (await import('ioredis')).ReplyError) return true;
    throw err;
  }
}
