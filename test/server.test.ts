import t from 'tap';
import { Writable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { buildGateway } from '../src/server.js';
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/log.js';
import type { PluginModule } from '../src/fastify/capability.js';

const silent = createLogger('silent');

t.test('unknown plugins and empty configurations fail with a message naming the setting', async (t) => {
  await t.rejects(buildGateway(loadConfig({ argv: ['--plugins', 'nope'] }), { log: silent }), { name: 'ConfigError', message: /unknown plugin nope in setting plugins/ });
  await t.rejects(buildGateway(loadConfig({}), { log: silent }), { name: 'ConfigError', message: /no plugins enabled/ });
});

t.test('listeners serve Dockerflow, errors in Taskcluster shape, metrics on the admin listener', async (t) => {
  const loaded = loadConfig({ argv: ['--listeners', JSON.stringify([{ name: 'one', host: '127.0.0.1', port: 0, plugins: [] }]), '--admin-port', '0'] });
  loaded.core.adminPort = 0;
  const gateway = await buildGateway(loaded, { log: silent, quickstart: true });
  t.teardown(() => gateway.close());
  const urls = await gateway.listen();
  t.same(await (await fetch(`${urls.one}/__lbheartbeat__`)).json(), {});
  t.match(await (await fetch(`${urls.one}/__version__`)).json(), { version: /^\d+\.\d+\.\d+/ });
  t.match(await (await fetch(`${urls.one}/__heartbeat__`)).json(), { status: 'ok' });
  const missing = await fetch(`${urls.one}/nowhere?x=1`);
  t.equal(missing.status, 404);
  t.match(await missing.json(), { code: 'ResourceNotFound', message: 'No route for GET /nowhere', requestInfo: { method: 'GET' } });
  t.notOk(gateway.admin, 'no admin listener with adminPort 0');
  t.ok((await gateway.metrics!.registry.getSingleMetricAsString('gateway_requests_total')).includes('status="404"'), 'requests counted');
});

t.test('route conflicts between plugins on one listener fail at start', async (t) => {
  const route: FastifyPluginAsync = async (app) => {
    app.get('/same', async () => ({}));
  };
  const modules: PluginModule<object>[] = ['left', 'right'].map((name) => ({ name, schema: {}, create: async () => ({ plugin: route, options: {} }) }));
  await t.rejects(buildGateway(loadConfig({ argv: ['--plugins', 'left,right'], modules }), { log: silent }), { name: 'ConfigError', message: /listener main: .*GET.*\/same/ });
});

t.test('the admin listener serves /metrics', async (t) => {
  const lines: string[] = [];
  const log = createLogger('info', new Writable({ write(c, _e, done) { lines.push(String(c)); done(); } }));
  const loaded = loadConfig({ argv: ['--listeners', JSON.stringify([{ name: 'one', host: '127.0.0.1', port: 0, plugins: [] }])] });
  loaded.core.adminPort = 1; // any non-zero port enables it; bind below on an ephemeral one
  const gateway = await buildGateway(loaded, { log, quickstart: true });
  t.teardown(() => gateway.close());
  await gateway.listeners[0]!.app.listen({ host: '127.0.0.1', port: 0 });
  const adminUrl = await gateway.admin!.listen({ host: '127.0.0.1', port: 0 });
  const metrics = await (await fetch(`${adminUrl}/metrics`)).text();
  t.match(metrics, /gateway_process_cpu_user_seconds_total/);
  t.match(metrics, /# TYPE gateway_requests_total counter/);
  t.ok(lines.some((l) => l.includes('"listener":"admin"')), 'admin requests are logged with their listener');
});

t.test('connection verification settings: refused at start when wrong; 127.0.0.1 served too with allowedNetwork', async (t) => {
  const listeners = (host: string) => ['--listeners', JSON.stringify([{ name: 'one', host, port: 0, plugins: [] }])];
  await t.rejects(buildGateway(loadConfig({ argv: [...listeners('127.0.0.1'), '--allowed-network', '10.0.0.0/8'] }), { log: silent, quickstart: true }), { name: 'ConfigError', message: /requires allowedUser/ });
  await t.rejects(buildGateway(loadConfig({ argv: [...listeners('127.0.0.1'), '--allowed-user', 'root', '--allowed-network', '0.0.0.0/0'] }), { log: silent, quickstart: true }), { name: 'ConfigError' });
  const gateway = await buildGateway(loadConfig({ argv: [...listeners('127.0.0.2'), '--allowed-user', 'root', '--allowed-network', '10.0.0.0/8'] }), { log: silent, quickstart: true });
  t.teardown(() => gateway.close());
  const urls = await gateway.listen();
  const port = new URL(urls.one!).port;
  t.equal((await fetch(`http://127.0.0.2:${port}/__lbheartbeat__`)).status, 200, 'the configured address serves a root-owned peer');
  t.equal((await fetch(`http://127.0.0.1:${port}/__lbheartbeat__`)).status, 200, '127.0.0.1 at the same port serves too');
});

t.test('authorizedScopes restrict every signature of the gateway, /bewit included', async (t) => {
  const { bewitModule } = await import('../src/plugins/bewit/capability.js');
  const loaded = loadConfig({
    argv: ['--plugins', 'bewit', '--port', '0', '--authorized-scopes', '["queue:get-artifact:x"]'],
    env: { TASKCLUSTER_CLIENT_ID: 'c', TASKCLUSTER_ACCESS_TOKEN: 't'.repeat(44) },
    modules: [bewitModule],
  });
  const gateway = await buildGateway(loaded, { log: silent });
  t.teardown(() => gateway.close());
  const { main } = await gateway.listen();
  const res = await fetch(`${main}/bewit`, { method: 'POST', body: 'https://tc.example.com/api/queue/v1/x', redirect: 'manual' });
  t.equal(res.status, 303);
  const bewit = new URL(res.headers.get('location')!).searchParams.get('bewit')!;
  const ext = Buffer.from(bewit, 'base64url').toString().split('\\')[3]!;
  t.same(JSON.parse(Buffer.from(ext, 'base64').toString()), { authorizedScopes: ['queue:get-artifact:x'] });
});

t.test('instrumentation with-admin: no metrics and no API documents without an admin listener to serve them', async (t) => {
  const listeners = ['--listeners', JSON.stringify([{ name: 'one', host: '127.0.0.1', port: 0, plugins: [] }])];
  const bare = await buildGateway(loadConfig({ argv: [...listeners, '--admin-port', '0'] }), { log: silent, quickstart: true, instrumentation: 'with-admin' });
  t.teardown(() => bare.close());
  t.equal(bare.metrics, undefined, 'no registry');
  t.notOk(bare.listeners[0]!.app.hasDecorator('swagger'), 'no OpenAPI document');
  const urls = await bare.listen();
  t.equal((await fetch(`${urls.one}/__lbheartbeat__`)).status, 200);

  const loaded = loadConfig({ argv: listeners });
  loaded.core.adminPort = 1; // any non-zero port enables it; bound below on an ephemeral one
  const observed = await buildGateway(loaded, { log: silent, quickstart: true, instrumentation: 'with-admin' });
  t.teardown(() => observed.close());
  const one = await observed.listeners[0]!.app.listen({ host: '127.0.0.1', port: 0 });
  const adminUrl = await observed.admin!.listen({ host: '127.0.0.1', port: 0 });
  t.equal((await fetch(`${one}/__lbheartbeat__`)).status, 200);
  t.match(await (await fetch(`${adminUrl}/metrics`)).text(), /gateway_requests_total\{listener="one",method="GET",status="200"\} 1/);
  t.equal((await fetch(`${adminUrl}/openapi/one.json`)).status, 200);
});
