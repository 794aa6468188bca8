import t from 'tap';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
    [['--bogus'], /^taskcluster-gateway: --bogus: unknown flag \(see --help\)\n$/],
    [['--port', 'x'], /^taskcluster-gateway: --port: expected a port number \(0-65535\), got "x"\n$/],
    [['--plugins', 'nope'], /^taskcluster-gateway: --plugins: expected plugin names among .*, got "nope"\n$/],
    [[], /^taskcluster-gateway: no plugins enabled/],
  ] as const) {
    const run = await runBin('gateway', [...args]);
    t.equal(run.code, 2, `${args.join(' ')} exits 2`);
    t.match(run.stderr, message);
    t.equal(run.stderr.trim().split('\n').length, 1, 'one line');
  }
});

t.test('a wrong value from the environment or a config file exits 2 with one line naming the variable or the file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bad-value-'));
  const file = join(dir, 'site.yml');
  writeFileSync(file, 'secrets:\n  cacheEntries: -5\n');
  const secrets = ['--plugins', 'secrets', '--port', '0'];
  const cases: Array<[string, NodeJS.ProcessEnv, string[], string]> = [
    ['the environment', { GATEWAY_SECRETS_CACHE_ENTRIES: 'abc' }, secrets,
      'GATEWAY_SECRETS_CACHE_ENTRIES (setting secrets.cacheEntries): must be a positive integer, got "abc"'],
    ['a config file', {}, [...secrets, '--config', file],
      `secrets.cacheEntries in config file ${file}: must be a positive integer, got -5`],
    ['the environment above a config file', { GATEWAY_SECRETS_CACHE_ENTRIES: 'abc' }, [...secrets, '--config', file],
      'GATEWAY_SECRETS_CACHE_ENTRIES (setting secrets.cacheEntries): must be a positive integer, got "abc"'],
    ['a JSON setting that is not JSON', { GATEWAY_LISTENERS: '[{"name":' }, secrets,
      'GATEWAY_LISTENERS (setting listeners): must be a JSON list of {name, host, port, plugins}, got "[{\\"name\\":"'],
    ['a sensitive setting: its value never quoted', { TASKCLUSTER_CERTIFICATE: '{"signature":"SIG-NOT-SHOWN"' }, ['--plugins', 'proxy', '--port', '0'],
      'TASKCLUSTER_CERTIFICATE (setting taskcluster.certificate): must be empty (permanent credentials) or a certificate as JSON, got something else (not shown: sensitive)'],
  ];
  // started together: each bin takes seconds to load
  const runs = await Promise.all(cases.map(([, env, args]) => runBin('gateway', args, env)));
  for (const [i, run] of runs.entries()) {
    const [what, , , message] = cases[i]!;
    t.equal(run.code, 2, `${what}: exit 2`);
    t.equal(run.stderr, `taskcluster-gateway: ${message}\n`, `${what}: one line naming its source`);
    t.notMatch(run.stdout + run.stderr, /NOT-SHOWN/, `${what}: no secret`);
  }
});

t.test('--print-config masks secrets', async (t) => {
  const run = await runBin('gateway', ['--print-config'], { TASKCLUSTER_ACCESS_TOKEN: 'do-not-print-me' });
  t.equal(run.code, 0);
  t.match(run.stdout, /"accessToken": "\[Sensitive\]"/);
  t.notMatch(run.stdout, /do-not-print-me/);
});

