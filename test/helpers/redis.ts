/**
 * The machine's real Redis (127.0.0.1:6379) for the tests of --redis-url: each test writes under
 * its own key prefix, and its keys are deleted when it ends.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Test } from 'tap';

export const REDIS = { host: '127.0.0.1', port: 6379 };

/** A client on the prefix's keys (closed when the test ends), and the prefix for --redis-key-prefix. */
export function redisForTest(t: Test): { prefix: string; redis: Redis } {
  const prefix = `gateway-test:${randomBytes(6).toString('hex')}:`;
  const redis = new Redis({ ...REDIS, keyPrefix: prefix });
  t.teardown(async () => {
    // KEYS takes the whole name; DEL adds the prefix back
    const keys = (await redis.keys(`${prefix}*`)).map((key) => key.slice(prefix.length));
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });
  return { prefix, redis };
}
