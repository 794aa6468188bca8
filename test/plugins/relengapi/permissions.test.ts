import t from 'tap';
import { fetchTaskPermissions, NoPermissionsError, permissionsFromScopes } from '../../../src/plugins/relengapi/permissions.js';
import { startFakeTaskcluster } from '../../helpers/fake-taskcluster.js';

const P = 'docker-worker:relengapi-proxy:';

t.test('permissions are the scopes with the prefix, minus wildcards and empties', async (t) => {
  t.same(
    permissionsFromScopes([`${P}tooltool.download.public`, 'queue:get-artifact:x', `${P}`, `${P}*`, `${P}tooltool.*`, `${P}tooltool.download.internal`, `${P}tooltool.download.public`, `docker-worker:relengapi-proxy`]),
    ['tooltool.download.public', 'tooltool.download.internal'],
  );
  t.same(permissionsFromScopes(['docker-worker:*', 'docker-worker:relengapi-proxy:*']), [], 'wildcards grant nothing');
});

t.test('the task is read anonymously from the configured queue', async (t) => {
  const withScopes = 'fN1SbArXTPSVFNUvaOlinQ';
  const withoutScopes = 'aN1SbArXTPSVFNUvaOlinQ';
  const tc = await startFakeTaskcluster({
    tasks: { [withScopes]: { scopes: [`${P}tooltool.download.public`, 'queue:x'] }, [withoutScopes]: { scopes: ['queue:x', `${P}*`] } },
  });
  t.teardown(() => tc.close());

  t.same(await fetchTaskPermissions(withScopes, { rootUrl: tc.rootUrl }), ['tooltool.download.public']);
  const read = tc.requests.find((r) => r.path === `/api/queue/v1/task/${withScopes}`);
  t.equal(read?.clientId, 'anonymous', 'read without credentials');
  t.equal(read?.headers.authorization, undefined, 'no Authorization header');

  await t.rejects(fetchTaskPermissions(withoutScopes, { rootUrl: tc.rootUrl }), new NoPermissionsError(`No RelengAPI permission scopes (matching '${P}*') found on task ${withoutScopes}`));
  await t.rejects(fetchTaskPermissions('bN1SbArXTPSVFNUvaOlinQ', { rootUrl: tc.rootUrl }), { name: 'NoPermissionsError', message: /task not found/ });
  tc.route({ path: `/api/queue/v1/task/${withScopes}`, status: 500, body: { code: 'InternalServerError', message: 'boom' } });
  const failure = await fetchTaskPermissions(withScopes, { rootUrl: tc.rootUrl }).catch((err: Error) => err);
  t.notOk(failure instanceof NoPermissionsError, 'a failing queue is not a missing permission');
  t.match(failure, { message: new RegExp(`^Could not fetch Taskcluster task '${withScopes}' from .*: boom`) });
});
