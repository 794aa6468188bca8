import t from 'tap';
import Fastify, { type FastifyInstance } from 'fastify';
import hawk from 'hawk';
import { NonceCache, verifyRequest } from '../../src/core/hawk.js';
import { authorization, type Authenticate } from '../../src/fastify/authorize.js';
import { errorRenderer } from '../../src/fastify/errors.js';
import { directoryOf } from '../helpers/directory.js';

const client = { clientId: 'tester', accessToken: 'k'.repeat(44), scopes: ['thing:read:a/*', 'thing:write:b'] };
const directory = directoryOf(client, [{ roleId: 'anonymous', scopes: ['thing:read:public'] }]);
const authenticate: Authenticate = (request) => verifyRequest(request, directory, { nonceCache: new NonceCache() });
const credentials = { id: client.clientId, key: client.accessToken, algorithm: 'sha256' as const };

async function appWith(declare: (app: FastifyInstance) => void, trustedProxies: string[] = []): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(async (scoped) => {
    await scoped.register(errorRenderer);
    await scoped.register(authorization, { authenticate, trustedProxies });
    declare(scoped);
  });
  await app.ready();
  t.teardown(() => app.close());
  return app;
}

const reply = async (request: { caller: { clientId: string } | null; params: unknown }) => ({ caller: request.caller?.clientId ?? null, params: request.params });
const header = (url: string, method = 'GET', options: Record<string, unknown> = {}) => hawk.client.header(url, method, { credentials, ...options }).header;

t.test('a route must state its scopes, and its placeholders must be route params', async (t) => {
  await t.rejects(appWith((app) => app.get('/nothing', reply)), /route GET \/nothing states no scopes/);
  await t.rejects(appWith((app) => app.get('/x/:id', { config: { scopes: 'thing:read:<name>' } }, reply)), /<name> is not a route parameter/);
  await t.rejects(appWith((app) => app.get('/x', { config: { scopes: { AnyOf: 'nope' } as never } }, reply)), /invalid scope expression/);
});

t.test('public routes skip authentication; scoped ones substitute params and answer 403 naming the expression', async (t) => {
  const app = await appWith((app) => {
    app.get('/public', { config: { scopes: null } }, reply);
    app.get('/read/:name', { config: { scopes: 'thing:read:<name>' } }, reply);
    app.get('/wild/*', { config: { scopes: { AllOf: ['thing:read:<name>'] }, scopeParams: { name: '*' } } }, reply);
  });
  const pub = await app.inject({ url: '/public', headers: { authorization: 'Hawk garbage' } });
  t.same(pub.json(), { caller: null, params: {} }, 'not even a bad header is looked at');
  const ok = await app.inject({ url: '/read/a%2Fb', headers: { authorization: header('http://localhost:80/read/a%2Fb') } });
  t.same(ok.json(), { caller: 'tester', params: { name: 'a/b' } });
  const wild = await app.inject({ url: '/wild/a/deep/name', headers: { authorization: header('http://localhost:80/wild/a/deep/name') } });
  t.equal(wild.statusCode, 200);
  const denied = await app.inject({ url: '/wild/b/x', headers: { authorization: header('http://localhost:80/wild/b/x') } });
  t.equal(denied.statusCode, 403);
  t.match(denied.json(), { code: 'InsufficientScopes', required: { AllOf: ['thing:read:b/x'] }, message: /Client ID tester does not have sufficient scopes/ });
  const anonymous = await app.inject({ url: '/read/public' });
  t.same(anonymous.json().caller, 'anonymous', 'no credentials: the anonymous role');
  const anonymousDenied = await app.inject({ url: '/read/a%2Fx' });
  t.same([anonymousDenied.statusCode, anonymousDenied.json().code], [403, 'InsufficientScopes']);
  const bad = await app.inject({ url: '/read/a%2Fb', headers: { authorization: header('http://localhost:80/read/a%2Fc') } });
  t.same([bad.statusCode, bad.json().code], [401, 'AuthenticationFailed']);
  const unprintable = await app.inject({ url: '/read/%C3%A9', headers: { authorization: header('http://localhost:80/read/%C3%A9') } });
  t.same([unprintable.statusCode, unprintable.json().code], [400, 'InputError']);
});

t.test('X-Forwarded-Host/-Port/-Proto count only from trusted proxies', async (t) => {
  const app = await appWith((app) => app.get('/read/:name', { config: { scopes: 'thing:read:<name>' } }, reply), ['10.0.0.0/8', '::1']);
  const signed = header('https://gateway.example.com/read/a%2F1');
  const forwarded = { authorization: signed, host: 'internal:8080', 'x-forwarded-host': 'gateway.example.com', 'x-forwarded-proto': 'https' };
  t.equal((await app.inject({ url: '/read/a%2F1', headers: forwarded, remoteAddress: '10.1.2.3' })).statusCode, 200, 'trusted proxy');
  const again = { ...forwarded, authorization: header('https://gateway.example.com/read/a%2F1') };
  t.equal((await app.inject({ url: '/read/a%2F1', headers: again, remoteAddress: '192.168.1.1' })).statusCode, 401, 'untrusted peer: its headers are ignored');
  const port = { authorization: header('http://gateway.example.com:8443/read/a%2F1'), host: 'internal', 'x-forwarded-host': 'gateway.example.com', 'x-forwarded-port': '8443' };
  t.equal((await app.inject({ url: '/read/a%2F1', headers: port, remoteAddress: '::ffff:10.0.0.9' })).statusCode, 200, 'X-Forwarded-Port, IPv4-mapped peer');
  await t.rejects(appWith(() => undefined, ['not-a-cidr']), /^setting trustedProxies \(GATEWAY_TRUSTED_PROXIES, --trusted-proxies\): "not-a-cidr" is not an IP address or CIDR$/);
});

t.test('JSON bodies: a payload hash, when sent, is verified over the raw text; malformed JSON is MalformedPayload', async (t) => {
  const app = await appWith((app) => app.put('/write/:name', { config: { scopes: 'thing:write:<name>' } }, async (request) => ({ got: request.body })));
  const body = '{"a": 1}';
  const url = 'http://localhost:80/write/b';
  const hashed = (payload: string) => header(url, 'PUT', { payload, contentType: 'application/json' });
  const ok = await app.inject({ method: 'PUT', url: '/write/b', payload: body, headers: { 'content-type': 'application/json', authorization: hashed(body) } });
  t.same(ok.json(), { got: { a: 1 } });
  const tampered = await app.inject({ method: 'PUT', url: '/write/b', payload: '{"a": 2}', headers: { 'content-type': 'application/json', authorization: hashed(body) } });
  t.same([tampered.statusCode, tampered.json().code], [401, 'AuthenticationFailed']);
  const malformed = await app.inject({ method: 'PUT', url: '/write/b', payload: '{"password": "pw-value"', headers: { 'content-type': 'application/json', authorization: header(url, 'PUT') } });
  t.same([malformed.statusCode, malformed.json().code], [400, 'MalformedPayload']);
  t.notMatch(malformed.body, 'pw-value');
});
