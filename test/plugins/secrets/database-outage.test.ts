// Issue 12 §3: a PostgreSQL that is cut off or partitioned (sockets open, nothing answered) is
// reported: requests 503 ServiceUnavailable in Taskcluster's shape within the configured bound,
// /__heartbeat__ 503 naming the check, and the same gateway serves again when the database
// returns, with every acknowledged write still there. The outage is a TCP relay the test
// controls, between the gateway and the machine's PostgreSQL.
import pg from 'pg';
import t, { type Test } from 'tap';
import taskcluster from 'taskcluster-client';
import type { TcpRelay } from '../../helpers/tcp-relay.js';
import { configuredGateway, heartbeat } from './configured-gateway.js';
import { clients } from './gateway.js';
import { postgresBackend, postgresThroughRelay, postgresUrl, requirePostgres } from './store/postgres-backend.js';

await requirePostgres();

/** The setting under test (--secrets-database-timeout-ms), short to keep the test quick. */
const TIMEOUT_MS = 1000;
/** Slack for a loaded machine; a request that hangs would take until the fetch gives up. */
const BOUND_MS = TIMEOUT_MS + 2500;
const inADay = () => taskcluster.fromNow('1 day');

async function outageSetup(t: Test): Promise<{ relay: TcpRelay; url: string; secrets: InstanceType<typeof taskcluster.Secrets>; schema: string }> {
  const db = await postgresBackend.fresh(t);
  const { relay, url: database } = await postgresThroughRelay(t);
  database.searchParams.set('schema', db.options.schema!);
  const url = await configuredGateway(t, t.testdir(), database.toString(), ['--secrets-database-timeout-ms', String(TIMEOUT_MS)]);
  const secrets = new taskcluster.Secrets({ rootUrl: url, credentials: clients.root, retries: 0, timeout: 15_000 });
  return { relay, url, secrets, schema: db.options.schema! };
}

/** Runs `call`, expecting 503 ServiceUnavailable in Taskcluster's shape, within the bound. */
async function unavailable(t: Test, call: () => Promise<unknown>, method: string, params: Record<string, unknown>, what: string): Promise<void> {
  const started = Date.now();
  const err = await call().then(() => undefined, (e: { statusCode?: number; body?: Record<string, unknown> }) => e);
  const elapsed = Date.now() - started;
  t.equal(err?.statusCode, 503, `${what}: 503`);
  t.match(err?.body, { code: 'ServiceUnavailable', message: 'The secrets database is unavailable; try again later', requestInfo: { method, params, time: String } }, `${what}: Taskcluster's error body`);
  t.ok(elapsed < BOUND_MS, `${what}: answered in ${elapsed} ms (bound ${BOUND_MS})`);
}

async function unhealthy(t: Test, url: string, what: string): Promise<void> {
  const started = Date.now();
  t.same(await heartbeat(url), { status: 503, body: { status: 'error', checks: { secrets: 'error' } } }, `${what}: /__heartbeat__ names the failing check`);
  t.ok(Date.now() - started < BOUND_MS, `${what}: heartbeat answered within the bound`);
}

t.test('cut: 503 within the bound, then served again without a restart', async (t) => {
  const { relay, url, secrets } = await outageSetup(t);
  const expires = inADay();
  await secrets.set('before', { secret: { v: 'before' }, expires });
  t.same(await heartbeat(url), { status: 200, body: { status: 'ok', checks: { secrets: 'ok' } } }, 'healthy: the secrets check is registered and passes');

  relay.cut();
  await unavailable(t, () => secrets.get('before'), 'GET', { name: 'before' }, 'get while cut');
  await unavailable(t, () => secrets.set('during', { secret: { v: 'during' }, expires }), 'PUT', { name: 'during' }, 'set while cut');
  await unavailable(t, () => secrets.list(), 'GET', {}, 'list while cut');
  await unhealthy(t, url, 'cut');

  relay.restore();
  t.same(await secrets.get('before'), { secret: { v: 'before' }, expires: expires.toJSON() }, 'the stored secret is read again');
  await secrets.set('after', { secret: { v: 'after' }, expires });
  t.same((await secrets.get('after')).secret, { v: 'after' }, 'writes succeed again');
  t.same(await heartbeat(url), { status: 200, body: { status: 'ok', checks: { secrets: 'ok' } } }, 'healthy again');
});

t.test('black hole: requests and heartbeat bounded, more at once than the pool holds; then served again', async (t) => {
  const { relay, url, secrets } = await outageSetup(t);
  const expires = inADay();
  const acknowledged = ['a', 'b', 'c'];
  for (const name of acknowledged) await secrets.set(name, { secret: { v: name }, expires });

  relay.blackHole();
  await unavailable(t, () => secrets.get('a'), 'GET', { name: 'a' }, 'get on an idle pooled connection');
  await unavailable(t, () => secrets.set('d', { secret: { v: 'd' }, expires }), 'PUT', { name: 'd' }, 'set (a transaction)');
  // pg's pool holds 10 clients: the rest wait for one, and that wait is bounded too
  await Promise.all(Array.from({ length: 14 }, (_, i) =>
    unavailable(t, () => secrets.get('a'), 'GET', { name: 'a' }, `concurrent get ${i}`)));
  await unhealthy(t, url, 'black hole');

  relay.restore();
  for (const name of acknowledged) t.same(await secrets.get(name), { secret: { v: name }, expires: expires.toJSON() }, `${name}: acknowledged before the partition, read after it`);
  await secrets.set('e', { secret: { v: 'e' }, expires });
  t.same((await secrets.get('e')).secret, { v: 'e' }, 'writes succeed again');
  const listed: string[] = (await secrets.list()).secrets;
  // 'd' was answered 503 and may or may not have been applied when its bytes arrived late
  t.same(listed.filter((name) => name !== 'd'), [...acknowledged, 'e'], 'every acknowledged write is listed');
  t.same(await heartbeat(url), { status: 200, body: { status: 'ok', checks: { secrets: 'ok' } } }, 'healthy again');
});

t.test('a statement stalled behind a lock: 503 within the bound, and cancelled on the server', async (t) => {
  const { url, secrets, schema } = await outageSetup(t);
  const expires = inADay();
  await secrets.set('locked', { secret: { v: 1 }, expires });
  // another replica's transaction holding the row, say one cut off mid-put
  const holder = new pg.Client({ connectionString: postgresUrl });
  await holder.connect();
  t.teardown(() => holder.end());
  await holder.query('BEGIN');
  await holder.query(`SELECT 1 FROM "${schema}".secrets WHERE name = 'locked' FOR UPDATE`);

  await unavailable(t, () => secrets.set('locked', { secret: { v: 2 }, expires }), 'PUT', { name: 'locked' }, 'set of a locked row');
  // statement_timeout ends the wait on the server; without it the statement would wait for the lock
  const waiting = async () => (await holder.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%"${schema}".secrets%'`)).rows[0]!.n;
  const started = Date.now();
  while ((await waiting()) > 0 && Date.now() - started < BOUND_MS) await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(await waiting(), 0, 'no statement of the gateway still waits on the server');

  await holder.query('COMMIT');
  await secrets.set('locked', { secret: { v: 3 }, expires });
  t.same((await secrets.get('locked')).secret, { v: 3 }, 'served once the lock is gone');
  t.same(await heartbeat(url), { status: 200, body: { status: 'ok', checks: { secrets: 'ok' } } });
});
