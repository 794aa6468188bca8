/**
 * Gateways sharing a database agree on keys (store/key-agreement.ts): each publishes its ring;
 * a new key encrypts only once every live gateway holds it; a ring lacking a key in use is
 * refused; rotation waits for every live gateway; entries of gateways gone expire.
 */
import type { Test } from 'tap';
import { generateKey, type EncryptionKey, type KeyedSecretStore } from '../../../../src/plugins/secrets/store/index.js';
import type { FreshDatabase, StoreBackend } from './backend.js';
import { gatewayStoreOn, inMinutes, storeOn } from './fixtures.js';

const ring = (...keys: EncryptionKey[]) => ({ keys });
const named = (id: string): EncryptionKey => ({ ...generateKey(), id });

/** Rows per key id, as keyStatus counts them. */
async function rowsPerKey(store: KeyedSecretStore): Promise<Record<string, number>> {
  return Object.fromEntries((await store.keyStatus()).usage.map((u) => [u.keyId, u.rows]));
}

/** Which key a new row written through `store` is sealed with. */
async function keyOfNewRow(store: KeyedSecretStore, name: string): Promise<string> {
  const before = await rowsPerKey(store);
  await store.put(name, { name }, inMinutes(5), 'c');
  const after = await rowsPerKey(store);
  const grown = Object.keys(after).filter((id) => after[id]! > (before[id] ?? 0));
  if (grown.length !== 1) throw new Error(`expected one key to grow, got ${JSON.stringify({ before, after })}`);
  return grown[0]!;
}

async function twoGateways(t: Test, backend: StoreBackend) {
  const db = await backend.fresh(t);
  const [k1, k2] = [named('k1'), named('k2')];
  const a = await gatewayStoreOn(t, db, ring(k1), 'gateway-a');
  const b = await gatewayStoreOn(t, db, ring(k1), 'gateway-b');
  return { db, k1, k2, a, b };
}

async function expireEntry(db: FreshDatabase, gatewayId: string): Promise<void> {
  // Its last heartbeat's time: past on either database's clock.
  await db.sql(`UPDATE ${db.table('secrets_gateway_rings')} SET expires = seen WHERE gateway_id = '${gatewayId}'`);
}

