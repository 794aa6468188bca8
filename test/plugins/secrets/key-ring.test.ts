// A running gateway's key ring follows its keys file (src/plugins/secrets/key-ring.ts): a bad
// file, or a ring lacking a key rows use, keeps the old ring and logs exactly one error line,
// without key material; a good file replaces the ring without a restart.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import taskcluster from 'taskcluster-client';
import { generateKey, type EncryptionKey } from '../../../src/plugins/secrets/store/index.js';
import { clients } from './gateway.js';
import { eventually, startGateway, writeKeysFile, type RunningGateway } from './rotation/harness.js';

const k1: EncryptionKey = { ...generateKey(), id: 'k1' };
const k2: EncryptionKey = { ...generateKey(), id: 'k2' };

const errors = (g: RunningGateway) => g.logs().filter((l) => (l.level as number) >= 50).map((l) => l.msg as string);
const reloads = (g: RunningGateway) => g.logs().filter((l) => l.msg === 'secrets: key ring reloaded').map((l) => l.keyIds);

async function oneGateway(t: Test) {
  const dir = t.testdir({});
  const keysFile = join(dir, 'keys.json');
  writeKeysFile(keysFile, [k1]);
  const gateway = await startGateway(t, { dir, database: `sqlite:${join(dir, 'secrets.db')}`, keysFile });
  const client = new taskcluster.Secrets({ rootUrl: gateway.rootUrl, credentials: clients.root, retries: 0 });
  return { keysFile, gateway, client };
}

t.test('a bad keys file keeps the old ring and logs one error line, never key material', async (t) => {
  const { keysFile, gateway, client } = await oneGateway(t);
  const material = k2.key.toString('base64');
  const bad: Array<[string, string, RegExp]> = [
    ['truncated JSON', `{"keys": [{"id": "k1", "key": "${material}"`, /is not valid JSON/],
    ['a short key', JSON.stringify({ keys: [{ id: 'k2', key: material.slice(0, 20) }] }), /key "k2" must be the base64 encoding of exactly 32 bytes/],
    ['no keys', '{"keys": []}', /"keys" is empty/],
  ];
  for (const [index, [label, text, message]] of bad.entries()) {
    writeFileSync(keysFile, text);
    await eventually(`the error for ${label}`, async () => errors(gateway).length > index);
    // A good file after it: its reload line comes after any error the bad text could cause.
    writeKeysFile(keysFile, [k1]);
    await eventually(`the reload after ${label}`, async () => reloads(gateway).length > index);
    t.equal(errors(gateway).length, index + 1, `${label}: exactly one error line`);
    t.match(errors(gateway)[index], message, label);
    t.match(errors(gateway)[index], /^secrets: key ring not reloaded, keeping the old one: secrets keys file .*keys\.json/, 'names the file');
  }
  t.notMatch(gateway.logText(), material.slice(0, 20), 'no key material in the log');
  t.notMatch(gateway.logText(), k1.key.toString('base64').slice(0, 20));
  await client.set('still/served', { secret: { v: 1 }, expires: taskcluster.fromNow('1 hour') });
  t.same((await client.get('still/served')).secret, { v: 1 }, 'the gateway kept serving with the old ring');
});

t.test('the file watched: appending a key reloads; dropping a key rows use is refused with one error, the old ring kept', async (t) => {
  const { keysFile, gateway, client } = await oneGateway(t);
  await client.set('under/k1', { secret: { v: 1 }, expires: taskcluster.fromNow('1 hour') });
  writeKeysFile(keysFile, [k1, k2]);
  await eventually('the reload', async () => reloads(gateway).length === 1);
  t.same(reloads(gateway), [['k1', 'k2']], 'reloaded without a restart');
  writeKeysFile(keysFile, [k2]);
  await eventually('the refusal', async () => errors(gateway).length === 1);
  t.equal(errors(gateway)[0], 'secrets: key ring not reloaded, keeping the old one: key ring "k2" refused: key id "k1" still encrypts 1 stored row. ' +
    'Keep every such key until secrets rotate-keys has moved its rows');
  t.same((await client.get('under/k1')).secret, { v: 1 }, 'the row under k1 still reads: the old ring was kept');
  await gateway.gateway.reload!();
  t.equal(errors(gateway).length, 2, 'an explicit reload (SIGHUP) retries the same file, refused again: one more line');
  t.same(reloads(gateway), [['k1', 'k2']], 'no reload happened');
});

t.test('two gateways on one file whose keys files give "k2" different bytes: the second refuses the reload with one error line, and a third refuses to start', async (t) => {
  const dir = t.testdir({});
  const database = `sqlite:${join(dir, 'secrets.db')}`;
  const [fileA, fileB, fileC] = ['a.json', 'b.json', 'c.json'].map((name) => join(dir, name)) as [string, string, string];
  writeKeysFile(fileA, [k1]);
  writeKeysFile(fileB, [k1]);
  const a = await startGateway(t, { dir, database, keysFile: fileA });
  const b = await startGateway(t, { dir, database, keysFile: fileB });
  const otherK2: EncryptionKey = { ...generateKey(), id: 'k2' };
  writeKeysFile(fileA, [k1, k2]);
  await eventually('A reloads', async () => reloads(a).length === 1);
  writeKeysFile(fileB, [k1, otherK2]);
  await eventually('B refuses', async () => errors(b).length === 1);
  t.match(errors(b)[0], /^secrets: key ring not reloaded, keeping the old one: key ring "k1", "k2" refused: key id "k2" is a different key in this ring than in gateway \S+\. /,
    'one error line naming the key id and the gateway');
  t.same(reloads(b), [], 'B kept its old ring');
  for (const key of [k1, k2, otherK2]) t.notMatch(b.logText(), key.key.toString('base64').slice(0, 20), 'no key material in the log');

  const [clientA, clientB] = [a, b].map((g) => new taskcluster.Secrets({ rootUrl: g.rootUrl, credentials: clients.root, retries: 0 }));
  await clientA!.set('from-a', { secret: { v: 'a' }, expires: taskcluster.fromNow('1 hour') });
  await clientB!.set('from-b', { secret: { v: 'b' }, expires: taskcluster.fromNow('1 hour') });
  t.same((await clientB!.get('from-a')).secret, { v: 'a' }, 'B reads what A wrote');
  t.same((await clientA!.get('from-b')).secret, { v: 'b' }, 'A reads what B wrote');

  writeKeysFile(fileC, [k1, otherK2]);
  await t.rejects(startGateway(t, { dir, database, keysFile: fileC }), { name: 'ConfigError', message: /^key ring "k1", "k2" refused: key id "k2" is a different key in this ring than in gateway \S+\. / },
    'a gateway starting with that ring refuses to start');
});
