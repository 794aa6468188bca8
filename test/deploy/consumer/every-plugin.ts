// Every plugin of taskcluster-gateway registered into an app of one's own, each with options built
// only from the package's exports, and one real request to each. Prints one JSON line of results.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  bewitPlugin, createLogger, credentialsPlugin, CredentialHolder, errorRenderer, generateKey, HawkSigner, hostSecretsPlugin,
  IssuingThread, lifetimeMs, localAuthenticator, NonceCache, openSecretStore, parseAuthClients, parseRanges,
  parseServiceRoutes, proxyPlugin, relengapiPlugin, secretsPlugin, TemporaryTokenManager,
} from 'taskcluster-gateway';

const [postgresUrl, schema] = process.argv.slice(2) as [string, string];
const results: Record<string, unknown> = {};

// Upstreams of one's own: a Taskcluster service, RelengAPI's token service and a RelengAPI service.
const seen: Array<{ url: string; authorization: string }> = [];
const upstream = createServer((req: IncomingMessage, res) => {
  seen.push({ url: req.url ?? '', authorization: req.headers.authorization ?? '' });
  res.setHeader('content-type', 'application/json');
  if (req.url === '/tokens') return res.end(JSON.stringify({ result: { token: 'temporary-relengapi-token' } }));
  res.end(JSON.stringify({ alive: true }));
});
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

/** A fresh app with the package's one error renderer, then the plugin. */
async function appWith(register: (app: FastifyInstance) => PromiseLike<unknown>): Promise<{ app: FastifyInstance; base: string }> {
  const app = Fastify();
  await app.register(errorRenderer);
  await register(app);
  return { app, base: await app.listen({ host: '127.0.0.1', port: 0 }) };
}

const gatewayCredentials = { clientId: 'consumer/gateway', accessToken: 'gateway-token' };

// proxyPlugin: a request to /<service>/<version>/<path> reaches rootUrl's /api/..., Hawk-signed
{
  const holder = new CredentialHolder(gatewayCredentials);
  const { app, base } = await appWith((app) => app.register(proxyPlugin, { holder, rootUrl: upstreamUrl }));
  const res = await fetch(`${base}/queue/v1/ping`);
  const forwarded = seen.at(-1)!;
  results.proxy = { status: res.status, url: forwarded.url, hawk: forwarded.authorization.startsWith('Hawk ') };
  await app.close();
}

// bewitPlugin: the URL in the body comes back signed
{
  const holder = new CredentialHolder(gatewayCredentials);
  const { app, base } = await appWith((app) => app.register(bewitPlugin, { holder, ttlSec: 60 }));
  const res = await fetch(`${base}/bewit`, { method: 'POST', body: `${upstreamUrl}/api/queue/v1/task/x`, redirect: 'manual' });
  results.bewit = { status: res.status, signed: (res.headers.get('location') ?? '').includes('bewit=') };
  await app.close();
}

// credentialsPlugin: PUT /credentials swaps what the holder signs with
{
  const holder = new CredentialHolder(gatewayCredentials);
  const { app, base } = await appWith((app) => app.register(credentialsPlugin, { holder }));
  const res = await fetch(`${base}/credentials`, { method: 'PUT', body: JSON.stringify({ clientId: 'consumer/renewed', accessToken: 'renewed-token' }) });
  results.credentials = { status: res.status, clientId: holder.current.credentials.clientId };
  await app.close();
}

// secretsPlugin: a store (PostgreSQL) with a key ring of one new key (loadKeyRing(file) reads a keys file), clients from a clients file's text
{
  const store = await openSecretStore(postgresUrl, { keys: [generateKey()] }, { schema });
  const client = { clientId: 'consumer/app', accessToken: 'consumer-access-token-of-44-characters-0000000', scopes: ['secrets:set:project/app/*'] };
  const clients = parseAuthClients(JSON.stringify({ clients: [client], roles: [] }), 'clients.json');
  const authenticate = localAuthenticator(clients, new NonceCache());
  const { app, base } = await appWith((app) => app.register(secretsPlugin, { store, authenticate }));
  const url = `${base}/api/secrets/v1/secret/project/app/db`;
  const res = await fetch(url, {
    method: 'PUT',
    headers: { authorization: new HawkSigner(client).headerForUrl('PUT', url), 'content-type': 'application/json' },
    body: JSON.stringify({ secret: { password: 'hunter2' }, expires: new Date(Date.now() + 3_600_000).toISOString() }),
  });
  results.secrets = { status: res.status, stored: (await store.get('project/app/db'))?.secret };
  await app.close();
  await store.close();
}

// hostSecretsPlugin: the issuing thread, the allowed ranges; 127.0.0.1 is not among them
{
  const issuing = new IssuingThread({
    dns: { servers: [], timeoutMs: 1000, forwardMatch: 'exact' },
    policy: { scopeBase: 'assume:project:consumer:host:', clientIdBase: 'project/consumer/host/', lifetimeMs: lifetimeMs('1 day', 'lifetime'), issuer: gatewayCredentials },
  });
  const { app, base } = await appWith((app) => app.register(hostSecretsPlugin, {
    issuing, allowedRanges: parseRanges('10.0.0.0/8', 'allowed'), trustedProxies: [], forceSsl: false, trustProxy: false,
    rateLimitPerMinute: 0, auditLog: createLogger('silent'),
  }));
  const res = await fetch(`${base}/v1/credentials`);
  results.hostSecrets = { status: res.status, code: ((await res.json()) as { code: string }).code };
  await app.close();
  await issuing.close();
}

// relengapiPlugin: service prefixes and a token manager; the request reaches the service with a temporary token
{
  const tokens = new TemporaryTokenManager({ tokenUrl: `${upstreamUrl}/tokens`, permanentToken: 'permanent', permissions: ['tooltool.download.public'], lifetimeMs: 600_000, renewBeforeMs: 10_000 });
  const routes = parseServiceRoutes([`/tooltool=${upstreamUrl}/tooltool`], 'routes');
  const { app, base } = await appWith((app) => app.register(relengapiPlugin, { routes, tokens }));
  const res = await fetch(`${base}/tooltool/sha512/abc`);
  const forwarded = seen.at(-1)!;
  results.relengapi = { status: res.status, url: forwarded.url, authorization: forwarded.authorization };
  await app.close();
}

upstream.close();
console.log(JSON.stringify(results));
