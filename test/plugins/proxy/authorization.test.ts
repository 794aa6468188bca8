// taskcluster-proxy's authorization_test, ported: API calls through the proxy with permanent and
// temporary credentials and authorizedScopes, verified by the fake deployment as the auth service would.
import t from 'tap';
import { CredentialHolder } from '../../../src/core/index.js';
import { startFakeTaskcluster } from '../../helpers/fake-taskcluster.js';
import { clients, permanent, startGateway, temporary } from './gateway.js';

const taskId = 'fN1SbArXTPSVFNUvaOlinQ';

t.test('authorization through the proxy', async (t) => {
  const tc = await startFakeTaskcluster({ clients: Object.values(clients), tasks: { [taskId]: { scopes: [] } } });
  t.teardown(() => tc.close());
  tc.route({ method: 'POST', path: `/api/queue/v1/task/${taskId}/runs/0/artifacts/x`, scope: 'queue:create-artifact:x' });
  tc.route({ method: 'GET', path: '/api/secrets/v1/secret/s', scope: 'secrets:get:s' });

  const cases = [
    { name: 'permanent credentials', credentials: permanent(clients.worker), clientId: clients.worker.clientId },
    { name: 'temporary credentials', credentials: temporary(clients.worker, ['queue:create-artifact:*', 'secrets:get:s']), clientId: clients.worker.clientId },
    { name: 'permanent credentials with authorizedScopes', credentials: permanent(clients.worker), authorizedScopes: ['queue:create-artifact:x', 'secrets:get:s'], clientId: clients.worker.clientId },
  ];
  for (const c of cases) {
    const gw = await startGateway({ rootUrl: tc.rootUrl, credentials: c.credentials, authorizedScopes: c.authorizedScopes });
    t.teardown(() => gw.close());
    const get = await fetch(`${gw.url}/secrets/v1/secret/s`);
    t.equal(get.status, 200, `${c.name}: GET through the shortcut form`);
    const echoed = await get.json();
    t.equal(echoed.clientId, c.clientId, `${c.name}: the upstream authenticated the gateway's credentials`);
    t.equal(echoed.scheme, 'hawk');
    const post = await fetch(`${gw.url}/api/queue/v1/task/${taskId}/runs/0/artifacts/x`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ storageType: 'object' }),
    });
    t.equal(post.status, 200, `${c.name}: POST through the root URL form`);
    t.same(JSON.parse((await post.json()).body), { storageType: 'object' }, `${c.name}: body forwarded`);
  }
});

t.test('identity headers on every answer', async (t) => {
  const tc = await startFakeTaskcluster({ clients: Object.values(clients) });
  t.teardown(() => tc.close());
  const perm = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.worker) });
  t.teardown(() => perm.close());
  const res = await fetch(`${perm.url}/queue/v1/ping`);
  t.equal(res.headers.get('x-taskcluster-proxy-perm-clientid'), clients.worker.clientId);
  t.equal(res.headers.get('x-taskcluster-proxy-temp-clientid'), null);
  t.equal(res.headers.get('x-taskcluster-authorized-scopes'), null, 'unrestricted: no authorized scopes header');
  t.match(res.headers.get('x-taskcluster-proxy-version'), /^\d+\.\d+\.\d+/);
  t.ok(res.headers.has('x-taskcluster-proxy-revision'));
  t.equal(res.headers.get('x-taskcluster-endpoint'), `${tc.rootUrl}/api/queue/v1/ping`);

  const temp = await startGateway({ rootUrl: tc.rootUrl, credentials: temporary(clients.worker, ['queue:a', 'queue:b']), authorizedScopes: ['queue:a'] });
  t.teardown(() => temp.close());
  for (const path of ['/queue/v1/ping', '/not_a_host!/x']) {
    const r = await fetch(`${temp.url}${path}`);
    t.equal(r.headers.get('x-taskcluster-proxy-temp-clientid'), clients.worker.clientId, `${path}: temp clientId`);
    t.equal(r.headers.get('x-taskcluster-proxy-temp-scopes'), '["queue:a","queue:b"]');
    t.equal(r.headers.get('x-taskcluster-authorized-scopes'), '["queue:a"]');
    t.equal(r.headers.get('x-taskcluster-proxy-perm-clientid'), null);
  }
});

t.test('upstream refusals pass through with their bodies', async (t) => {
  const tc = await startFakeTaskcluster({ clients: Object.values(clients) });
  t.teardown(() => tc.close());
  tc.route({ path: '/api/secrets/v1/secret/s', scope: 'secrets:get:s' });

  const missing = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.worker) });
  t.teardown(() => missing.close());
  const notFound = await fetch(`${missing.url}/queue/v1/task/${taskId}`);
  t.equal(notFound.status, 404, 'a non-200 upstream answer keeps its status');
  t.match(await notFound.json(), { code: 'ResourceNotFound', message: new RegExp(taskId) }, 'and its error body');

  const overstepped = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.other), authorizedScopes: ['secrets:get:s'] });
  t.teardown(() => overstepped.close());
  const unauthorized = await fetch(`${overstepped.url}/secrets/v1/secret/s`);
  t.equal(unauthorized.status, 401, 'authorizedScopes beyond the credentials: the upstream refuses');
  t.match(await unauthorized.json(), { code: 'AuthenticationFailed', message: /authorizedScopes/ });

  const lacking = await startGateway({ rootUrl: tc.rootUrl, credentials: temporary(clients.worker, ['queue:x']) });
  t.teardown(() => lacking.close());
  const forbidden = await fetch(`${lacking.url}/secrets/v1/secret/s`);
  t.equal(forbidden.status, 403, 'credentials lacking the scope: 403 from the upstream');
  t.match(await forbidden.json(), { code: 'InsufficientScopes' });
});

t.test('credentials with a bad certificate are refused before any request is signed', async (t) => {
  // taskcluster-proxy accepted them and answered 500 on every request (TestBadCredsReturns500)
  const bad = { clientId: 'x', accessToken: 'y'.repeat(44), certificate: '{"version": 1}' };
  t.throws(() => new CredentialHolder(bad), { code: 'InputError', message: /certificate/ });
});

t.test('invalid endpoints answer 404 in the JSON error shape', async (t) => {
  const tc = await startFakeTaskcluster({ clients: Object.values(clients) });
  t.teardown(() => tc.close());
  const gw = await startGateway({ rootUrl: tc.rootUrl, credentials: permanent(clients.worker) });
  t.teardown(() => gw.close());
  for (const path of ['/', '/not_a_host!/v1/x', '/-bad-/v1/x', '/api/queue', '/api/queue/v1', '/queue']) {
    const res = await fetch(`${gw.url}${path}`);
    t.equal(res.status, 404, `${path}: 404`);
    t.match(await res.json(), { code: 'ResourceNotFound', message: String, requestInfo: Object }, `${path}: JSON error`);
  }
  t.equal(tc.requests.length, 0, 'nothing reached the upstream');
});