export function rotationSuite(t: Test, backend: StoreBackend): void {
  t.test('a new key encrypts only once every live gateway holds it', async (t) => {
    const { k1, k2, a, b } = await twoGateways(t, backend);
    t.same((await a.keyStatus()).gateways.map((g) => [g.gatewayId, g.keyIds, g.writeKeyId]),
      [['gateway-a', ['k1'], 'k1'], ['gateway-b', ['k1'], 'k1']], 'both gateways published their rings');
    await a.useKeys(ring(k1, k2));
    t.equal(await keyOfNewRow(a, 'from-a-1'), 'k1', 'A holds k2 but B does not: A keeps writing k1');
    t.same((await b.get('from-a-1'))?.secret, { name: 'from-a-1' }, 'so B reads what A wrote');
    await b.useKeys(ring(k1, k2));
    t.equal(await keyOfNewRow(b, 'from-b'), 'k2', 'B reloads after A: every live gateway holds k2');
    t.same((await a.get('from-b'))?.secret, { name: 'from-b' });
    t.equal(await keyOfNewRow(a, 'from-a-2'), 'k1', 'A has not seen B reload yet');
    await a.publishRing();
    t.equal(await keyOfNewRow(a, 'from-a-3'), 'k2', 'after its heartbeat, A writes k2 too');
    t.same((await a.keyStatus()).gateways.map((g) => [g.gatewayId, g.keyIds, g.writeKeyId]),
      [['gateway-a', ['k1', 'k2'], 'k2'], ['gateway-b', ['k1', 'k2'], 'k2']]);
  });

  t.test('a ring lacking a key that rows use is refused, the old ring kept; also at open', async (t) => {
    const { db, k2, a } = await twoGateways(t, backend);
    await a.put('old', { v: 1 }, inMinutes(5), 'c');
    await t.rejects(a.useKeys(ring(k2)), { name: 'ConfigError', message:
      'key ring "k2" refused: key id "k1" still encrypts 1 stored row; gateway gateway-b still encrypts new rows with key id "k1". ' +
      'Keep every such key until secrets rotate-keys has moved its rows' });
    t.same(a.keyIds, ['k1'], 'old ring kept');
    t.same((await a.get('old'))?.secret, { v: 1 }, 'and still reads');
    await t.rejects(gatewayStoreOn(t, db, ring(k2), 'gateway-c'), { name: 'ConfigError', message: /key id "k1" still encrypts 1 stored row/ }, 'a gateway starting with that ring is refused');
    const admin = await storeOn(t, db, ring(k2));
    await t.rejects(admin.rotateKeys(), { name: 'RotationRefused', message: 'the keys file lacks keys still in use (key id "k1" still encrypts 1 stored row): put them back first' });
    t.same(await rowsPerKey(admin), { k1: 1 }, 'nothing rewritten');
  });

  t.test('a ring lacking the key a live gateway writes with is refused', async (t) => {
    const { k1, k2, a } = await twoGateways(t, backend);
    await a.useKeys(ring(k1, k2));
    await t.rejects(a.useKeys(ring(k2)), { name: 'ConfigError', message: /gateway gateway-b still encrypts new rows with key id "k1"/ }, 'no rows yet, but B writes k1');
    t.same(a.keyIds, ['k1', 'k2']);
  });

  t.test('rotate-keys is refused while a live gateway lacks the newest key or does not write with it yet', async (t) => {
    const { db, k1, k2, a, b } = await twoGateways(t, backend);
    await a.put('x', { v: 1 }, inMinutes(5), 'c');
    const admin = await storeOn(t, db, ring(k1, k2));
    await a.useKeys(ring(k1, k2));
    await t.rejects(admin.rotateKeys(), {
      name: 'RotationRefused',
      message: 'not rotating: gateway gateway-a holds key id "k2" but still encrypts with "k1" (it switches once every live gateway holds "k2", at its next heartbeat); ' +
        'gateway gateway-b lacks key id "k2" (it holds "k1"): update its keys file, or send it SIGHUP',
    });
    t.same(await rowsPerKey(admin), { k1: 1 }, 'nothing rewritten');
    await b.useKeys(ring(k1, k2));
    await t.rejects(admin.rotateKeys(), { name: 'RotationRefused', message: /gateway gateway-a holds key id "k2" but still encrypts with "k1"/ });
    await a.publishRing();
    t.equal(await admin.rotateKeys(), 1, 'every live gateway writes k2: rotation runs');
    t.same(await rowsPerKey(admin), { k2: 1 });
    await a.useKeys(ring(k2));
    t.same(a.keyIds, ['k2'], 'then k1 can go');
    t.same((await a.get('x'))?.secret, { v: 1 });
  });

  t.test('one key id with different key bytes (each host generated its own "k2"): refused at start, at reload, by rotate-keys and keys status', async (t) => {
    const { db, k1, k2, a, b } = await twoGateways(t, backend);
    const otherK2 = named('k2');
    await a.useKeys(ring(k1, k2));
    const differs = 'key id "k2" is a different key in this ring than in gateway gateway-a';
    const advice = 'A key id must name the same key in every keys file: copy that key from the other gateways\' file, or give this one a new id';
    await t.rejects(b.useKeys(ring(k1, otherK2)), { name: 'ConfigError', message: `key ring "k1", "k2" refused: ${differs}. ${advice}` }, 'a reload to it is refused');
    t.same(b.keyIds, ['k1'], 'the old ring kept');
    await t.rejects(gatewayStoreOn(t, db, ring(k1, otherK2), 'gateway-c'), { name: 'ConfigError', message: `key ring "k1", "k2" refused: ${differs}. ${advice}` },
      'a gateway starting with it is refused');
    t.equal(await keyOfNewRow(a, 'from-a'), 'k1', 'A keeps writing k1 while B lacks k2');
    t.same((await b.get('from-a'))?.secret, { name: 'from-a' }, 'so B reads it');

    const admin = await storeOn(t, db, ring(k1, otherK2));
    t.same((await admin.keyStatus()).differing, ['key id "k2" is a different key in the keys file than in gateway gateway-a'], 'keys status names the id and gateway');
    await t.rejects(admin.rotateKeys(), { name: 'RotationRefused',
      message: 'not rotating: key id "k2" is a different key in the keys file than in gateway gateway-a: a key id must name the same key in every keys file' });
    t.same(await rowsPerKey(admin), { k1: 1 }, 'nothing rewritten');
    const sameKeys = await storeOn(t, db, ring(k1, k2));
    t.same((await sameKeys.keyStatus()).differing, [], 'the same bytes under the same id: no complaint');
  });

  t.test('an entry published without fingerprints (a gateway not yet upgraded) is compared by key id alone', async (t) => {
    const { db, k1, k2, a, b } = await twoGateways(t, backend);
    await a.useKeys(ring(k1, k2));
    await db.sql(`UPDATE ${db.table('secrets_gateway_rings')} SET key_fingerprints = '{}' WHERE gateway_id = 'gateway-a'`);
    await b.useKeys(ring(k1, k2));
    t.equal(await keyOfNewRow(b, 'from-b'), 'k2', 'A counts as holding k2');
    t.same((await b.keyStatus()).differing, []);
  });

  t.test('a gateway gone stops counting once its entry expires; a closed one withdraws it', async (t) => {
    const { db, k1, k2, a, b } = await twoGateways(t, backend);
    const admin = await storeOn(t, db, ring(k1, k2));
    await a.useKeys(ring(k1, k2));
    await expireEntry(db, 'gateway-b');
    await a.publishRing();
    t.same((await admin.keyStatus()).gateways.map((g) => g.gatewayId), ['gateway-a'], 'the expired entry is ignored');
    t.equal(await keyOfNewRow(a, 'y'), 'k2', 'and does not hold back the new key');
    t.equal(await admin.rotateKeys(), 0, 'nor rotation');
    await b.close();
    await a.close();
    t.same((await admin.keyStatus()).gateways, [], 'closed gateways withdrew their entries');
  });
}
