// inTransaction reuses a client only after an error the server reported (rolled back, in sync);
// a client whose query timed out on a silent connection is destroyed, never handed out again.
import pg from 'pg';
import t, { type Test } from 'tap';
import { inTransaction } from '../../../../src/plugins/secrets/store/postgres-transaction.js';
import { postgresThroughRelay, requirePostgres } from './postgres-backend.js';

await requirePostgres();

async function poolThroughRelay(t: Test) {
  const { relay, url } = await postgresThroughRelay(t);
  const pool = new pg.Pool({ connectionString: url.toString(), query_timeout: 300, connectionTimeoutMillis: 300 });
  pool.on('error', () => {});
  t.teardown(() => {
    relay.restore();
    return pool.end();
  });
  await pool.query('SELECT 1');
  return { relay, pool };
}

t.test('a statement error: rolled back, the client reused', async (t) => {
  const { pool } = await poolThroughRelay(t);
  await t.rejects(inTransaction(pool, (c) => c.query('SELECT 1/0')), { code: '22012' });
  t.equal(pool.totalCount, 1, 'kept');
  t.same((await pool.query('SELECT 2 AS n')).rows, [{ n: 2 }], 'and usable: not left inside the failed transaction');
});

t.test('a query timed out on a silent connection: the client is destroyed', async (t) => {
  const { relay, pool } = await poolThroughRelay(t);
  relay.blackHole();
  await t.rejects(inTransaction(pool, (c) => c.query('SELECT 1')), { message: 'Query read timeout' });
  t.equal(pool.totalCount, 0, 'no client left to hand out');
  relay.restore();
  t.same((await pool.query('SELECT 3 AS n')).rows, [{ n: 3 }], 'a new connection serves');
});
