/**
 * Checks of the secrets read cache across replicas (issue 16 §2), shared by the cache's own test
 * (test/plugins/secrets/read-cache.test.ts) and the multi-replica test (test/replicas): what a
 * replica answers for a secret, polled within the 1 s bound, and waiting for the replicas'
 * LISTEN connections.
 */
import type { Test } from 'tap';
import type taskcluster from 'taskcluster-client';
import { listenerName } from '../../../src/plugins/secrets/store/postgres-listener.js';
import { withClient as withAdmin } from './store/postgres-backend.js';
export { withClient as withAdmin } from './store/postgres-backend.js';

export type Secrets = InstanceType<typeof taskcluster.Secrets>;
export const NAME = 'project/foo/cached';
export const BOUND_MS = 1000;

/** The secret's `v`, or 'absent' (404). */
export async function valueOn(secrets: Secrets, name = NAME): Promise<unknown> {
  try {
    return (await secrets.get(name)).secret.v;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return 'absent';
    throw err;
  }
}

/** Polls until `secrets` answers `expected`, for at most BOUND_MS, and asserts it did. */
export async function seenWithin(t: Test, secrets: Secrets, expected: unknown, what: string, name = NAME): Promise<void> {
  const started = Date.now();
  let last: unknown;
  while ((last = await valueOn(secrets, name)) !== expected && Date.now() - started <= BOUND_MS) await new Promise((r) => setTimeout(r, 10));
  t.equal(last, expected, `${what}: seen within ${BOUND_MS} ms (took ${Date.now() - started} ms)`);
}

/** Waits until `count` replicas' LISTEN connections on `schema` are open (they connect in the background). */
export async function listening(schema: string, count: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const { rows: [row] } = await withAdmin((c) => c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND query ~ '^(LISTEN|SELECT 1)'`, [listenerName(schema)]));
    if (row!.n === count) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${count} listeners on ${schema} never appeared`);
}

/**
 * Reads `name` on `replica` once the notification of the change just made has surely arrived:
 * a read that was under way when a notification came fills no cache (read-cache.ts), so only a
 * read after it is kept.
 */
export async function cache(replica: Secrets, name = NAME): Promise<unknown> {
  await new Promise((r) => setTimeout(r, 200));
  return valueOn(replica, name);
}
