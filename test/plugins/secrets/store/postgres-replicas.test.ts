/** PostgreSQL only: what several replicas on one database rely on beyond the shared suite. */
import pg from 'pg';
import t from 'tap';
import { postgresBackend, postgresUrl, requirePostgres } from './postgres-backend.js';
import { generateKey, openSecretStore } from '../../../../src/plugins/secrets/store/index.js';
import { freshStore, inMinutes, storeOn } from './fixtures.js';

await requirePostgres();

t.test('the sweep runs on one replica at a time', async (t) => {
  const { db, store } = await freshStore(t, postgresBackend);
  const now = new Date();
  await store.put('old', { v: 1 }, inMinutes(1, now), 'c');
  // Another replica mid-sweep holds the sweep lock for this schema.
  const otherReplica = new pg.Client({ connectionString: postgresUrl });
  await otherReplica.connect();
  t.teardown(() => otherReplica.end());
  await otherReplica.query('SELECT pg_advisory_lock(hashtext($1))', [`taskcluster-gateway secrets sweep ${db.options.schema}`]);
  t.equal(await store.sweepExpired('gateway', inMinutes(2, now)), 0, 'skipped while another replica sweeps');
  await otherReplica.query('SELECT pg_advisory_unlock_all()');
  t.equal(await store.sweepExpired('gateway', inMinutes(2, now)), 1, 'runs once the lock is free');
});

t.test('migrations are recorded once and reopening applies nothing', async (t) => {
  const { db, keys, store } = await freshStore(t, postgresBackend);
  await store.put('kept', { v: 1 }, inMinutes(5), 'c');
  const again = await storeOn(t, db, keys);
  t.same((await again.get('kept'))?.secret, { v: 1 }, 'data survives reopening');
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  t.teardown(() => client.end());
  const { rows } = await client.query(`SELECT version FROM ${db.table('secrets_schema_version')} ORDER BY version`);
  t.same(rows, [{ version: 1 }, { version: 2 }, { version: 3 }], 'each migration once');
});

t.test('two stores see each other\'s writes (two replicas)', async (t) => {
  const { db, keys, store } = await freshStore(t, postgresBackend);
  const other = await storeOn(t, db, keys);
  await store.put('shared', { v: 1 }, inMinutes(5), 'a');
  t.equal(await other.put('shared', { v: 2 }, inMinutes(5), 'b'), 'updated');
  t.same((await store.get('shared'))?.secret, { v: 2 });
  t.equal(await other.remove('shared', 'b'), true);
  t.equal(await store.get('shared'), undefined);
});

t.test('the schema can be named in the URL', async (t) => {
  const { db, keys, store } = await freshStore(t, postgresBackend);
  await store.put('here', { v: 1 }, inMinutes(5), 'c');
  const url = new URL(postgresUrl);
  url.searchParams.set('schema', db.options.schema!);
  const viaUrl = await openSecretStore(url.toString(), keys);
  t.teardown(() => viaUrl.close());
  t.same((await viaUrl.get('here'))?.secret, { v: 1 }, 'same tables');
  url.searchParams.set('schema', 'Not-Valid');
  await t.rejects(openSecretStore(url.toString(), { keys: [generateKey()] }), { name: 'ConfigError' });
});
