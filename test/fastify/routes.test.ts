// The route kit: a table that cannot be served as stated is refused when declared, naming the
// route; each route reads its body as it says, answers HEAD only where it says so, and carries
// its declaration for whatever documents a listener; a capability needs the app's error renderer.
import Fastify, { type FastifyInstance } from 'fastify';
import t from 'tap';
import { NonceCache, verifyRequest } from '../../src/core/hawk.js';
import { capabilityPlugin } from '../../src/fastify/capability.js';
import { errorRenderer } from '../../src/fastify/errors.js';
import { ANY_METHOD, declareRoutes, type ApiRoute } from '../../src/fastify/routes.js';
import { directoryOf } from '../helpers/directory.js';

const echo = { title: 'Echo', description: 'Answers what it read.', handler: async (request: { body: unknown }) => ({ body: request.body ?? null }) };

async function appWith(routes: ApiRoute[], options: Parameters<typeof declareRoutes>[2] = {}): Promise<FastifyInstance> {
  const app = Fastify();
  t.teardown(() => app.close());
  await app.register(errorRenderer);
  await app.register(async (plugin) => declareRoutes(plugin, routes, options));
  await app.ready();
  return app;
}

t.test('a table that cannot be served as stated is refused, naming the route', async (t) => {
  await t.rejects(appWith([{ method: 'GET', url: '/x', name: 'x', scopes: null, ...echo, title: '' }]), /route GET \/x needs a name, a title and a description/);
  await t.rejects(appWith([{ method: 'GET', url: '/x', name: 'x', ...echo } as unknown as ApiRoute]), /route GET \/x states no scopes/);
  await t.rejects(appWith([{ method: 'GET', url: '/x/:id', name: 'x', scopes: 'thing:<name>', ...echo }]), /<name> is not a route parameter/);
  await t.rejects(appWith([{ method: 'GET', url: '/x', name: 'x', scopes: 'thing:read', ...echo }]), /route GET \/x states scopes: declareRoutes needs option authenticate/);
  await t.rejects(appWith([{ method: 'GET', url: '/x', name: 'x', scopes: null, ...echo }, { method: 'GET', url: '/y', name: 'x', scopes: null, ...echo }]), /name x is declared twice/);
});

t.test('each route reads its body as it says', async (t) => {
  const app = await appWith([
    { method: 'POST', url: '/json', name: 'json', scopes: null, ...echo },
    { method: 'POST', url: '/text', name: 'text', scopes: null, body: 'text', ...echo },
    { method: 'POST', url: '/parsed', name: 'parsed', scopes: null, body: { text: (raw) => raw.toUpperCase() }, ...echo },
    { method: 'POST', url: '/stream', name: 'stream', scopes: null, body: 'stream', ...echo },
  ]);
  const post = async (url: string, payload: string, type: string) => (await app.inject({ method: 'POST', url, payload, headers: { 'content-type': type } })).json();
  t.same(await post('/json', '{"a":1}', 'application/json'), { body: { a: 1 } });
  t.same(await post('/text', 'https://x/?a=b', 'application/x-www-form-urlencoded'), { body: 'https://x/?a=b' }, 'text whatever the type');
  t.same(await post('/parsed', 'abc', 'text/plain'), { body: 'ABC' });
  t.same(await post('/stream', 'abc', 'application/json'), { body: null }, 'a stream is left unread');
  const refused = await app.inject({ method: 'POST', url: '/json', payload: '{', headers: { 'content-type': 'application/json' } });
  t.match(refused.json(), { code: 'MalformedPayload' }, 'bad JSON answered by the one renderer');
});

t.test('HEAD only where a route says so; ANY takes every method', async (t) => {
  const app = await appWith([
    { method: 'GET', url: '/plain', name: 'plain', scopes: null, ...echo },
    { method: 'GET', url: '/monitored', name: 'monitored', scopes: null, answersHead: true, ...echo },
    { method: ANY_METHOD, url: '/any', name: 'any', scopes: null, body: 'stream', ...echo },
  ]);
  t.equal((await app.inject({ method: 'HEAD', url: '/plain' })).statusCode, 404);
  t.equal((await app.inject({ method: 'HEAD', url: '/monitored' })).statusCode, 200);
  for (const method of ['GET', 'PUT', 'DELETE', 'PATCH'] as const) t.equal((await app.inject({ method, url: '/any' })).statusCode, 200, method);
});

t.test('a scoped route authenticates; its declaration rides on the route for documents of the listener', async (t) => {
  const client = { clientId: 'tester', accessToken: 'k'.repeat(44), scopes: ['thing:read'] };
  const directory = directoryOf(client, [{ roleId: 'anonymous', scopes: [] }]);
  const declared: unknown[] = [];
  const app = Fastify();
  t.teardown(() => app.close());
  app.addHook('onRoute', (route) => void declared.push(route.config?.declaration?.name));
  await app.register(errorRenderer);
  await app.register(async (plugin) => declareRoutes(plugin, [{ method: 'GET', url: '/thing', name: 'readThing', scopes: 'thing:read', ...echo }], {
    authenticate: (request) => verifyRequest(request, directory, { nonceCache: new NonceCache() }),
  }));
  const anonymous = await app.inject({ url: '/thing' });
  t.equal(anonymous.statusCode, 403);
  t.match(anonymous.json(), { code: 'InsufficientScopes', requestInfo: { method: 'GET' } });
  t.same(declared, ['readThing']);
});

t.test('a capability plugin needs the app\'s error renderer, registered once', async (t) => {
  const capability = capabilityPlugin('demo', async (app) => declareRoutes(app, [{ method: 'GET', url: '/demo', name: 'demo', scopes: null, ...echo }]));
  const bare = Fastify();
  t.teardown(() => bare.close());
  await t.rejects(async () => {
    await bare.register(capability);
    await bare.ready();
  }, /dependency 'taskcluster-gateway-errors' of plugin 'taskcluster-gateway-demo' is not registered/);
  const app = Fastify();
  t.teardown(() => app.close());
  await app.register(errorRenderer);
  await app.register(capability);
  t.same((await app.inject({ url: '/demo' })).json(), { body: null });
  t.match((await app.inject({ url: '/elsewhere' })).json(), { code: 'ResourceNotFound', message: 'No route for GET /elsewhere' });
});