t.test('--print-config masks the credentials of every URL, in its userinfo or its query, in a list too', async (t) => {
  // the root URL, the token URL, a RelengAPI route and an allowed host: given, then as printed
  const cases = [
    ['userinfo',
      ['https://ops:pw-root@tc.example', 'https://ops:pw-token-url@api.example/tokenauth/tokens', '/tooltool=https://ops:pw-route@tooltool.example', 'https://ops:pw-host@x.example'],
      ['https://[Sensitive]@tc.example', 'https://[Sensitive]@api.example/tokenauth/tokens', '/tooltool=https://[Sensitive]@tooltool.example', 'https://[Sensitive]@x.example']],
    ['query',
      ['https://tc.example/?access_token=pw-root&region=eu', 'https://api.example/tokenauth/tokens?Token=pw-token-url', '/tooltool=https://tooltool.example/?sig=pw-route&b%65wit=pw-bewit&v=1', 'https://x.example/?api_key=pw-host'],
      ['https://tc.example/?access_token=[Sensitive]&region=eu', 'https://api.example/tokenauth/tokens?Token=[Sensitive]', '/tooltool=https://tooltool.example/?sig=[Sensitive]&b%65wit=[Sensitive]&v=1', 'https://x.example/?api_key=[Sensitive]']],
    ['a URL percent-encoded in a query value',
      ['https://tc.example/?next=https%3A%2F%2Fq.example%2F%3Ftoken%3Dpw-root', 'https://api.example/tokenauth/tokens?back=https%3A%2F%2Fops%3Apw-token-url%40q.example', '/tooltool=https://tooltool.example/?u=https%253A%252F%252Fq%252F%253Fbewit%253Dpw-route&v=1', 'https://x.example/'],
      ['https://tc.example/?next=[Sensitive]', 'https://api.example/tokenauth/tokens?back=[Sensitive]', '/tooltool=https://tooltool.example/?u=[Sensitive]&v=1', 'https://x.example/']],
  ] as const;
  for (const [what, [rootUrl, tokenUrl, route, host], expected] of cases) {
    const run = await runBin('gateway', ['--print-config', '--plugins', 'proxy,relengapi', '--root-url', rootUrl, '--relengapi-url', tokenUrl, '--relengapi-route', route, '--proxy-allowed-hosts', host]);
    t.equal(run.code, 0);
    t.notMatch(run.stdout, /pw-/, `${what}: no URL's password or token`);
    const printed = JSON.parse(run.stdout);
    t.same([printed.taskcluster.rootUrl, printed.relengapi.tokenUrl, ...printed.relengapi.routes, ...printed.proxy.allowedHosts], expected, `${what}: only the credentials replaced`);
  }
});

t.test('a URL setting refused at start is quoted without its credentials', async (t) => {
  const relengapi = ['--plugins', 'relengapi', '--relengapi-token', 't', '--relengapi-task-id', 'fN1SbArXTPSVFNUvaOlinQ', '--root-url', 'http://127.0.0.1:1'];
  const cases = [
    [...relengapi, '--relengapi-route', 'tooltool=https://ops:pw-a@x.example'],
    [...relengapi, '--relengapi-route', '/t=ftp://ops:pw-b@x.example'],
    [...relengapi, '--relengapi-route', '/t=https://ops:pw-c@x.example/?q'],
    [...relengapi, '--relengapi-url', 'https://ops:pw-d@'],
    ['--plugins', 'proxy', '--client-id', 'c', '--access-token', 't', '--root-url', 'ftp://ops:pw-e@x.example'],
  ];
  // started together: each bin takes seconds to load
  const runs = await Promise.all(cases.map((args) => runBin('gateway', args)));
  for (const [i, run] of runs.entries()) {
    t.equal(run.code, 2, `${cases[i]!.at(-1)}: refused`);
    t.match(run.stderr, /\[REDACTED\]@/, 'the URL quoted');
    t.notMatch(run.stderr, /pw-/, 'without its password');
  }
});

