// --auth remote: the gateway asks a Taskcluster auth service (a loopback fake verifying for
// real) who is calling: allowed, denied, anonymous; unreachable, slow or failing → 503, never allow.
import t from 'tap';
import taskcluster from 'taskcluster-client';
import { NonceCache } from '../../../src/core/hawk.js';
import { parseAuthClients } from '../../../src/core/local-auth.js';
import { remoteAuthenticator } from '../../../src/core/remote-auth.js';
import { startFakeAuth } from '../../helpers/fake-auth.js';
import { sqliteBackend } from './store/sqlite-backend.js';
import { clients, clientsFile, startGateway } from './gateway.js';

t.test('remote auth through authenticateHawk', async (t) => {
  const auth = await startFakeAuth(parseAuthClients(JSON.stringify(clientsFile), 'fake auth clients'));
  t.teardown(() => auth.close());
  const authenticate = remoteAuthenticator({ rootUrl: `${auth.rootUrl}/`, timeoutMs: 500, nonceCache: new NonceCache() });
  const gw = await startGateway(t, await sqliteBackend.fresh(t), { authenticate });
  const as = (credentials?: object) => new taskcluster.Secrets({ rootUrl: gw.rootUrl, retries: 0, ...(credentials ? { credentials } : {}) });
  const expires = taskcluster.fromNow('1 hour');

  await as(clients.writer).set('project/foo/remote', { secret: { v: 1 }, expires });
  t.same((await as(clients.reader).get('project/foo/remote')).secret, { v: 1 }, 'allowed');
  t.match(auth.calls.at(-1), { method: 'get', resource: '/api/secrets/v1/secret/project%2Ffoo%2Fremote', host: '127.0.0.1', port: Number(new URL(gw.rootUrl).port) });
  await t.rejects(as(clients.reader).set('project/foo/remote', { secret: {}, expires }), { statusCode: 403, code: 'InsufficientScopes' }, 'denied by scopes');
  await t.rejects(as({ ...clients.reader, accessToken: 'x'.repeat(44) }).get('project/foo/remote'), { statusCode: 401, code: 'AuthenticationFailed' }, 'the service says auth-failed');
  await as(clients.root).set('public/hello', { secret: { hi: 1 }, expires });
  t.same((await as().get('public/hello')).secret, { hi: 1 }, 'no credentials: the service answers no-auth with the anonymous scopes');
  await t.rejects(as().get('project/foo/remote'), { statusCode: 403, code: 'InsufficientScopes' });

  auth.behave('error');
  await t.rejects(as(clients.root).get('project/foo/remote'), { statusCode: 503, code: 'ServiceUnavailable' }, 'auth answers 500');
  auth.behave('hang');
  const started = Date.now();
  await t.rejects(as(clients.root).get('project/foo/remote'), { statusCode: 503, code: 'ServiceUnavailable', message: /within 500 ms/ }, 'auth too slow');
  t.ok(Date.now() - started < 3000, 'answered after the timeout');
  await auth.close();
  await t.rejects(as(clients.root).get('project/foo/remote'), { statusCode: 503, code: 'ServiceUnavailable', message: /cannot connect/ }, 'auth unreachable');
  await t.rejects(as().get('public/hello'), { statusCode: 503, code: 'ServiceUnavailable' }, 'not even anonymous requests are let through');
});
