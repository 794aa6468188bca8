// End to end: the real taskcluster-client, holding no credentials, calls through the gateway; the
// fake deployment checks the gateway's Hawk signature, certificate and authorizedScopes.
import t from 'tap';
import taskcluster from 'taskcluster-client';
import { startFakeTaskcluster } from '../../helpers/fake-taskcluster.js';
import { clients, startGateway, temporary } from './gateway.js';

const taskId = 'fN1SbArXTPSVFNUvaOlinQ';
const definition = { provisionerId: 'p', workerType: 'w', scopes: ['queue:get-artifact:private/*'] };

t.test('taskcluster-client through the gateway', async (t) => {
  const tc = await startFakeTaskcluster({ clients: Object.values(clients), tasks: { [taskId]: definition } });
  t.teardown(() => tc.close());
  tc.route({ method: 'PUT', path: `/api/queue/v1/task/${taskId}`, scope: { AllOf: ['queue:create-task:highest:p/w', 'queue:scheduler-id:-'] } });
  tc.route({ method: 'POST', path: `/api/queue/v1/task/${taskId}/runs/0/artifacts/public%2Flog.txt`, scope: 'queue:create-artifact:public/log.txt' });
  tc.route({ method: 'GET', path: '/api/secrets/v1/secret/project%2Fx', scope: 'secrets:get:project/x' });

  const gw = await startGateway({
    rootUrl: tc.rootUrl,
    credentials: temporary(clients.worker, ['queue:*', 'secrets:get:*']),
    authorizedScopes: ['queue:create-task:highest:p/w', 'queue:scheduler-id:-', 'queue:create-artifact:public/*'],
  });
  t.teardown(() => gw.close());
  const queue = new taskcluster.Queue({ rootUrl: gw.url, credentials: {}, retries: 0 });

  t.same(await queue.task(taskId), definition, 'queue.task through the root URL form');
  const created = await queue.createTask(taskId, { provisionerId: 'p', workerType: 'w' });
  t.same([created.method, created.clientId, created.scheme], ['PUT', clients.worker.clientId, 'hawk'], 'createTask signed by the gateway, the scope granted within authorizedScopes');
  t.notOk(created.headers.authorization?.includes(clients.worker.accessToken), 'no access token on the wire');
  const artifact = await queue.createArtifact(taskId, 0, 'public/log.txt', { storageType: 'object', contentType: 'text/plain', expires: new Date().toJSON() });
  t.equal(artifact.path, `/api/queue/v1/task/${taskId}/runs/0/artifacts/public%2Flog.txt`, 'the escaped artifact name arrives escaped');

  const secrets = new taskcluster.Secrets({ rootUrl: gw.url, credentials: {}, retries: 0 });
  await t.rejects(secrets.get('project/x'), { statusCode: 403, code: 'InsufficientScopes' }, 'a scope outside authorizedScopes is refused by the upstream');

  const unsigned = tc.requests.filter((r) => r.scheme !== 'hawk' && r.path !== `/api/queue/v1/task/${taskId}`);
  t.same(unsigned, [], 'every call reached the upstream signed');
});
