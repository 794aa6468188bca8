// Secret values never leave in logs, error bodies or the database's bytes; every set, remove
// and get leaves one audit line naming clientId, name and outcome.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import taskcluster from 'taskcluster-client';
import { postgresBackend, requirePostgres } from './store/postgres-backend.js';
import { sqliteBackend } from './store/sqlite-backend.js';
import type { StoreBackend } from './store/backend.js';
import { auditLines, clients, startGateway } from './gateway.js';
import { signedFetch } from './suite-input.js';

await requirePostgres();

for (const backend of [sqliteBackend, postgresBackend] as StoreBackend[]) {
  t.test(`${backend.name}: values stay out of logs, errors and stored bytes; audit lines`, async (t) => {
    const db = await backend.fresh(t);
    const gw = await startGateway(t, db);
    const known = `KNOWN-PLAINTEXT-${randomBytes(8).toString('hex')}`;
    const root = new taskcluster.Secrets({ rootUrl: gw.rootUrl, credentials: clients.root, retries: 0 });
    const reader = new taskcluster.Secrets({ rootUrl: gw.rootUrl, credentials: clients.reader, retries: 0 });
    const expires = taskcluster.fromNow('1 day');
    await root.set('project/foo/known', { secret: { password: known }, expires });
    await root.set('project/foo/known', { secret: { password: known, again: true }, expires });
    t.equal((await reader.get('project/foo/known')).secret.password, known);
    await t.rejects(reader.get('project/other'), { statusCode: 403, code: 'InsufficientScopes' });
    const refused = await signedFetch(`${gw.rootUrl}/api/secrets/v1/secret/x`, { method: 'PUT', body: JSON.stringify({ secret: { password: known }, expires: 'not a date' }) });
    t.equal(refused.status, 400);
    t.notMatch(JSON.stringify(refused.body), known, 'error body omits the secret');
    const failing = await signedFetch(`${gw.rootUrl}/api/secrets/v1/secret/x`, { method: 'PUT', body: `{"secret": {"password": "${known}"}, broken` });
    t.notMatch(JSON.stringify(failing.body), known);
    const boot = await signedFetch(`${gw.rootUrl}/api/secrets/v1/bootstrap`, { method: 'POST', body: JSON.stringify({ data: { password: known } }) });
    t.equal(boot.status, 200);
    await root.remove('project/foo/known');
    await t.rejects(root.get('project/foo/known'), { statusCode: 404, code: 'ResourceNotFound' });

    t.notMatch(gw.logText(), known, 'no log line holds the value');
    t.notMatch(await db.storedText(), known, 'the database holds no plaintext');
    t.ok(gw.logText().length > 0 && (await db.storedText()).length > 0, 'there was something to search');
    t.same(auditLines(gw).filter((l) => String(l.name).startsWith('project/')), [
      { action: 'set', name: 'project/foo/known', clientId: 'root', outcome: 'created' },
      { action: 'set', name: 'project/foo/known', clientId: 'root', outcome: 'updated' },
      { action: 'get', name: 'project/foo/known', clientId: 'project/reader', outcome: 'ok' },
      { action: 'get', name: 'project/other', clientId: 'project/reader', outcome: 'insufficient-scopes' },
      { action: 'remove', name: 'project/foo/known', clientId: 'root', outcome: 'deleted' },
      { action: 'get', name: 'project/foo/known', clientId: 'root', outcome: 'not-found' },
    ]);
  });
}
