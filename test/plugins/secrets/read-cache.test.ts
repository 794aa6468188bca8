// Issue 16 §2: the secrets read cache across replicas, on whole gateways configured as deployed
// (cache on by default). PostgreSQL: three replicas, each with its own pool and LISTEN
// connection, on one database: a set or remove acknowledged on one is seen on the others within
// 1 s and on the same replica at once; a hot read needs no database (a row altered behind the
// gateways' backs is still answered from memory); with one replica's notification connection
// cut, or every one terminated, no stale read; expiry from the cached record; bootstrap secrets
// claimed once. SQLite: another process's change to the file is seen at once.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import taskcluster from 'taskcluster-client';
import { listenerName } from '../../../src/plugins/secrets/store/postgres-listener.js';
import { cache, listening, seenWithin, valueOn, withAdmin, NAME, type Secrets } from './cache-checks.js';
import { loggedGateway } from './configured-gateway.js';
import { clients } from './gateway.js';
import { postgresBackend, postgresThroughRelay, postgresUrl, requirePostgres } from './store/postgres-backend.js';
import { sqliteBackend } from './store/sqlite-backend.js';
import { signedFetch } from './suite-input.js';

const writerChild = fileURLToPath(new URL('./store/writer-child.ts', import.meta.url));

await requirePostgres();

const inADay = () => taskcluster.fromNow('1 day');

t.test('three replicas on PostgreSQL', async (t) => {
  const db = await postgresBackend.fresh(t);
  const schema = db.options.schema!;
  const database = new URL(postgresUrl);
  database.searchParams.set('schema', schema);
  // replica B's LISTEN connection goes through a relay the test can cut; its pool does not
  const { relay, url: listenUrl } = await postgresThroughRelay(t);
  const dir = t.testdir();
  const urls = [
    (await loggedGateway(t, dir, database.toString())).url,
    (await loggedGateway(t, dir, database.toString(), ['--secrets-listen-database', listenUrl.toString()])).url,
    (await loggedGateway(t, dir, database.toString())).url,
  ];
  const [a, b, c] = urls.map((rootUrl) => new taskcluster.Secrets({ rootUrl, credentials: clients.root, retries: 0 })) as [Secrets, Secrets, Secrets];
  await listening(schema, 3);

  await a.set(NAME, { secret: { v: 1 }, expires: inADay() });
  for (const [replica, what] of [[a, 'A'], [b, 'B'], [c, 'C']] as const) t.equal(await cache(replica), 1, `${what} reads the new secret`);
  // altered behind the gateways' backs (no notification): only a read from memory still answers
  await db.sql(`UPDATE ${db.table('secrets')} SET value = '\\x00'::bytea WHERE name = '${NAME}'`);
  for (const [replica, what] of [[a, 'A'], [b, 'B'], [c, 'C']] as const) t.equal(await valueOn(replica), 1, `${what}: a hot read needs no database`);

  await a.set(NAME, { secret: { v: 2 }, expires: inADay() });
  t.equal(await valueOn(a), 2, 'a set is seen at once on the replica that made it');
  await seenWithin(t, b, 2, 'a set on A, on B');
  await seenWithin(t, c, 2, 'a set on A, on C');
  await b.remove(NAME);
  t.equal(await valueOn(b), 'absent', 'a remove is seen at once on the replica that made it');
  await seenWithin(t, a, 'absent', 'a remove on B, on A');
  await seenWithin(t, c, 'absent', 'a remove on B, on C');

  await t.test('notification connection cut: no stale read while it is down, cached again once back', async (t) => {
    await a.set(NAME, { secret: { v: 3 }, expires: inADay() });
    await seenWithin(t, b, 3, 'B reads v3');
    t.equal(await cache(b), 3, 'B caches v3');
    relay.cut();
    await a.set(NAME, { secret: { v: 4 }, expires: inADay() });
    t.equal(await valueOn(b), 4, 'the first read after the cut is not stale');
    await c.set(NAME, { secret: { v: 5 }, expires: inADay() });
    t.equal(await valueOn(b), 5, 'nor any while it stays down');
    relay.restore();
    await listening(schema, 3);
    t.equal(await valueOn(b), 5, 'read after reconnecting');
    await a.set(NAME, { secret: { v: 6 }, expires: inADay() });
    await seenWithin(t, b, 6, 'notifications reach B again');
  });

  await t.test('every listening backend terminated: no stale read', async (t) => {
    for (const replica of [a, b, c]) t.equal(await cache(replica), 6, 'cached everywhere');
    const { rowCount } = await withAdmin((client) => client.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [listenerName(schema)]));
    t.equal(rowCount, 3, 'three listeners terminated');
    await a.set(NAME, { secret: { v: 7 }, expires: inADay() });
    await seenWithin(t, b, 7, 'on B');
    await seenWithin(t, c, 7, 'on C');
    await listening(schema, 3);
    await b.set(NAME, { secret: { v: 8 }, expires: inADay() });
    await seenWithin(t, a, 8, 'reconnected: notifications flow again');
  });

  await t.test('expiry honoured from the cached record', async (t) => {
    const expires = new Date(Date.now() + 1500);
    await a.set(NAME, { secret: { v: 'soon' }, expires });
    await seenWithin(t, b, 'soon', 'B reads it');
    t.equal(await cache(b), 'soon', 'B caches it');
    await db.sql(`UPDATE ${db.table('secrets')} SET value = '\\x00'::bytea WHERE name = '${NAME}'`);
    t.equal(await valueOn(b), 'soon', 'answered from memory before it expires');
    await new Promise((r) => setTimeout(r, expires.getTime() - Date.now() + 50));
    t.equal(await valueOn(b), 'absent', 'absent once expired, with no sweep and no notification');
  });

  await t.test('bootstrap secrets are claimed once, whichever replica', async (t) => {
    const created = await signedFetch(`${urls[0]}/api/secrets/v1/bootstrap`, { method: 'POST', body: JSON.stringify({ data: { v: 'once' } }), credentials: clients.provisioner });
    t.equal(created.status, 200, 'created on A');
    const claims = [];
    for (const url of [urls[1], urls[1], urls[2], urls[0]]) {
      const res = await fetch(`${url}/api/secrets/v1/bootstrap/${created.body.token as string}`);
      claims.push([res.status, ((await res.json()) as { data?: unknown }).data]);
    }
    t.same(claims, [[200, { v: 'once' }], [404, undefined], [404, undefined], [404, undefined]], 'claimed on B, then gone on B, C and A');
  });
});

t.test('SQLite: another process\'s change to the file is seen at once', async (t) => {
  const db = await sqliteBackend.fresh(t);
  const dir = t.testdir();
  const gateway = await loggedGateway(t, dir, db.url);
  const secrets = new taskcluster.Secrets({ rootUrl: gateway.url, credentials: clients.root, retries: 0 });
  const otherProcess = (change: Record<string, unknown>) => new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writerChild, JSON.stringify({ url: db.url, options: db.options, keysFile: join(dir, 'keys.json'), name: NAME, ...change })], { stdio: 'inherit', timeout: 60_000 });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer child exited ${code}`))));
  });
  await secrets.set(NAME, { secret: { v: 1 }, expires: inADay() });
  t.equal(await valueOn(secrets), 1);
  t.equal(await valueOn(secrets), 1, 'read again (cached: the store tests count the hits)');
  await otherProcess({ secret: { v: 2 }, expires: inADay().toJSON() });
  t.equal(await valueOn(secrets), 2, 'a put by another process, seen at once');
  await otherProcess({});
  t.equal(await valueOn(secrets), 'absent', 'a remove by another process, seen at once');
});
