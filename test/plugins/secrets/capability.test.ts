// The secrets module's create(): settings checked (ConfigError), the quick start's generated
// keys and root client, the default SQLite database, the expiry sweep on its timer.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import pino from 'pino';
import t from 'tap';
import taskcluster from 'taskcluster-client';
import { ConfigError } from '../../../src/config/settings.js';
import { NonceCache } from '../../../src/core/hawk.js';
import type { GatewayServices } from '../../../src/fastify/capability.js';
import { readCacheOptions, secretsModule, type SecretsSettings } from '../../../src/plugins/secrets/capability.js';
import { clientsFile } from './gateway.js';
import { ensureRootClient } from '../../../src/cli/quickstart.js';
import { quickstartKeysFile } from '../../../src/plugins/secrets/quickstart.js';
import { errorRenderer } from '../../../src/fastify/errors.js';
import { TrustedProxies } from '../../../src/net/trusted-proxies.js';

function services(dataDir: string, quickstart: boolean, lines: string[] = []): GatewayServices {
  const sink = new Writable({ write: (chunk, _e, done) => { lines.push(chunk.toString()); done(); } });
  return {
    settings: { taskcluster: { rootUrl: '', clientId: '', accessToken: '', certificate: '' }, dataDir } as unknown as GatewayServices['settings'],
    log: pino({ level: 'info' }, sink),
    credentials: undefined,
    holder: () => { throw new Error('not used'); },
    dataDir: () => dataDir,
    nonceCache: () => new NonceCache(),
    trustedProxies: new TrustedProxies(),
    publicOrigin: undefined,
    rateLimitStore: undefined,
    quickstart,
  };
}

const settings = (secrets: Partial<SecretsSettings['secrets']> = {}): SecretsSettings => ({
  secrets: { database: '', keys: '', auth: 'local', authClients: '', databaseTimeoutMs: 5000, remoteAuthTimeoutMs: 1000, keysHeartbeatSec: 10, sweepIntervalSec: 0, cacheEntries: 10_000, cacheBytes: 64 << 20, cacheTtlSec: 300, listenDatabase: '', ...secrets },
});

t.test('settings problems are ConfigErrors naming the setting', async (t) => {
  const dir = t.testdir({ 'clients.json': JSON.stringify(clientsFile), 'keys.json': JSON.stringify({ keys: [{ id: 'k1', key: Buffer.alloc(32, 7).toString('base64') }] }) });
  const clients = join(dir, 'clients.json');
  const keys = join(dir, 'keys.json');
  await t.rejects(secretsModule.create(settings({ authClients: clients }), services(dir, false)), { name: 'ConfigError', message: /secrets\.keys \(--secrets-keys/ });
  await t.rejects(secretsModule.create(settings({ keys }), services(dir, false)), { name: 'ConfigError', message: /secrets\.authClients/ });
  await t.rejects(secretsModule.create(settings({ keys, auth: 'remote' }), services(dir, false)), { name: 'ConfigError', message: /taskcluster\.rootUrl/ });
  await t.rejects(secretsModule.create(settings({ keys, authClients: clients, database: 'mysql://x' }), services(dir, false)), ConfigError);
  writeFileSync(join(dir, 'cycle.json'), JSON.stringify({ roles: [{ roleId: 'a', scopes: ['assume:a'] }] }));
  await t.rejects(secretsModule.create(settings({ keys, authClients: join(dir, 'cycle.json') }), services(dir, false)), { name: 'ConfigError', message: /role cycle: a -> a/ });
  const created = await secretsModule.create(settings({ keys, authClients: clients }), services(dir, false));
  await created.close?.();
  t.ok(statSync(join(dir, 'secrets.db')).isFile(), 'default database: sqlite:<dataDir>/secrets.db');
});

t.test('quick start: its keys file made once (0600) and kept; the plugin serves the generated root client', async (t) => {
  const dir = t.testdir({});
  const lines: string[] = [];
  const clientsPath = ensureRootClient(dir).file;
  const keys = quickstartKeysFile(dir, true);
  t.same(keys, { file: join(dir, 'secrets-keys.json'), generated: true });
  const keysText = readFileSync(keys.file, 'utf8');
  t.same(quickstartKeysFile(dir, true), { file: keys.file, generated: false }, 'made once');
  t.equal(readFileSync(keys.file, 'utf8'), keysText, 'and kept');
  const created = await secretsModule.create(settings({ sweepIntervalSec: 1, authClients: clientsPath, keys: keys.file }), services(dir, true, lines));
  const generated = JSON.parse(readFileSync(clientsPath, 'utf8'));
  const root = generated.clients[0];
  t.match(root, { clientId: 'root', accessToken: /^[A-Za-z0-9_-]{44}$/, scopes: ['*'] });
  t.same(generated.roles, [{ roleId: 'anonymous', scopes: [] }]);
  t.equal(statSync(clientsPath).mode & 0o777, 0o600);
  t.equal(statSync(join(dir, 'secrets-keys.json')).mode & 0o777, 0o600);
  const log = lines.join('');
  t.notMatch(log, root.accessToken, 'the token is not logged');

  const app = Fastify();
  // the app's one error renderer, which every capability plugin depends on
  await app.register(errorRenderer);
  await app.register(created.plugin, created.options);
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const rootUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const secrets = new taskcluster.Secrets({ rootUrl, credentials: { clientId: 'root', accessToken: root.accessToken }, retries: 0 });
  await secrets.set('quick', { secret: { ok: true }, expires: taskcluster.fromNow('1 hour') });
  t.same((await secrets.get('quick')).secret, { ok: true });
  await secrets.set('stale', { secret: {}, expires: new Date(Date.now() - 1000) });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const auth = new taskcluster.Auth({ rootUrl, credentials: { clientId: 'root', accessToken: root.accessToken }, retries: 0 });
  const history = await auth.getEntityHistory('secret', 'stale');
  t.same(history.auditHistory.map((e: { actionType: string; clientId: string }) => [e.actionType, e.clientId]), [['created', 'root'], ['expired', 'taskcluster-gateway']], 'the sweep ran on its timer');
  await app.close();
  await created.close?.();

  t.equal(ensureRootClient(dir).accessToken, root.accessToken, 'the next run keeps the client');
});

t.test('the read cache settings: on by default, off with 0, the LISTEN connection elsewhere when given', async (t) => {
  t.same(readCacheOptions(settings().secrets), { cache: { entries: 10_000, maxBytes: 64 << 20, ttlMs: 300_000 } });
  t.same(readCacheOptions(settings({ cacheEntries: 0 }).secrets), {}, 'cacheEntries 0: no cache, no LISTEN connection');
  t.same(readCacheOptions(settings({ cacheBytes: 0 }).secrets), {}, 'cacheBytes 0: no cache');
  t.same(readCacheOptions(settings({ cacheTtlSec: 1, listenDatabase: 'postgres://db:5432/x' }).secrets),
    { cache: { entries: 10_000, maxBytes: 64 << 20, ttlMs: 1000 }, listenUrl: 'postgres://db:5432/x' });
});
