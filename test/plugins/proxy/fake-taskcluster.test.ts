// The fake Taskcluster service itself: it must accept what the real client signs and refuse the rest.
import t from 'tap';
import taskcluster from 'taskcluster-client';
import { startFakeTaskcluster } from '../../helpers/fake-taskcluster.js';

const client = { clientId: 'tester', accessToken: 'x'.repeat(44), scopes: ['queue:create-task:*'] };
const taskId = 'fN1SbArXTPSVFNUvaOlinQ';

t.test('verifies taskcluster-client signatures, scopes and serves public tasks', async (t) => {
  const tc = await startFakeTaskcluster({ clients: [client], tasks: { [taskId]: { scopes: ['a'] } } });
  t.teardown(() => tc.close());
  tc.route({ path: `/api/queue/v1/task/${taskId}`, method: 'PUT', scope: 'queue:create-task:low' });

  const queue = new taskcluster.Queue({ rootUrl: tc.rootUrl, credentials: { clientId: client.clientId, accessToken: client.accessToken }, retries: 0 });
  t.same(await queue.task(taskId), { scopes: ['a'] }, 'public task served');
  const echo = await queue.createTask(taskId, { x: 1 });
  t.equal(echo.clientId, 'tester', 'authenticated as the signer');
  t.equal(echo.method, 'PUT');
  t.same(JSON.parse(echo.body), { x: 1 });

  const temp = taskcluster.createTemporaryCredentials({ start: new Date(), expiry: taskcluster.fromNow('1 hour'), scopes: ['queue:create-task:other'], credentials: client });
  const limited = new taskcluster.Queue({ rootUrl: tc.rootUrl, credentials: temp, retries: 0 });
  await t.rejects(limited.createTask(taskId, {}), { statusCode: 403, code: 'InsufficientScopes' }, 'scope enforced');

  const wrong = new taskcluster.Queue({ rootUrl: tc.rootUrl, credentials: { clientId: 'tester', accessToken: 'y'.repeat(44) }, retries: 0 });
  await t.rejects(wrong.createTask(taskId, {}), { statusCode: 401, code: 'AuthenticationFailed' }, 'bad MAC refused');
  const over = new taskcluster.Queue({ rootUrl: tc.rootUrl, credentials: client, authorizedScopes: ['secrets:get:x'], retries: 0 });
  await t.rejects(over.createTask(taskId, {}), { statusCode: 401, message: /authorizedScopes/ }, 'overstepping authorizedScopes refused');

  const res = await fetch(`${tc.url}/x/a%2Fb//c?q=%2F&r`);
  const anon = await res.json();
  t.equal(anon.path, '/x/a%2Fb//c', 'raw path echoed');
  t.equal(anon.query, 'q=%2F&r');
  t.equal(anon.clientId, 'anonymous');
});

t.test('chosen status, redirect, times and hang', async (t) => {
  const tc = await startFakeTaskcluster();
  t.teardown(() => tc.close());
  tc.route({ path: '/flaky', status: 503, times: 1 });
  tc.route({ path: '/go', redirect: 'https://example.com/artifact' });
  tc.route({ path: '/hang', hang: true });
  t.equal((await fetch(`${tc.url}/flaky`)).status, 503);
  t.equal((await fetch(`${tc.url}/flaky`)).status, 200, 'only once');
  const redirect = await fetch(`${tc.url}/go`, { redirect: 'manual' });
  t.equal(redirect.status, 303);
  t.equal(redirect.headers.get('location'), 'https://example.com/artifact');
  const controller = new AbortController();
  const arrived = tc.nextRequest('/hang');
  const pending = fetch(`${tc.url}/hang`, { signal: controller.signal }).catch(() => 'aborted');
  const received = await arrived;
  controller.abort();
  t.equal(await pending, 'aborted');
  t.equal(await received.closed, true, 'client going away is seen');
});
