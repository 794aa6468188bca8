// Issue 12 §3 on SQLite: the secrets plugin registers a heartbeat check for its store; a file
// removed or replaced under the running gateway, or a closed database, is reported (heartbeat
// 503), and requests on a closed database are 503 ServiceUnavailable in Taskcluster's shape.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import taskcluster from 'taskcluster-client';
import { configuredGateway, heartbeat } from './configured-gateway.js';
import { clients, startGateway } from './gateway.js';
import { sqliteBackend } from './store/sqlite-backend.js';

const healthy = { status: 200, body: { status: 'ok', checks: { secrets: 'ok' } } };
const failing = { status: 503, body: { status: 'error', checks: { secrets: 'error' } } };

t.test('the heartbeat checks that the file the gateway writes is still the database file', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'secrets.db');
  const url = await configuredGateway(t, dir, `sqlite:${file}`);
  const secrets = new taskcluster.Secrets({ rootUrl: url, credentials: clients.root, retries: 0 });
  await secrets.set('kept', { secret: { v: 1 }, expires: taskcluster.fromNow('1 day') });
  t.same(await heartbeat(url), healthy, 'registered, and passing');

  renameSync(file, `${file}.moved`);
  t.same(await heartbeat(url), failing, 'moved away: a restart would open an empty database');
  writeFileSync(file, '');
  t.same(await heartbeat(url), failing, 'replaced by another file');
  renameSync(`${file}.moved`, file);
  t.same(await heartbeat(url), healthy, 'the same file back');
  t.same((await secrets.get('kept')).secret, { v: 1 });
});

t.test('a closed database: requests 503 in Taskcluster\'s shape, the check fails', async (t) => {
  const gw = await startGateway(t, await sqliteBackend.fresh(t));
  const secrets = new taskcluster.Secrets({ rootUrl: gw.rootUrl, credentials: clients.root, retries: 0 });
  await secrets.set('x', { secret: { v: 1 }, expires: taskcluster.fromNow('1 day') });
  await gw.store.ping();
  await gw.store.close();
  await t.rejects(gw.store.ping(), { code: 'ServiceUnavailable', statusCode: 503 }, 'the heartbeat check fails');
  const err = await secrets.get('x').then(() => undefined, (e: { statusCode: number; body: unknown }) => e);
  t.equal(err?.statusCode, 503);
  t.match(err?.body, { code: 'ServiceUnavailable', message: 'The secrets database is unavailable; try again later', requestInfo: { method: 'GET', params: { name: 'x' }, payload: {}, time: String } });
  t.notMatch(JSON.stringify(err?.body), /secrets\.db|not open/, 'neither the file nor the driver is named to the caller');
});