t.test('quick start: one line saying where it listens and where the token and keys are kept, never the token; SIGTERM exits 0', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-quickstart-'));
  const port = await freePort();
  const gateway = startBin('gateway', ['--quickstart', '--port', String(port), '--admin-port', String(await freePort())], { GATEWAY_DATA_DIR: dataDir });
  t.teardown(() => gateway.child.kill('SIGKILL'));
  await waitForOutput(gateway.output, (o) => o.includes('taskcluster-gateway quick start:'));
  const token = (JSON.parse(readFileSync(join(dataDir, 'clients.json'), 'utf8')) as { clients: Array<{ accessToken: string }> }).clients[0]!.accessToken;
  const lines = gateway.output().trim().split('\n');
  t.equal(lines.length, 1, 'one line');
  t.match(lines[0], new RegExp(`^taskcluster-gateway quick start: proxy on http://127\\.0\\.0\\.1:${port} signing as client "root" \\(scopes: \\*\\) for the secrets API on http://127\\.0\\.0\\.1:${port + 1}, `));
  t.match(lines[0], `the root client's token is in ${join(dataDir, 'clients.json')} (just generated), the secrets encryption keys in ${join(dataDir, 'secrets-keys.json')} (back it up); stop with Ctrl-C`);
  t.notMatch(gateway.output(), token, 'the token is never printed');
  t.equal((await fetch(`http://127.0.0.1:${port}/__lbheartbeat__`)).status, 200);
  gateway.child.kill('SIGTERM');
  const result = await gateway.result;
  t.equal(result.code, 0, 'exit 0 after SIGTERM');
});

