// Taskcluster references served by a running gateway, generated from its routes tables: the
// manifest lists what the listener serves, taskcluster-client's createClient builds a working
// Secrets client from the fetched reference, the secrets entries are the real service's, and a
// listener serving no Taskcluster API serves no references.
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import taskcluster from 'taskcluster-client';
import { loggedGateway } from '../../plugins/secrets/configured-gateway.js';
import { clients } from '../../plugins/secrets/gateway.js';

const listeners = JSON.stringify([
  { name: 'main', host: '127.0.0.1', port: 0, plugins: ['secrets'] },
  { name: 'plain', host: '127.0.0.1', port: 0, plugins: [] },
]);

async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

t.test('references of a running gateway: manifest, api.json, schemas, a client built from them', async (t) => {
  const dir = t.testdir();
  const { url, gateway } = await loggedGateway(t, dir, `sqlite:${join(dir, 'secrets.db')}`, ['--listeners', listeners]);

  const manifest = await getJson(`${url}/references/manifest.json`);
  t.equal(manifest.status, 200);
  t.same(manifest.body, {
    $schema: `${url}/schemas/common/manifest-v3.json#`,
    references: [`${url}/references/secrets/v1/api.json`, `${url}/references/auth/v1/api.json`],
  }, 'one reference per Taskcluster service the listener serves, as absolute URLs');

  const { status, body: reference } = await getJson(manifest.body.references[0]);
  t.equal(status, 200);
  t.match(reference, { $schema: `${url}/schemas/common/api-reference-v0.json#`, apiVersion: 'v1', serviceName: 'secrets', title: 'Secrets Service', description: String });

  // the real service's entries, as taskcluster-client ships them, for every call both have
  const real = (taskcluster as any).Secrets.prototype;
  const served = new Map<string, any>(reference.entries.map((e: any) => [e.name, e]));
  for (const name of ['ping', 'set', 'remove', 'get', 'list']) {
    const { type, method, route, args, query, scopes, name: n } = real[name].entryReference;
    t.match(served.get(name), { type, method, route, args, query, name: n, ...(scopes ? { scopes } : {}) }, `${name} as the real service declares it`);
  }
  t.notOk('scopes' in served.get('ping'), 'a public call states no scopes');
  t.equal(served.get('set').input, served.get('get').output, 'set and get share the secret schema, as the real service');

  const schema = await getJson(`${url}/schemas/secrets/${served.get('set').input.replace(/#$/, '')}`);
  t.equal(schema.status, 200);
  t.match(schema.body, { $id: `${url}/schemas/secrets/${served.get('set').input}`, type: 'object', required: ['secret', 'expires'] });
  const missing = await getJson(`${url}/schemas/secrets/v1/nothing.json`);
  t.equal(missing.status, 404);
  t.equal(missing.body.code, 'ResourceNotFound');

  const Secrets = taskcluster.createClient(reference);
  const secrets = new Secrets({ rootUrl: url, credentials: clients.root, retries: 0 });
  const expires = taskcluster.fromNow('1 day');
  t.same(await secrets.ping().then((p: any) => p.alive), true);
  await secrets.set('project/foo/one', { secret: { v: 1 }, expires });
  t.same((await secrets.get('project/foo/one')).secret, { v: 1 }, 'set then get');
  t.same((await secrets.list()).secrets, ['project/foo/one'], 'list');
  await secrets.remove('project/foo/one');
  await t.rejects(secrets.get('project/foo/one'), { statusCode: 404, code: 'ResourceNotFound' }, 'remove');
  await t.rejects(new Secrets({ rootUrl: url, credentials: clients.reader, retries: 0 }).set('project/foo/x', { secret: {}, expires }), { statusCode: 403, code: 'InsufficientScopes' }, 'scopes still apply');

  // the audit history: the auth service's entry, two arguments, the secret's audit read back through it
  const auth = (await getJson(manifest.body.references[1])).body;
  const history = auth.entries.find((e: any) => e.name === 'getEntityHistory');
  const { type, method, route, args, query, scopes } = (taskcluster as any).Auth.prototype.getEntityHistory.entryReference;
  t.match(history, { type, method, route, args, query, scopes }, 'getEntityHistory as the real auth service declares it');
  const Auth = taskcluster.createClient(auth);
  const audited = await new Auth({ rootUrl: url, credentials: clients.root, retries: 0 }).getEntityHistory('secret', 'project/foo/one');
  t.same(audited.auditHistory.map((e: any) => [e.actionType, e.entityType, e.entityId]), [['created', 'secret', 'project/foo/one'], ['deleted', 'secret', 'project/foo/one']], 'a client built from it reads the history');
  await t.rejects(new taskcluster.Auth({ rootUrl: url, credentials: clients.root, retries: 0 }).getEntityHistory('client', 'root'), { statusCode: 400, code: 'InputValidationError', message: /params\/entityType must be equal to one of the allowed values/ }, 'an entity type the gateway does not keep');

  const plain = gateway.listeners.find((l) => l.spec.name === 'plain')!;
  const plainUrl = `http://127.0.0.1:${(plain.app.server.address() as AddressInfo).port}`;
  t.equal((await fetch(`${plainUrl}/references/manifest.json`)).status, 404, 'a listener serving no Taskcluster API serves no references');
});
