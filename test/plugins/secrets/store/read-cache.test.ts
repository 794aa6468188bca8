// The read cache at the store: hot reads are answered from memory (counted as hits), a change
// made through another connection to the same database (another process, another replica) is
// seen (SQLite: at once, through its change counter; PostgreSQL: through NOTIFY, within 1 s),
// a change made through the caching store at once; expiry comes from the cached record;
// bootstrap entries never pass through it; both bounds hold.
import t, { type Test } from 'tap';
import { generateKey, openSecretStore, READ_CACHE_DEFAULTS, type KeyedSecretStore, type KeyRing, type ReadCacheOptions, type ReadCacheStats } from '../../../../src/plugins/secrets/store/index.js';
import type { FreshDatabase, StoreBackend } from './backend.js';
import { inMinutes, storeOn } from './fixtures.js';
import { postgresBackend, requirePostgres } from './postgres-backend.js';
import { sqliteBackend } from './sqlite-backend.js';

await requirePostgres();

async function cachingStore(t: Test, db: FreshDatabase, keys: KeyRing, cache: Partial<ReadCacheOptions> = {}): Promise<KeyedSecretStore> {
  const store = await openSecretStore(db.url, keys, { ...db.options, cache: { ...READ_CACHE_DEFAULTS, ...cache } });
  t.teardown(() => store.close());
  return store;
}

const stats = (store: KeyedSecretStore): ReadCacheStats => ({ ...store.cacheStats! });

/** Reads until `name` is answered from the cache (PostgreSQL's listener connects in the background). */
async function untilCached(store: KeyedSecretStore, name: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const before = store.cacheStats!.hits;
    await store.get(name);
    if (store.cacheStats!.hits > before) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${name} never came from the cache`);
}

/** Reads until `check` holds, at most `boundMs`; returns how long it took. */
async function within(boundMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > boundMs) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
}

for (const backend of [sqliteBackend, postgresBackend] as StoreBackend[]) {
  t.test(`${backend.name}: hot reads from memory, changes from another connection and from itself seen`, async (t) => {
    const db = await backend.fresh(t);
    const keys: KeyRing = { keys: [generateKey()] };
    const cached = await cachingStore(t, db, keys);
    const other = await storeOn(t, db, keys);
    await other.put('a', { v: 1 }, inMinutes(10), 'other');
    await untilCached(cached, 'a');
    const before = stats(cached);
    t.same((await cached.get('a'))?.secret, { v: 1 });
    t.same(stats(cached), { ...before, hits: before.hits + 1 }, 'answered from the cache');

    await other.put('a', { v: 2 }, inMinutes(10), 'other');
    if (backend.name === 'sqlite') {
      t.same((await cached.get('a'))?.secret, { v: 2 }, 'another connection\'s change seen at once (the wal-index commit counter)');
    } else {
      const took = await within(1000, async () => (await cached.get('a'))?.secret.v === 2);
      t.ok(took <= 1000, `another connection's change seen within 1 s (NOTIFY): ${took} ms`);
    }
    await untilCached(cached, 'a');
    await cached.put('a', { v: 3 }, inMinutes(10), 'self');
    t.same((await cached.get('a'))?.secret, { v: 3 }, 'its own change seen at once');
    await untilCached(cached, 'a');
    await other.remove('a', 'other');
    const gone = await within(1000, async () => (await cached.get('a')) === undefined);
    t.ok(gone <= 1000, `a removal by another connection seen within 1 s: ${gone} ms`);
  });

  t.test(`${backend.name}: expiry from the cached record; bootstrap entries never cached`, async (t) => {
    const db = await backend.fresh(t);
    const keys: KeyRing = { keys: [generateKey()] };
    const cached = await cachingStore(t, db, keys);
    const expires = inMinutes(1);
    await cached.put('soon', { v: 1 }, expires, 'self');
    await untilCached(cached, 'soon');
    const before = stats(cached);
    t.equal(await cached.get('soon', new Date(expires.getTime() + 1)), undefined, 'past its expiry: absent');
    t.same(stats(cached), { ...before, misses: before.misses + 1 }, 'the cached record said so (a miss, no hit)');

    const token = await cached.createBootstrap({ once: true }, inMinutes(5), 'self');
    const beforeClaims = stats(cached);
    t.same(await cached.claimBootstrap(token), { once: true });
    t.equal(await cached.claimBootstrap(token), undefined, 'claimed once only');
    t.same(stats(cached), beforeClaims, 'claims never touch the cache');
  });

  t.test(`${backend.name}: bounded by count and bytes; off with 0 entries`, async (t) => {
    const db = await backend.fresh(t);
    const keys: KeyRing = { keys: [generateKey()] };
    const byCount = await cachingStore(t, db, keys, { entries: 2 });
    for (const name of ['a', 'b', 'c']) {
      await byCount.put(name, { name }, inMinutes(10), 'self');
      await untilCached(byCount, name);
    }
    const before = stats(byCount);
    await byCount.get('a');
    t.equal(stats(byCount).misses, before.misses + 1, 'the least recently used one went');

    const bySize = await cachingStore(t, db, keys, { maxBytes: 1000 });
    await bySize.put('big', { blob: 'x'.repeat(2000) }, inMinutes(10), 'self');
    await bySize.put('small', { v: 1 }, inMinutes(10), 'self');
    await untilCached(bySize, 'small');
    const sizeBefore = stats(bySize);
    t.same((await bySize.get('big'))?.secret, { blob: 'x'.repeat(2000) });
    t.same((await bySize.get('big'))?.secret, { blob: 'x'.repeat(2000) });
    t.equal(stats(bySize).hits, sizeBefore.hits, 'a value over the byte bound is never kept');

    const off = await cachingStore(t, db, keys, { entries: 0 });
    t.equal(off.cacheStats, undefined, 'no cache');
    t.same((await off.get('small'))?.secret, { v: 1 });
  });
}
