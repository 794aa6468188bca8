/**
 * The one SecretStore suite, run against every backend: secrets, expiry, paging and audit here;
 * bootstrap and concurrency in suite-bootstrap.ts; keys, rotation and plaintext in suite-keys.ts.
 */
import type { Test } from 'tap';
import { generateKey } from '../../../../src/plugins/secrets/store/index.js';
import type { StoreBackend } from './backend.js';
import { freshStore, inMinutes, storeOn } from './fixtures.js';
import { bootstrapSuite } from './suite-bootstrap.js';
import { keysSuite } from './suite-keys.js';

/** Byte order of the UTF-8 encoding: what both databases sort names by. */
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

export function storeSuite(t: Test, backend: StoreBackend): void {
  t.test('put, get, replace, remove', async (t) => {
    const { store } = await freshStore(t, backend);
    const expires = inMinutes(10);
    t.equal(await store.put('project/foo/bar', { password: 'one' }, expires, 'client-a'), 'created');
    t.same(await store.get('project/foo/bar'), { name: 'project/foo/bar', secret: { password: 'one' }, expires });
    t.equal(await store.put('project/foo/bar', { password: 'two', nested: { list: [1, true, null] } }, inMinutes(20), 'client-b'), 'updated');
    t.same((await store.get('project/foo/bar'))?.secret, { password: 'two', nested: { list: [1, true, null] } });
    t.equal(await store.get('project/foo'), undefined, 'a prefix is another name');
    t.equal(await store.remove('project/foo/bar', 'client-c'), true);
    t.equal(await store.get('project/foo/bar'), undefined);
    t.equal(await store.remove('project/foo/bar', 'client-c'), false, 'removing a missing secret');
  });

  t.test('names are any string', async (t) => {
    const { store } = await freshStore(t, backend);
    const names = ['', 'a b', 'x%2Fy', 'ünïcødé/名前', "quote'\"", 'dots/../..', 'a'.repeat(500)];
    for (const name of names) await store.put(name, { name }, inMinutes(5), 'c');
    for (const name of names) t.same((await store.get(name))?.secret, { name }, JSON.stringify(name.slice(0, 40)));
    t.same((await store.list({ limit: 100 })).items, [...names].sort(byBytes), 'all listed');
  });

  t.test('expiry: get never returns an expired secret; the sweep deletes and audits it', async (t) => {
    const { store } = await freshStore(t, backend);
    const now = new Date();
    await store.put('past', { v: 1 }, new Date(now.getTime() - 1), 'writer');
    await store.put('soon', { v: 2 }, inMinutes(1, now), 'writer');
    await store.put('later', { v: 3 }, inMinutes(60, now), 'writer');
    t.equal(await store.get('past'), undefined, 'already expired');
    t.ok(await store.get('soon'), 'live now');
    t.equal(await store.get('soon', inMinutes(1, now)), undefined, 'expired at its expiry time');
    t.equal(await store.put('past', { v: 4 }, inMinutes(5, now), 'writer'), 'created', 'replacing an expired secret creates it');
    await store.put('past', { v: 1 }, new Date(now.getTime() - 1), 'writer');

    const sweptAt = inMinutes(2, now);
    t.equal(await store.sweepExpired('gateway-client', sweptAt), 2, 'two expired secrets deleted');
    t.equal(await store.sweepExpired('gateway-client', sweptAt), 0, 'nothing left to sweep');
    t.same((await store.list({ limit: 10 })).items, ['later']);
    const history = (await store.auditHistory('soon', { limit: 10 })).items;
    t.same(history.map((e) => [e.action, e.clientId]), [['created', 'writer'], ['expired', 'gateway-client']]);
    t.equal(history[1]!.time.getTime(), sweptAt.getTime(), 'the expired row is stamped with the sweep time');
  });

  t.test('list pages through every name once, in a stable order', async (t) => {
    const { store } = await freshStore(t, backend);
    t.same(await store.list({ limit: 5 }), { items: [] }, 'empty store, no token');
    const names = Array.from({ length: 23 }, (_, i) => `project/${i % 3 ? 'a' : 'Z'}/${String(i).padStart(2, '0')}${i % 5 ? '' : 'é'}`);
    for (const name of [...names].reverse()) await store.put(name, { i: name }, inMinutes(5), 'c');
    const seen: string[] = [];
    let continuationToken: string | undefined;
    let pages = 0;
    do {
      const page = await store.list({ limit: 5, ...(continuationToken ? { continuationToken } : {}) });
      t.ok(page.items.length <= 5, 'at most limit names');
      seen.push(...page.items);
      continuationToken = page.continuationToken;
      pages += 1;
    } while (continuationToken);
    t.same(seen, [...names].sort(byBytes), 'every name once, in byte order');
    t.equal(pages, 5, '23 names in pages of 5, the last without a token');
    t.same((await store.list({ limit: 23 })).continuationToken, undefined, 'exact fit: no token');
    await t.rejects(store.list({ limit: 5, continuationToken: 'not-a-token' }), { code: 'InputError' });
  });

  t.test('audit history: created, updated, deleted, with who and when, paged', async (t) => {
    const { store } = await freshStore(t, backend);
    const before = Date.now();
    await store.put('s', { v: 1 }, inMinutes(5), 'alice');
    await store.put('s', { v: 2 }, inMinutes(5), 'bob');
    await store.put('other', { v: 0 }, inMinutes(5), 'mallory');
    await store.remove('s', 'carol');
    await store.put('s', { v: 3 }, inMinutes(5), 'dave');
    const first = await store.auditHistory('s', { limit: 3 });
    t.ok(first.continuationToken, 'more to come');
    const second = await store.auditHistory('s', { limit: 3, continuationToken: first.continuationToken! });
    t.equal(second.continuationToken, undefined);
    const entries = [...first.items, ...second.items];
    t.same(entries.map((e) => [e.name, e.action, e.clientId]),
      [['s', 'created', 'alice'], ['s', 'updated', 'bob'], ['s', 'deleted', 'carol'], ['s', 'created', 'dave']]);
    for (const e of entries) t.ok(e.time instanceof Date && e.time.getTime() >= before - 1000 && e.time.getTime() <= Date.now() + 1000, 'time is now');
    t.same(await store.auditHistory('never', { limit: 3 }), { items: [] });
  });

  t.test('several stores opening one new database at once (replicas starting)', async (t) => {
    const db = await backend.fresh(t);
    const keys = { keys: [generateKey()] };
    const stores = await Promise.all([1, 2, 3, 4].map(() => storeOn(t, db, keys)));
    await stores[0]!.put('shared', { v: 1 }, inMinutes(5), 'c');
    for (const store of stores) t.same((await store.get('shared'))?.secret, { v: 1 }, 'each sees the write');
  });

  bootstrapSuite(t, backend);
  keysSuite(t, backend);
}
