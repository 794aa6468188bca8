/**
 * @fastify/rate-limit's store for replicas sharing Redis: every limit counts across them, through
 * the library's own RedisStore (one Lua INCR and PEXPIRE per request). The library's in-process
 * LocalStore counts too, and answers while Redis is unavailable (SharedState.run), so a replica
 * then still limits on what it has seen itself.
 */
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor, RateLimitOptions } from '@fastify/rate-limit';
import LocalStore from '@fastify/rate-limit/store/LocalStore.js';
import RedisStore from '@fastify/rate-limit/store/RedisStore.js';
import type { SharedState } from '../net/shared-state.js';

type Count = { current: number; ttl: number };
type Incr = FastifyRateLimitStore['incr'];

function count(store: FastifyRateLimitStore, key: string, timeWindow: number, max: number): Promise<Count> {
  return new Promise((resolve, reject) => store.incr(key, (err, result) => (err ? reject(err) : resolve(result!)), timeWindow, max));
}

class SharedStore implements FastifyRateLimitStore {
  constructor(private readonly shared: SharedState, private readonly redis: FastifyRateLimitStore, private readonly local: FastifyRateLimitStore) {}

  incr(key: string, callback: Parameters<Incr>[1], timeWindow: number, max: number): void {
    let here: Count | undefined;
    // LocalStore answers synchronously
    this.local.incr(key, (_err, result) => (here = result), timeWindow, max);
    this.shared.run(() => count(this.redis, key, timeWindow, max), () => here!).then((result) => callback(null, result), (err: Error) => callback(err));
  }

  child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
    return new SharedStore(this.shared, this.redis.child(routeOptions), this.local.child(routeOptions));
  }
}

/** The `store` option of @fastify/rate-limit, counting in `shared`. */
export function sharedRateLimitStore(shared: SharedState): FastifyRateLimitStoreCtor {
  return class extends SharedStore {
    // the library hands its settings, continueExceeding and exponentialBackoff among them; its types say less
    constructor(options: object) {
      const { continueExceeding = false, exponentialBackoff = false } = options as RateLimitOptions;
      super(shared, new RedisStore(continueExceeding, exponentialBackoff, shared.client, 'rate-limit:'), new LocalStore(continueExceeding, exponentialBackoff));
    }
  };
}
