import { statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { generateKey, openSecretStore } from '../../../../src/plugins/secrets/store/index.js';
import { inMinutes } from './fixtures.js';
import { sqliteBackend } from './sqlite-backend.js';
import { storeSuite } from './suite.js';

storeSuite(t, sqliteBackend);

t.test('sqlite: a new database file, its directory and its WAL are the owner\'s alone', async (t) => {
  const dir = join(t.testdir(), 'made', 'here');
  const file = join(dir, 'secrets.db');
  const store = await openSecretStore(`sqlite:${file}`, { keys: [generateKey()] });
  t.teardown(() => store.close());
  await store.put('x', { v: 1 }, inMinutes(5), 'c');
  t.equal(statSync(file).mode & 0o777, 0o600, 'database file');
  t.equal(statSync(`${file}-wal`).mode & 0o777, 0o600, 'write-ahead log');
  t.equal(statSync(dir).mode & 0o777, 0o700, 'created directory');
});
