// What the secrets plugin counts (issue 16 §4): audited operations by outcome, Hawk replays
// refused, and the database's errors and state, through the whole gateway on a real database
// (SQLite; PostgreSQL behind a relay the test cuts), read back from /metrics on the admin listener.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import taskcluster from 'taskcluster-client';
import { loadConfig } from '../../../src/config/load.js';
import { secretsModule } from '../../../src/plugins/secrets/capability.js';
import { loadOrGenerateKeyFile } from '../../../src/plugins/secrets/store/index.js';
import { gatewayWithAdmin, samplesOf, type GatewayWithAdmin } from '../../helpers/metrics.js';
import { clients, clientsFile } from './gateway.js';
import { signedHeader } from './suite-input.js';
import { postgresBackend, postgresThroughRelay, requirePostgres } from './store/postgres-backend.js';

await requirePostgres();

/** A gateway serving the secrets plugin over `database`, with no background database work to count (no sweeps, a rare key heartbeat). */
async function secretsGateway(t: Test, database: string): Promise<GatewayWithAdmin & { url: string }> {
  const dir = t.testdir();
  loadOrGenerateKeyFile(join(dir, 'keys.json'));
  writeFileSync(join(dir, 'clients.json'), JSON.stringify(clientsFile));
  const argv = ['--listeners', JSON.stringify([{ name: 'api', host: '127.0.0.1', port: 0, plugins: ['secrets'] }]),
    '--secrets-database', database, '--secrets-keys', join(dir, 'keys.json'), '--auth-clients', join(dir, 'clients.json'),
    '--secrets-sweep-interval-sec', '0', '--secrets-keys-heartbeat-sec', '3600', '--secrets-database-timeout-ms', '1000'];
  const running = await gatewayWithAdmin(t, loadConfig({ argv, env: {}, modules: [secretsModule] }));
  return { ...running, url: running.urls.api! };
}

const secretsAs = (url: string, credentials: { clientId: string; accessToken: string }) => new taskcluster.Secrets({ rootUrl: url, credentials, retries: 0 });
const refusal = (call: Promise<unknown>) => call.then(() => 200, (err: { statusCode?: number }) => err.statusCode);

t.test('operations by outcome and replays refused', async (t) => {
  const { url, scrape } = await secretsGateway(t, `sqlite:${join(t.testdir(), 'secrets.db')}`);
  const root = secretsAs(url, clients.root);
  const reader = secretsAs(url, clients.reader);
  const expires = taskcluster.fromNow('1 day');
  await root.set('project/foo/a', { secret: { v: 1 }, expires });
  await root.set('project/foo/a', { secret: { v: 2 }, expires });
  t.equal(await refusal(reader.set('project/foo/a', { secret: { v: 3 }, expires })), 403);
  t.same((await reader.get('project/foo/a')).secret, { v: 2 });
  t.equal(await refusal(reader.get('project/foo/none')), 404);
  const secretUrl = `${url}/api/secrets/v1/secret/project%2Ffoo%2Fa`;
  const header = signedHeader(secretUrl, 'GET');
  t.same([(await fetch(secretUrl, { headers: { authorization: header } })).status, (await fetch(secretUrl, { headers: { authorization: header } })).status], [200, 401], 'one header sent twice');
  await root.remove('project/foo/a');
  await root.remove('project/foo/a');

  const samples = await scrape();
  t.same(samplesOf(samples, 'gateway_secret_operations_total'), {
    'gateway_secret_operations_total{operation="set",outcome="created"}': 1,
    'gateway_secret_operations_total{operation="set",outcome="updated"}': 1,
    'gateway_secret_operations_total{operation="set",outcome="insufficient-scopes"}': 1,
    'gateway_secret_operations_total{operation="get",outcome="ok"}': 2,
    'gateway_secret_operations_total{operation="get",outcome="not-found"}': 1,
    'gateway_secret_operations_total{operation="get",outcome="authentication-failed"}': 1,
    'gateway_secret_operations_total{operation="remove",outcome="deleted"}': 1,
    'gateway_secret_operations_total{operation="remove",outcome="absent"}': 1,
  });
  t.same(samplesOf(samples, 'gateway_hawk_replays_refused_total'), {
    'gateway_hawk_replays_refused_total{reason="replay"}': 1,
    'gateway_hawk_replays_refused_total{reason="orphaned"}': 0,
  }, 'the header sent again');
  t.same(samplesOf(samples, 'gateway_cache_reads_total'), {
    'gateway_cache_reads_total{cache="secrets",result="hit"}': 1,
    'gateway_cache_reads_total{cache="secrets",result="miss"}': 2,
    'gateway_cache_reads_total{cache="secrets",result="bypassed"}': 0,
  }, 'reads of the read cache: a, then none missed; a again (by the signed header) served from memory');
  // each of the 3 changes (created, updated, deleted) drops its name; on SQLite a read that sees the commit counter moved also flushes
  t.ok(samples['gateway_cache_invalidations_total{cache="secrets"}']! >= 3, 'every change dropped what it changed');
  t.same(samplesOf(samples, 'gateway_database_'), { 'gateway_database_up{database="secrets"}': 1 }, 'the database answers; no errors');
});

t.test('a database cut off: errors counted, the state down, then up again', async (t) => {
  const db = await postgresBackend.fresh(t);
  const { relay, url: database } = await postgresThroughRelay(t);
  database.searchParams.set('schema', db.options.schema!);
  const { url, scrape } = await secretsGateway(t, database.toString());
  const root = secretsAs(url, clients.root);
  await root.set('kept', { secret: { v: 1 }, expires: taskcluster.fromNow('1 day') });
  t.same(samplesOf(await scrape(), 'gateway_database_'), { 'gateway_database_up{database="secrets"}': 1 });

  relay.cut();
  t.equal(await refusal(root.get('kept')), 503);
  t.same(samplesOf(await scrape(), 'gateway_database_'), {
    'gateway_database_up{database="secrets"}': 0,
    'gateway_database_errors_total{database="secrets",reason="outage"}': 1,
  });
  t.equal((await scrape())['gateway_secret_operations_total{operation="get",outcome="error"}'], 1, 'the operation, by its outcome');

  relay.restore();
  t.same((await root.get('kept')).secret, { v: 1 });
  t.same(samplesOf(await scrape(), 'gateway_database_'), {
    'gateway_database_up{database="secrets"}': 1,
    'gateway_database_errors_total{database="secrets",reason="outage"}': 1,
  }, 'up again; the error still counted');
});
