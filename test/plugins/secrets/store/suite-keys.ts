/** Keys: rotation, unknown keys, rows bound to their identity, nothing stored in plaintext; gateways agreeing on keys in suite-rotation.ts. */
import type { Test } from 'tap';
import { DecryptionError, generateKey } from '../../../../src/plugins/secrets/store/index.js';
import type { StoreBackend } from './backend.js';
import { freshStore, inMinutes, storeOn } from './fixtures.js';
import { rotationSuite } from './suite-rotation.js';

export function keysSuite(t: Test, backend: StoreBackend): void {
  rotationSuite(t, backend);

  t.test('rotate keys: old rows read, rotation rewrites them, then the old key can go', async (t) => {
    const { db, keys: oldRing, store: oldStore } = await freshStore(t, backend);
    const [oldKey, newKey] = [oldRing.keys[0]!, generateKey()];
    // More rows than one rotation batch (100), so rotation pages.
    const bulk = Array.from({ length: 110 }, (_, i) => `bulk/${i}`);
    for (const name of ['a', 'b/c', 'd', ...bulk]) await oldStore.put(name, { name }, inMinutes(5), 'c');
    const pending = await oldStore.createBootstrap({ boot: 1 }, inMinutes(5), 'p');

    const both = await storeOn(t, db, { keys: [oldKey, newKey] });
    t.same((await both.get('b/c'))?.secret, { name: 'b/c' }, 'rows under the old key still read');
    await both.put('e', { name: 'e' }, inMinutes(5), 'c');
    t.equal(await both.rotateKeys(), 114, '113 secrets and one bootstrap entry rewritten; the new row was already current');
    t.equal(await both.rotateKeys(), 0, 'nothing left under the old key');

    const newOnly = await storeOn(t, db, { keys: [newKey] });
    for (const name of ['a', 'b/c', 'd', 'e', bulk[0]!, bulk[109]!]) t.same((await newOnly.get(name))?.secret, { name }, `${name} reads with the new key alone`);
    t.same(await newOnly.claimBootstrap(pending), { boot: 1 }, 'bootstrap entries were rotated too');

    await t.rejects(oldStore.get('a'), { name: 'DecryptionError', message: /secret "a" is encrypted with key id ".+", which is not in the secrets keys file/ },
      'a ring without the key in use names the missing key id');
  });

  t.test('a ciphertext moved to another row does not decrypt', async (t) => {
    const { db, store } = await freshStore(t, backend);
    await store.put('victim', { v: 'victim' }, inMinutes(5), 'c');
    await store.put('attacker', { v: 'attacker' }, inMinutes(5), 'c');
    const secrets = db.table('secrets');
    await db.sql(`UPDATE ${secrets} SET value = (SELECT value FROM ${secrets} WHERE name = 'attacker'), ` +
      `key_id = (SELECT key_id FROM ${secrets} WHERE name = 'attacker') WHERE name = 'victim'`);
    const err = await store.get('victim').then(() => undefined, (e: unknown) => e);
    t.ok(err instanceof DecryptionError, 'DecryptionError');
    t.match((err as Error).message, /secret "victim" fails authentication/);
    t.notMatch((err as Error).message, /attacker/, 'no value in the message');
  });

  t.test('nothing is stored in plaintext', async (t) => {
    const { db, store } = await freshStore(t, backend);
    const secretValue = 'correct-horse-battery-staple-4f2a';
    const bootstrapValue = 'bootstrap-access-token-9c1e';
    await store.put('plain/check', { password: secretValue }, inMinutes(5), 'c');
    const token = await store.createBootstrap({ accessToken: bootstrapValue }, inMinutes(5), 'p');
    const stored = await db.storedText();
    t.ok(stored.includes('plain/check'), 'the dump does see stored rows (names are plain)');
    t.notOk(stored.includes(secretValue), 'no secret value');
    t.notOk(stored.includes('password'), 'not even its keys');
    t.notOk(stored.includes(bootstrapValue), 'no bootstrap data');
    t.notOk(stored.includes(token), 'no bootstrap token, only its hash');
  });
}