t.test('quick start: --print-config prints the configuration it runs with (its admin /config), and makes nothing', async (t) => {
  // --quickstart was ignored by --print-config: no listeners, no root URL or client, log level
  // info, so the README's diff of /config against --print-config reported a reload due
  const fresh = join(mkdtempSync(join(tmpdir(), 'gw-quickstart-')), 'data');
  const port = await freePort();
  const adminPort = await freePort();
  const args = ['--quickstart', '--port', String(port), '--admin-port', String(adminPort)];
  const before = await runBin('gateway', [...args, '--print-config'], { GATEWAY_DATA_DIR: fresh });
  t.equal(before.code, 0, before.stderr);
  t.notOk(existsSync(fresh), 'the data directory is not made');
  const printed = JSON.parse(before.stdout);
  t.same(printed.listeners, [
    { name: 'api', host: '127.0.0.1', port: port + 1, plugins: ['secrets'] },
    { name: 'proxy', host: '127.0.0.1', port, plugins: ['proxy', 'bewit', 'credentials'] },
  ]);
  t.same([printed.adminPort, printed.taskcluster.rootUrl, printed.taskcluster.clientId, printed.taskcluster.accessToken, printed.secrets.authClients, printed.secrets.keys, printed.logLevel],
    [adminPort, `http://127.0.0.1:${port + 1}`, 'root', '[Sensitive]', join(fresh, 'clients.json'), join(fresh, 'secrets-keys.json'), 'warn']);

  const gateway = startBin('gateway', args, { GATEWAY_DATA_DIR: fresh });
  t.teardown(() => gateway.child.kill('SIGKILL'));
  await waitForOutput(gateway.output, (o) => o.includes('taskcluster-gateway quick start:'));
  const inForce = await (await fetch(`http://127.0.0.1:${adminPort}/config`)).text();
  const after = await runBin('gateway', [...args, '--print-config'], { GATEWAY_DATA_DIR: fresh });
  t.equal(after.stdout, inForce, 'with its files made, --print-config prints /config exactly');
  t.same(JSON.parse(after.stdout), printed, 'and what it printed before they were');

  // the admin commands read the quick start's keys file and database with --quickstart alone
  const keyId = (JSON.parse(readFileSync(join(fresh, 'secrets-keys.json'), 'utf8')) as { keys: Array<{ id: string }> }).keys[0]!.id;
  const status = await runBin('gateway', ['secrets', 'keys', 'status', '--quickstart'], { GATEWAY_DATA_DIR: fresh });
  t.equal(status.code, 0, status.stderr);
  t.match(status.stdout, `keys file: "${keyId}"`);
  t.match(status.stdout, new RegExp(`live gateways:\\n  \\S+: holds "${keyId}"`), 'the running quick start is seen in its database');
  const withoutIt = await runBin('gateway', ['secrets', 'keys', 'status'], { GATEWAY_DATA_DIR: fresh });
  t.equal(withoutIt.code, 2, 'without --quickstart the keys file must be named');
  t.match(withoutIt.stderr, /secrets\.keys/);
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
  t.match(missing.stderr, /secrets\.keys \(--secrets-keys \/ GATEWAY_SECRETS_KEYS, or --quickstart for the quick start's\)/, 'names the flag, and --quickstart');
});

t.test('secrets keys status: rows per key id and the live gateways\' key ids; exit 1 when the keys file lacks a key in use', async (t) => {
  const { generateKey, openSecretStore } = await import('../../src/plugins/secrets/store/index.js');
  const { writeFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'gw-keys-'));
  const [k1, k2] = [{ ...generateKey(), id: 'k1' }, { ...generateKey(), id: 'k2' }];
  const keysFile = (name: string, ...keys: Array<typeof k1>) => {
    writeFileSync(join(dir, name), JSON.stringify({ keys: keys.map((k) => ({ id: k.id, key: k.key.toString('base64') })) }));
    return join(dir, name);
  };
  const database = `sqlite:${join(dir, 'secrets.db')}`;
  const live = await openSecretStore(database, { keys: [k1] }, { gateway: { id: 'host-a:1:abc', heartbeatSec: 60 } });
  t.teardown(() => live.close());
  await live.put('a', { v: 1 }, new Date(Date.now() + 60_000), 'test');
  await live.put('b', { v: 2 }, new Date(Date.now() + 60_000), 'test');

  const status = await runBin('gateway', ['secrets', 'keys', 'status', '--secrets-database', database, '--secrets-keys', keysFile('both.json', k1, k2)]);
  t.equal(status.code, 0, status.stderr);
  t.match(status.stdout, /^keys file: "k1", "k2" \(the last encrypts once every live gateway holds it\)\nrows per key id:\n  "k1": 2\nlive gateways:\n  host-a:1:abc: holds "k1", encrypts with "k1", seen \d+\.\d s ago\n$/);

  const rotate = await runBin('gateway', ['secrets', 'rotate-keys', '--secrets-database', database, '--secrets-keys', join(dir, 'both.json')]);
  t.equal(rotate.code, 1, 'rotate-keys refused while a live gateway lacks the newest key');
  t.equal(rotate.stderr, 'taskcluster-gateway: not rotating: gateway host-a:1:abc lacks key id "k2" (it holds "k1"): update its keys file, or send it SIGHUP\n');

  const trimmed = await runBin('gateway', ['secrets', 'keys', 'status', '--secrets-database', database, '--secrets-keys', keysFile('k2.json', k2)]);
  t.equal(trimmed.code, 1, 'a keys file lacking a key in use fails the check');
  t.match(trimmed.stdout, /  "k1": 2   NOT IN THE KEYS FILE\n/);
  t.equal(trimmed.stderr, 'taskcluster-gateway: the keys file lacks keys still in use: key id "k1" still encrypts 2 stored rows; gateway host-a:1:abc still encrypts new rows with key id "k1"\n');
  const dropped = await runBin('gateway', ['secrets', 'rotate-keys', '--secrets-database', database, '--secrets-keys', join(dir, 'k2.json')]);
  t.equal(dropped.code, 1);
  t.equal(dropped.stderr, 'taskcluster-gateway: the keys file lacks keys still in use (key id "k1" still encrypts 2 stored rows): put them back first\n');
});

t.test('secrets keys status and rotate-keys open an existing database only: a missing one is named, exit 2, and not created', async (t) => {
  const { generateKey } = await import('../../src/plugins/secrets/store/index.js');
  const { writeFileSync } = await import('node:fs');
  const { randomBytes } = await import('node:crypto');
  const pg = (await import('pg')).default;
  const { postgresUrl } = await import('../plugins/secrets/store/postgres-backend.js');
  const dir = mkdtempSync(join(tmpdir(), 'gw-keys-missing-'));
  const keysFile = join(dir, 'keys.json');
  writeFileSync(keysFile, JSON.stringify({ keys: [{ id: 'k1', key: generateKey().key.toString('base64') }] }));
  // A mistyped path, and a command run where the gateway's ./data is not (the default data dir):
  // each made a fresh empty database, printed "(no rows)" and exited 0, so the check the rotation
  // procedure relies on before removing a key passed with a keys file lacking keys in use.
  const typo = join(dir, 'nowhere', 'secrets.db');
  for (const command of [['keys', 'status'], ['rotate-keys']]) {
    const run = await runBin('gateway', ['secrets', ...command, '--secrets-database', `sqlite:${typo}`, '--secrets-keys', keysFile]);
    t.equal(run.code, 2, `${command.join(' ')}: a mistyped database path`);
    t.equal(run.stderr, `taskcluster-gateway: no secrets database at ${typo}: name the gateway's with --secrets-database sqlite:<path> (or --data-dir), or --quickstart for the quick start's\n`);
    t.equal(run.stdout, '', 'nothing reported');
    t.notOk(existsSync(join(dir, 'nowhere')), 'no directory or database made');
    const elsewhere = join(dir, 'elsewhere');
    const defaulted = await runBin('gateway', ['secrets', ...command, '--secrets-keys', keysFile], { GATEWAY_DATA_DIR: elsewhere });
    t.equal(defaulted.code, 2, `${command.join(' ')}: no database in the default data dir`);
    t.match(defaulted.stderr, `no secrets database at ${join(elsewhere, 'secrets.db')}`);
    t.notOk(existsSync(elsewhere), 'nothing made there either');
  }
  // PostgreSQL: a schema without the store's tables (a mistyped ?schema=) is not migrated into one
  const schema = `gw_missing_${randomBytes(6).toString('hex')}`;
  const url = new URL(postgresUrl);
  url.searchParams.set('schema', schema);
  const run = await runBin('gateway', ['secrets', 'keys', 'status', '--secrets-database', url.toString(), '--secrets-keys', keysFile]);
  t.equal(run.code, 2, 'a PostgreSQL schema without the tables');
  t.equal(run.stderr, `taskcluster-gateway: no secrets tables in schema "${schema}" of the database at ${url.host}: name the gateway's database and schema (--secrets-database postgres://...?schema=<name>)\n`);
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  t.teardown(() => client.end());
  t.same((await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema])).rows, [], 'the schema was not created');
});

