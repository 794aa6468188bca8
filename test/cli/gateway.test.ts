import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewaySchema, schemaFlags } from '../../src/config/load.js';
import { pluginModules } from '../../src/plugins/registry.js';
import { freePort, runBin, startBin, waitForOutput } from '../helpers/spawn-bin.js';

t.test('--help lists every flag with its environment variable; --version', async (t) => {
  const help = await runBin('gateway', ['--help']);
  t.equal(help.code, 0);
  for (const [flag, { spec }] of schemaFlags(gatewaySchema(pluginModules))) {
    t.match(help.stdout, `--${flag}`, `--${flag} listed`);
    if (spec.env) t.match(help.stdout, `env ${String(spec.env)}`);
  }
  const version = await runBin('gateway', ['--version']);
  t.match(version.stdout, /^taskcluster-gateway \d+\.\d+\.\d+\n$/);
});

t.test('wrong flags and values exit 2 with one line naming the setting', async (t) => {
  for (const [args, message] of [
    [['--bogus'], /^taskcluster-gateway: unknown flag --bogus/],
    [['--port', 'x'], /^taskcluster-gateway: port: /],
    [['--plugins', 'nope'], /unknown plugin nope in setting plugins/],
  ] as const) {
    const run = await runBin('gateway', [...args]);
    t.equal(run.code, 2, `${args.join(' ')} exits 2`);
    t.match(run.stderr, message);
    t.equal(run.stderr.trim().split('\n').length, 1, 'one line');
  }
});

t.test('--print-config masks secrets', async (t) => {
  const run = await runBin('gateway', ['--print-config'], { TASKCLUSTER_ACCESS_TOKEN: 'do-not-print-me' });
  t.equal(run.code, 0);
  t.match(run.stdout, /"accessToken": "\[Sensitive\]"/);
  t.notMatch(run.stdout, /do-not-print-me/);
});

t.test('quick start: prints where the root token is kept, never the token; SIGTERM exits 0', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-quickstart-'));
  const port = await freePort();
  const gateway = startBin('gateway', ['--quickstart', '--port', String(port), '--admin-port', String(await freePort())], { GATEWAY_DATA_DIR: dataDir });
  t.teardown(() => gateway.child.kill('SIGKILL'));
  await waitForOutput(gateway.output, (o) => o.includes('taskcluster-gateway listening'));
  const token = (JSON.parse(readFileSync(join(dataDir, 'clients.json'), 'utf8')) as { clients: Array<{ accessToken: string }> }).clients[0]!.accessToken;
  t.match(gateway.output(), `its access token is kept in ${join(dataDir, 'clients.json')}`);
  t.notMatch(gateway.output(), token, 'the token is never printed');
  t.equal((await fetch(`http://127.0.0.1:${port}/__lbheartbeat__`)).status, 200);
  gateway.child.kill('SIGTERM');
  const result = await gateway.result;
  t.equal(result.code, 0, 'exit 0 after SIGTERM');
});

t.test('secrets rotate-keys re-encrypts stored rows under the newest key', async (t) => {
  const { generateKey, keyRingFrom, openSecretStore } = await import('../../src/plugins/secrets/store/index.js');
  const { writeFileSync } = await import('node:fs');
  const ringOf = (...keys: ReturnType<typeof generateKey>[]) => ({ keys: keys.map((k) => ({ id: k.id, key: k.key.toString('base64') })) });
  const dir = mkdtempSync(join(tmpdir(), 'gw-rotate-'));
  const oldKey = generateKey();
  const database = `sqlite:${join(dir, 'secrets.db')}`;
  const store = await openSecretStore(database, keyRingFrom(ringOf(oldKey), 'old'));
  await store.put('a', { v: 1 }, new Date(Date.now() + 60_000), 'test');
  await store.put('b', { v: 2 }, new Date(Date.now() + 60_000), 'test');
  await store.close();
  const keysFile = join(dir, 'keys.json');
  const newKey = generateKey();
  writeFileSync(keysFile, JSON.stringify(ringOf(oldKey, newKey)));
  const run = await runBin('gateway', ['secrets', 'rotate-keys', '--secrets-database', database, '--secrets-keys', keysFile]);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /re-encrypted 2 rows/);
  const newOnly = await openSecretStore(database, keyRingFrom(ringOf(newKey), 'new'));
  t.same((await newOnly.get('a'))?.secret, { v: 1 }, 'readable with the newest key alone');
  await newOnly.close();
  const missing = await runBin('gateway', ['secrets', 'rotate-keys', '--secrets-database', database]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /secrets\.keys/);
});
