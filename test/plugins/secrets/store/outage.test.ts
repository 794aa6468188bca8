// Which database failures are outages (503 ServiceUnavailable, retry later) and which stay
// faults, for both drivers; and the guard that bounds every row operation by the deadline.
import Database from 'better-sqlite3';
import pg from 'pg';
import t from 'tap';
import { GatewayError } from '../../../../src/core/errors.js';
import { generateKey, openSecretStore } from '../../../../src/plugins/secrets/store/index.js';
import { reportingOutages } from '../../../../src/plugins/secrets/store/outage.js';
import { isPostgresOutage } from '../../../../src/plugins/secrets/store/postgres-outage.js';
import type { RowStore } from '../../../../src/plugins/secrets/store/rows.js';
import { isSqliteOutage } from '../../../../src/plugins/secrets/store/sqlite.js';

const serverError = (code: string) => Object.assign(new pg.DatabaseError('server said no', 0, 'error'), { code });
const systemError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: 'connect' });

t.test('PostgreSQL: connection failures, timeouts and a server that cannot serve are outages; statement faults are not', async (t) => {
  const cases: Array<[unknown, boolean]> = [
    [systemError('ECONNREFUSED'), true],
    [systemError('ECONNRESET'), true],
    [new Error('Connection terminated unexpectedly'), true],
    [new Error('Query read timeout'), true],
    [new Error('timeout exceeded when trying to connect'), true],
    [serverError('57014'), true], // statement_timeout
    [serverError('57P01'), true], // admin shutdown
    [serverError('53300'), true], // too many connections
    [serverError('08006'), true], // connection failure
    [serverError('25P03'), true], // idle in transaction timeout
    [serverError('23505'), false], // unique violation
    [serverError('42P01'), false], // undefined table
    [serverError('25P02'), false], // in failed transaction
    [new TypeError("Cannot read properties of undefined (reading 'inserted')"), false],
    ['a string', false],
  ];
  for (const [err, outage] of cases) t.equal(isPostgresOutage(err), outage, `${(err as Error).message ?? err} ${(err as { code?: string }).code ?? ''}`);
});

t.test('SQLite: busy, I/O, full, read-only, cannot open and a closed connection are outages', async (t) => {
  const sqliteError = (code: string) => new Database.SqliteError('sqlite said no', code);
  for (const code of ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_IOERR_WRITE', 'SQLITE_FULL', 'SQLITE_READONLY_DBMOVED', 'SQLITE_CANTOPEN']) t.ok(isSqliteOutage(sqliteError(code)), code);
  for (const code of ['SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_ERROR', 'SQLITE_CORRUPT']) t.notOk(isSqliteOutage(sqliteError(code)), code);
  const db = new Database(':memory:');
  db.close();
  t.ok(isSqliteOutage(t.throws(() => db.prepare('SELECT 1'))), 'a closed connection');
  t.notOk(isSqliteOutage(new TypeError('x is not a function')), 'another TypeError is a bug');
});

/** A RowStore (the methods these tests call) whose operations run `behaviour`. */
function rowsThat(behaviour: () => Promise<unknown>): { rows: RowStore; closed: () => boolean } {
  let closed = false;
  const close = async () => {
    closed = true;
  };
  return { rows: { readSecret: behaviour, ping: behaviour, close } as unknown as RowStore, closed: () => closed };
}

const unavailable = { name: 'GatewayError', code: 'ServiceUnavailable', statusCode: 503, message: 'The secrets database is unavailable; try again later' };

t.test('the guard: a hung operation is 503 at the deadline, an outage is 503, anything else passes through', async (t) => {
  const hung = reportingOutages(rowsThat(() => new Promise(() => {})).rows, { timeoutMs: 50, isOutage: () => false });
  await t.rejects(hung.readSecret('x', new Date()), unavailable, 'no answer within the deadline');
  await t.rejects(hung.ping(), unavailable, 'the heartbeat query too');
  const cause = new Error('Connection terminated unexpectedly');
  const down = reportingOutages(rowsThat(() => Promise.reject(cause)).rows, { timeoutMs: 1000, isOutage: isPostgresOutage });
  const err = await down.readSecret('x', new Date()).catch((e: GatewayError) => e);
  t.match(err, unavailable);
  t.equal((err as GatewayError).cause, cause, 'the driver error is kept as the cause, for the log only');
  const bug = new TypeError('bug');
  const faulty = reportingOutages(rowsThat(() => Promise.reject(bug)).rows, { timeoutMs: 1000, isOutage: isPostgresOutage });
  await t.rejects(faulty.readSecret('x', new Date()), bug, 'a bug stays a bug (500)');
  const fine = rowsThat(async () => 'row');
  const guarded = reportingOutages(fine.rows, { timeoutMs: 1000, isOutage: () => true });
  t.equal(await guarded.readSecret('x', new Date()), 'row', 'answers pass through');
  await guarded.close();
  t.ok(fine.closed(), 'close is passed on');
});

t.test('a deadline that is not a positive whole number of milliseconds is refused at open', async (t) => {
  for (const timeoutMs of [0, -1, 1.5, Number.NaN]) {
    await t.rejects(openSecretStore('sqlite::memory:', { keys: [generateKey()] }, { timeoutMs }), { name: 'ConfigError', message: /secrets\.databaseTimeoutMs must be a whole number of milliseconds, at least 1/ }, String(timeoutMs));
  }
});