t.test('secrets keys status and rotate-keys exit 1 when a key id names a different key than a live gateway\'s', async (t) => {
  const { generateKey, openSecretStore } = await import('../../src/plugins/secrets/store/index.js');
  const { writeFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'gw-keys-'));
  const [k1, k2, otherK2] = [{ ...generateKey(), id: 'k1' }, { ...generateKey(), id: 'k2' }, { ...generateKey(), id: 'k2' }];
  const keysFile = join(dir, 'keys.json');
  writeFileSync(keysFile, JSON.stringify({ keys: [k1, otherK2].map((k) => ({ id: k.id, key: k.key.toString('base64') })) }));
  const database = `sqlite:${join(dir, 'secrets.db')}`;
  const live = await openSecretStore(database, { keys: [k1, k2] }, { gateway: { id: 'host-a:1:abc', heartbeatSec: 60 } });
  t.teardown(() => live.close());
  await live.put('a', { v: 1 }, new Date(Date.now() + 60_000), 'test');

  const status = await runBin('gateway', ['secrets', 'keys', 'status', '--secrets-database', database, '--secrets-keys', keysFile]);
  t.equal(status.code, 1, 'keys status fails');
  t.equal(status.stderr, 'taskcluster-gateway: key id "k2" is a different key in the keys file than in gateway host-a:1:abc: ' +
    'a key id must name the same key in every keys file\n');
  const rotate = await runBin('gateway', ['secrets', 'rotate-keys', '--secrets-database', database, '--secrets-keys', keysFile]);
  t.equal(rotate.code, 1, 'rotate-keys refuses');
  t.equal(rotate.stderr, 'taskcluster-gateway: not rotating: key id "k2" is a different key in the keys file than in gateway host-a:1:abc: ' +
    'a key id must name the same key in every keys file\n');
  t.same((await live.keyStatus()).usage, [{ keyId: 'k2', rows: 1 }], 'nothing rewritten');
  t.same((await live.get('a'))?.secret, { v: 1 }, 'so the live gateway still reads its row');
});

