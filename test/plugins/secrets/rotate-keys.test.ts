// rotateKeys(settings), behind `taskcluster-gateway secrets rotate-keys`: after it, the old key
// can leave the keys file and every secret still reads.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { rotateKeys } from '../../../src/cli/secrets-admin.js';
import { generateKey, openSecretStore, type EncryptionKey } from '../../../src/plugins/secrets/store/index.js';

const keysFile = (file: string, keys: EncryptionKey[]) =>
  writeFileSync(file, JSON.stringify({ keys: keys.map((k) => ({ id: k.id, key: k.key.toString('base64') })) }));

t.test('rotate-keys re-encrypts under the newest key', async (t) => {
  const dir = t.testdir({});
  const [oldKey, newKey] = [{ ...generateKey(), id: 'old' }, { ...generateKey(), id: 'new' }];
  const settings = (keys: string) => ({ dataDir: dir, secrets: { database: '', keys, auth: 'local', authClients: '', databaseTimeoutMs: 5000, remoteAuthTimeoutMs: 1000, keysHeartbeatSec: 10, sweepIntervalSec: 0, cacheEntries: 10_000, cacheBytes: 64 << 20, cacheTtlSec: 300, listenDatabase: '' } });
  const before = await openSecretStore(`sqlite:${join(dir, 'secrets.db')}`, { keys: [oldKey] });
  await before.put('a', { v: 1 }, new Date(Date.now() + 3600_000), 'root');
  await before.put('b', { v: 2 }, new Date(Date.now() + 3600_000), 'root');
  await before.close();
  await t.rejects(rotateKeys(settings('')), { name: 'ConfigError', message: /secrets\.keys/ });
  keysFile(join(dir, 'both.json'), [oldKey, newKey]);
  t.equal(await rotateKeys(settings(join(dir, 'both.json'))), 2, 'both rows rewritten (default database in the data dir)');
  t.equal(await rotateKeys(settings(join(dir, 'both.json'))), 0, 'nothing left under the old key');
  const after = await openSecretStore(`sqlite:${join(dir, 'secrets.db')}`, { keys: [newKey] });
  t.teardown(() => after.close());
  t.same((await after.get('a'))?.secret, { v: 1 }, 'readable with the new key alone');
  t.same((await after.get('b'))?.secret, { v: 2 });
});
