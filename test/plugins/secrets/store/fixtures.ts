import type { Test } from 'tap';
import { generateKey, openSecretStore, type KeyRing, type KeyedSecretStore } from '../../../../src/plugins/secrets/store/index.js';
import type { FreshDatabase, StoreBackend } from './backend.js';

export const minute = 60_000;
export const inMinutes = (n: number, from = new Date()) => new Date(from.getTime() + n * minute);

/** A store on `db`, closed when `t` ends. */
export async function storeOn(t: Test, db: FreshDatabase, keys: KeyRing): Promise<KeyedSecretStore> {
  const store = await openSecretStore(db.url, keys, db.options);
  t.teardown(() => store.close());
  return store;
}

/** A store serving gateway `id` on `db` (it publishes its ring), closed when `t` ends. */
export async function gatewayStoreOn(t: Test, db: FreshDatabase, keys: KeyRing, id: string): Promise<KeyedSecretStore> {
  const store = await openSecretStore(db.url, keys, { ...db.options, gateway: { id, heartbeatSec: 10 } });
  t.teardown(() => store.close());
  return store;
}

/** A fresh database with one store on it, under a new single-key ring. */
export async function freshStore(t: Test, backend: StoreBackend) {
  const db = await backend.fresh(t);
  const keys: KeyRing = { keys: [generateKey()] };
  return { db, keys, store: await storeOn(t, db, keys) };
}