t.test('SIGHUP reloads the secrets keys file and the clients file of a running gateway', async (t) => {
  const { generateKey } = await import('../../src/plugins/secrets/store/index.js');
  const { mkdirSync, symlinkSync, writeFileSync } = await import('node:fs');
  const { clientsFile } = await import('../plugins/secrets/gateway.js');
  const dir = mkdtempSync(join(tmpdir(), 'gw-sighup-'));
  const [k1, k2] = [{ ...generateKey(), id: 'k1' }, { ...generateKey(), id: 'k2' }];
  const target = join(dir, 'keys-real.json');
  const write = (...keys: Array<typeof k1>) => writeFileSync(target, JSON.stringify({ keys: keys.map((k) => ({ id: k.id, key: k.key.toString('base64') })) }));
  write(k1);
  // The gateway watches the link's directory; a change to the target elsewhere is only seen on SIGHUP.
  mkdirSync(join(dir, 'conf'));
  symlinkSync(target, join(dir, 'conf', 'keys.json'));
  writeFileSync(join(dir, 'clients.json'), JSON.stringify(clientsFile));
  const port = await freePort();
  const gateway = startBin('gateway', ['--plugins', 'secrets', '--port', String(port), '--data-dir', dir, '--secrets-keys', join(dir, 'conf', 'keys.json'),
    '--auth-clients', join(dir, 'clients.json')]);
  t.teardown(() => gateway.child.kill('SIGKILL'));
  await waitForOutput(gateway.output, (o) => o.includes('taskcluster-gateway listening'));
  const { signedFetch } = await import('../plugins/secrets/suite-input.js');
  const { clients } = await import('../plugins/secrets/gateway.js');
  const listAsReader = async () => (await signedFetch(`http://127.0.0.1:${port}/api/secrets/v1/secrets`, { credentials: clients.reader })).status;
  t.equal(await listAsReader(), 200, 'the reader may list');
  write(k1, k2);
  // the same SIGHUP reloads the clients file: the reader loses secrets:list-secrets
  writeFileSync(join(dir, 'clients.json'), JSON.stringify({ ...clientsFile, clients: clientsFile.clients.map((c) => (c === clients.reader ? { ...c, scopes: [] } : c)) }));
  gateway.child.kill('SIGHUP');
  const output = await waitForOutput(gateway.output, (o) => o.includes('secrets: key ring reloaded') && o.includes('"msg":"configuration reloaded"'));
  t.match(output, /"keyIds":\["k1","k2"\],"previousKeyIds":\["k1"\],"msg":"secrets: key ring reloaded"/);
  t.notMatch(output, /needs restart/, 'nothing that needs a restart changed');
  t.equal(await listAsReader(), 403, 'the reloaded clients file is in force');
  t.equal((await fetch(`http://127.0.0.1:${port}/__lbheartbeat__`)).status, 200, 'still serving after SIGHUP');
  gateway.child.kill('SIGTERM');
  t.equal((await gateway.result).code, 0);
});
