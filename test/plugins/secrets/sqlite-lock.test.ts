// A SQLite file whose write lock another process holds (a stuck or paused peer gateway, here a
// second connection in the test process inside BEGIN IMMEDIATE): every write is answered 503
// ServiceUnavailable within the database timeout of its own start, however many wait at once;
// the rest of the gateway (/__lbheartbeat__, reads) keeps answering meanwhile; once the lock is
// released writes succeed and nothing stored is lost.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import taskcluster from 'taskcluster-client';
import { configuredGateway } from './configured-gateway.js';
import { clients } from './gateway.js';

const TIMEOUT_MS = 2000;
/** Each request's own bound: the timeout plus half again for a loaded machine. */
const BOUND_MS = TIMEOUT_MS * 1.5;
/** /__lbheartbeat__ touches no database: it answers at once unless the event loop is blocked. */
const PROMPT_MS = 1000;

t.test('a write lock held by another connection: writes 503 within the timeout, the gateway keeps serving', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'secrets.db');
  const url = await configuredGateway(t, dir, `sqlite:${file}`, ['--secrets-database-timeout-ms', String(TIMEOUT_MS)]);
  const secrets = new taskcluster.Secrets({ rootUrl: url, credentials: clients.root, retries: 0, timeout: 30_000 });
  const expires = taskcluster.fromNow('1 day');
  await secrets.set('kept', { secret: { v: 'kept' }, expires });
  // The same writes once unlocked, so the first use of each path is not what is measured below.
  await Promise.all(Array.from({ length: 8 }, (_, i) => secrets.set(`p${i}`, { secret: { i }, expires })));
  await Promise.all(Array.from({ length: 8 }, (_, i) => secrets.remove(`p${i}`)));

  const peer = new Database(file);
  t.teardown(() => peer.close());
  peer.exec('BEGIN IMMEDIATE');

  const writes = [
    ...Array.from({ length: 8 }, (_, i) => ({ what: `PUT p${i}`, method: 'PUT', params: { name: `p${i}` },
      call: () => secrets.set(`p${i}`, { secret: { i }, expires }) })),
    { what: 'DELETE kept', method: 'DELETE', params: { name: 'kept' }, call: () => secrets.remove('kept') },
  ];
  const answered = Promise.all(writes.map(async ({ call }) => {
    const started = Date.now();
    const err = await call().then(() => undefined, (e: { statusCode?: number; body?: unknown }) => e);
    return { err, elapsed: Date.now() - started };
  }));
  let done = false;
  void answered.finally(() => { done = true; });
  // Asked again and again while the writes wait: a blocked event loop delays every one of these.
  const beats: Array<{ status: number; ms: number }> = [];
  while (!done) {
    const started = Date.now();
    const { status } = await fetch(`${url}/__lbheartbeat__`, { signal: AbortSignal.timeout(30_000) });
    beats.push({ status, ms: Date.now() - started });
  }
  t.same(new Set(beats.map((b) => b.status)), new Set([200]), '/__lbheartbeat__ answered 200 during the lock');
  const slowest = Math.max(...beats.map((b) => b.ms));
  t.ok(slowest < PROMPT_MS, `/__lbheartbeat__ answered ${beats.length} times during the lock, slowest in ${slowest} ms (bound ${PROMPT_MS})`);
  t.same((await secrets.get('kept')).secret, { v: 'kept' }, 'reads are served during the lock');

  for (const [i, { err, elapsed }] of (await answered).entries()) {
    const { what, method, params } = writes[i]!;
    t.equal(err?.statusCode, 503, `${what}: 503`);
    t.match(err?.body, { code: 'ServiceUnavailable', message: 'The secrets database is unavailable; try again later', requestInfo: { method, params, time: String } }, `${what}: Taskcluster's error body`);
    t.ok(elapsed < BOUND_MS, `${what}: answered in ${elapsed} ms (bound ${BOUND_MS})`);
  }

  peer.exec('COMMIT');
  await secrets.set('after', { secret: { v: 'after' }, expires });
  t.same((await secrets.get('after')).secret, { v: 'after' }, 'writes succeed once the lock is released');
  t.same((await secrets.get('kept')).secret, { v: 'kept' }, 'the secret stored before the lock is still there');
  t.same((await secrets.list()).secrets, ['after', 'kept'], 'no write answered 503 was applied');
});
