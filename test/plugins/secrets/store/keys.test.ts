import { createHmac } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError } from '../../../../src/config/settings.js';
import { keyFingerprint } from '../../../../src/plugins/secrets/store/keys.js';
import { generateKeyFile, loadKeyRing, loadOrGenerateKeyFile, openSecretStore } from '../../../../src/plugins/secrets/store/index.js';

const goodKey = Buffer.alloc(32, 7).toString('base64');

t.test('a keys file loads in order: the last key encrypts', async (t) => {
  const file = join(t.testdir(), 'keys.json');
  writeFileSync(file, JSON.stringify({ keys: [{ id: 'old', key: goodKey }, { id: 'new', key: Buffer.alloc(32, 9).toString('base64') }] }));
  const ring = loadKeyRing(file);
  t.same(ring.keys.map((k) => k.id), ['old', 'new']);
  t.same(ring.keys[1]!.key, Buffer.alloc(32, 9));
});

t.test('a key\'s fingerprint: an HMAC of a fixed label under the key, truncated; the same bytes give the same one whatever the id', async (t) => {
  const key = Buffer.alloc(32, 7);
  const expected = createHmac('sha256', key).update('taskcluster-gateway secrets key fingerprint v1').digest('hex').slice(0, 32);
  t.equal(keyFingerprint({ id: 'a', key }), expected);
  t.equal(keyFingerprint({ id: 'b', key: Buffer.alloc(32, 7) }), expected);
  t.not(keyFingerprint({ id: 'a', key: Buffer.alloc(32, 8) }), expected, 'other bytes, another fingerprint');
  t.notMatch(expected, key.toString('hex').slice(0, 8), 'not the key');
});

t.test('bad keys files: ConfigError naming the file and the problem, never the key', async (t) => {
  const dir = t.testdir();
  const cases: Array<[string, string | undefined, RegExp]> = [
    ['missing', undefined, /cannot read secrets keys file .*missing.*ENOENT/],
    ['not json', `{"keys": [{"id": "a", "key": "${goodKey}"`, /is not valid JSON/],
    ['no keys array', '{"key": []}', /expected \{"keys"/],
    ['empty', '{"keys": []}', /"keys" is empty/],
    ['no id', `{"keys": [{"key": "${goodKey}"}]}`, /keys\[0\] needs a non-empty string "id"/],
    ['duplicate id', `{"keys": [{"id": "a", "key": "${goodKey}"}, {"id": "a", "key": "${goodKey}"}]}`, /key id "a" appears twice/],
    ['short key', `{"keys": [{"id": "a", "key": "${Buffer.alloc(16).toString('base64')}"}]}`, /key "a" must be the base64 encoding of exactly 32 bytes/],
    ['not base64', `{"keys": [{"id": "a", "key": "${'!'.repeat(44)}"}]}`, /key "a" must be the base64/],
    ['key not a string', '{"keys": [{"id": "a", "key": 42}]}', /key "a" must be the base64/],
  ];
  for (const [label, content, message] of cases) {
    const file = join(dir, label.replaceAll(' ', '-'));
    if (content !== undefined) writeFileSync(file, content);
    const err = (() => { try { loadKeyRing(file); } catch (e) { return e; } })();
    t.ok(err instanceof ConfigError, `${label}: ConfigError`);
    t.match((err as Error).message, message, label);
    t.notMatch((err as Error).message, goodKey, `${label}: no key material in the message`);
  }
});

t.test('generateKeyFile: one fresh key, owner-only, never overwriting', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'nested', 'dir', 'keys.json');
  const ring = generateKeyFile(file);
  t.equal(ring.keys.length, 1);
  t.equal(ring.keys[0]!.key.length, 32);
  t.equal(statSync(file).mode & 0o777, 0o600, 'mode 0600');
  t.same(loadKeyRing(file), ring, 'the file holds the returned key');
  const before = readFileSync(file, 'utf8');
  t.throws(() => generateKeyFile(file), { name: 'ConfigError', message: /already exists; not overwriting/ });
  t.equal(readFileSync(file, 'utf8'), before, 'file untouched');
  t.not(generateKeyFile(join(dir, 'other.json')).keys[0]!.key.toString('hex'), ring.keys[0]!.key.toString('hex'), 'keys are random');
});

t.test('loadOrGenerateKeyFile: generates on the first run, loads afterwards', async (t) => {
  const file = join(t.testdir(), 'keys.json');
  const first = loadOrGenerateKeyFile(file);
  t.equal(first.generated, true);
  const second = loadOrGenerateKeyFile(file);
  t.equal(second.generated, false);
  t.same(second.ring, first.ring);
});

t.test('openSecretStore refuses unknown URLs and empty rings without echoing the URL', async (t) => {
  const ring = { keys: [{ id: 'k', key: Buffer.alloc(32) }] };
  await t.rejects(openSecretStore('mysql://user:hunter2@db/x', ring), { name: 'ConfigError', message: /must be sqlite:<path> or postgres/ });
  await openSecretStore('mysql://user:hunter2@db/x', ring).catch((e: Error) => t.notMatch(e.message, /hunter2/, 'no password in the message'));
  await t.rejects(openSecretStore('sqlite:', ring), { name: 'ConfigError' });
  await t.rejects(openSecretStore('sqlite::memory:', { keys: [] }), { name: 'ConfigError', message: /no secrets encryption key/ });
  await t.rejects(openSecretStore('postgres://127.0.0.1/test', ring, { schema: 'Bad; DROP' }), { name: 'ConfigError', message: /schema/ });
});
