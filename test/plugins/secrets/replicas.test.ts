// Two gateway instances (two Fastify apps, two stores) on one PostgreSQL database see each
// other's writes at once: no cache stands between a replica and the database.
import t from 'tap';
import taskcluster from 'taskcluster-client';
import { postgresBackend, requirePostgres } from './store/postgres-backend.js';
import { clients, startGateway, testKeys } from './gateway.js';

await requirePostgres();

t.test('two replicas on one PostgreSQL database', async (t) => {
  const db = await postgresBackend.fresh(t);
  const keys = testKeys();
  const [a, b] = [await startGateway(t, db, { keys }), await startGateway(t, db, { keys })];
  const onA = new taskcluster.Secrets({ rootUrl: a!.rootUrl, credentials: clients.root, retries: 0 });
  const onB = new taskcluster.Secrets({ rootUrl: b!.rootUrl, credentials: clients.writer, retries: 0 });
  const expires = taskcluster.fromNow('1 day');
  await onA.set('project/foo/shared', { secret: { from: 'a' }, expires });
  t.same((await onB.get('project/foo/shared')).secret, { from: 'a' }, 'B reads what A wrote');
  await onB.set('project/foo/shared', { secret: { from: 'b' }, expires });
  t.same((await onA.get('project/foo/shared')).secret, { from: 'b' }, 'A reads what B replaced');
  t.same((await onA.list()).secrets, ['project/foo/shared']);
  await onB.remove('project/foo/shared');
  await t.rejects(onA.get('project/foo/shared'), { statusCode: 404, code: 'ResourceNotFound' }, 'A sees B remove it');
  const history = await new taskcluster.Auth({ rootUrl: a!.rootUrl, credentials: clients.auditor, retries: 0 }).getEntityHistory('secret', 'project/foo/shared');
  t.same(history.auditHistory.map((e: { actionType: string; clientId: string }) => [e.actionType, e.clientId]), [
    ['created', 'root'], ['updated', 'project/writer'], ['deleted', 'project/writer'],
  ]);
});
