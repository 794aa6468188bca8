/**
 * The package as a library: `npm pack`, a fresh consumer project depending on the tarball and on
 * fastify, type-checked and compiled against the package's published types, which registers the
 * secrets plugin on its own Fastify app (with a store and an authenticator of its own) and
 * answers a Hawk-signed PUT and GET of a secret; and registers every plugin, each into a fresh
 * app with options built only from the package's exports (consumer/every-plugin.ts), making one
 * real request to each.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import t from 'tap';
import { buildPackage, repo } from './processes.js';
import { postgresUrl } from '../plugins/secrets/store/postgres-backend.js';

const CONSUMER_APP = `
import Fastify from 'fastify';
import { errorRenderer, HawkSigner, NonceCache, secretsPlugin, verifyRequest, type ClientDirectory, type SecretsPluginOptions } from 'taskcluster-gateway';

// The plugin takes any store; this app keeps its secrets in memory and needs only put and get.
const secrets = new Map<string, { secret: Record<string, unknown>; expires: Date }>();
const unused = async (): Promise<never> => {
  throw new Error('not used by this app');
};
const store: SecretsPluginOptions['store'] = {
  async put(name, secret, expires) {
    const existed = secrets.has(name);
    secrets.set(name, { secret, expires });
    return existed ? 'updated' : 'created';
  },
  async get(name) {
    const found = secrets.get(name);
    return found && { name, ...found };
  },
  remove: unused, list: unused, auditHistory: unused, sweepExpired: unused,
  createBootstrap: unused, claimBootstrap: unused, discardBootstrap: unused, rotateKeys: unused,
  ping: unused,
  async close() {},
};

const client = { clientId: 'consumer/app', accessToken: 'consumer-token', scopes: ['secrets:get:project/app/*', 'secrets:set:project/app/*'] };
const directory: ClientDirectory = { client: (id) => (id === client.clientId ? client : undefined), expand: (scopes) => scopes };
const nonceCache = new NonceCache();

const app = Fastify();
// the app's one error renderer, which every plugin of the package depends on
await app.register(errorRenderer);
await app.register(secretsPlugin, { store, authenticate: (request) => verifyRequest(request, directory, { nonceCache }) });
const base = await app.listen({ host: '127.0.0.1', port: 0 });

const signer = new HawkSigner(client);
const url = \`\${base}/api/secrets/v1/secret/project/app/db\`;
const signed = (method: string) => ({ authorization: signer.headerForUrl(method, url), 'content-type': 'application/json' });
const put = await fetch(url, { method: 'PUT', headers: signed('PUT'), body: JSON.stringify({ secret: { password: 'hunter2' }, expires: new Date(Date.now() + 3_600_000).toISOString() }) });
const get = await fetch(url, { headers: signed('GET') });
const anonymous = await fetch(url);
console.log(JSON.stringify({ put: put.status, get: get.status, body: await get.json(), anonymous: anonymous.status }));
await app.close();
`;

t.test('a fresh project registers secretsPlugin, then every plugin, from the packed tarball, with its types', async (t) => {
  buildPackage();
  const work = mkdtempSync(join(tmpdir(), 'gateway-consumer-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: repo, encoding: 'utf8' }).trim();
  const own = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));

  const consumer = join(work, 'consumer');
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({
    name: 'gateway-consumer', private: true, type: 'module',
    dependencies: { 'taskcluster-gateway': `file:../${tarball}`, fastify: own.dependencies.fastify },
  }));
  writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out',
      // the app's code is checked against the declarations; their own bodies were checked when built
      skipLibCheck: true,
      // Node's types, which the package's and fastify's declarations refer to, from this checkout
      typeRoots: [join(repo, 'node_modules/@types')], types: ['node'],
    },
    files: ['app.ts', 'every-plugin.ts'],
  }));
  writeFileSync(join(consumer, 'app.ts'), CONSUMER_APP);
  copyFileSync(join(repo, 'test/deploy/consumer/every-plugin.ts'), join(consumer, 'every-plugin.ts'));
  // Install scripts skipped: better-sqlite3 would compile from source for minutes, and this app
  // never opens SQLite. From npm's cache alone when it has everything (no lock needed: nothing is
  // written to it); otherwise from the registry, one install at a time.
  const npmInstall = (command: string, args: string[]) =>
    execFileSync(command, [...args, 'install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: consumer, stdio: 'ignore', timeout: 90_000 });
  try {
    npmInstall('npm', ['--offline']);
  } catch {
    npmInstall('flock', ['/tmp/npm.lock', 'npm', '--prefer-offline']);
  }

  execFileSync(process.execPath, [join(repo, 'node_modules/typescript/bin/tsc'), '-p', consumer], { stdio: ['ignore', 'inherit', 'inherit'] });
  t.pass('the consumer type-checks against the published declarations');
  const output = execFileSync(process.execPath, [join(consumer, 'out/app.js')], { cwd: consumer, encoding: 'utf8', timeout: 30_000 });
  const result = JSON.parse(output.trim().split('\n').at(-1)!);
  t.equal(result.put, 200, 'signed PUT stores the secret');
  t.equal(result.get, 200, 'signed GET reads it');
  t.same(result.body.secret, { password: 'hunter2' });
  t.equal(result.anonymous, 403, 'without credentials: refused');

  // every plugin, each into a fresh app, options from the package's exports only
  const schema = `consumer_${process.pid}_${randomBytes(4).toString('hex')}`;
  t.teardown(async () => {
    const client = new pg.Client({ connectionString: postgresUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });
  const every = JSON.parse(execFileSync(process.execPath, [join(consumer, 'out/every-plugin.js'), postgresUrl, schema], { cwd: consumer, encoding: 'utf8', timeout: 60_000 }).trim().split('\n').at(-1)!);
  t.same(every.proxy, { status: 200, url: '/api/queue/v1/ping', hawk: true }, 'proxyPlugin: forwarded to the root URL, Hawk-signed');
  t.same(every.bewit, { status: 303, signed: true }, 'bewitPlugin: the URL comes back with a bewit');
  t.same(every.credentials, { status: 200, clientId: 'consumer/renewed' }, 'credentialsPlugin: the holder signs with the new credentials');
  t.same(every.secrets, { status: 200, stored: { password: 'hunter2' } }, 'secretsPlugin: a signed PUT stored in PostgreSQL');
  t.same(every.hostSecrets, { status: 403, code: 'IPNotAllowed' }, 'hostSecretsPlugin: 127.0.0.1 is outside the allowed ranges');
  t.same(every.relengapi, { status: 200, url: '/tooltool/sha512/abc', authorization: 'Bearer temporary-relengapi-token' }, 'relengapiPlugin: forwarded with a temporary token');
});
