/**
 * Which PostgreSQL failures are outages (503, retry later) rather than faults in a statement.
 */
import pg from 'pg';

/**
 * SQLSTATE classes of a server that cannot serve now: 08 connection exception, 53 insufficient
 * resources (too many connections), 57 operator intervention (57014: statement_timeout; 57P01:
 * shutting down), and 25P03, a transaction idle past idle_in_transaction_session_timeout.
 */
const OUTAGE_SQLSTATE = /^(08|53|57)|^25P03$/;

export function isPostgresOutage(err: unknown): boolean {
  if (err instanceof pg.DatabaseError) return OUTAGE_SQLSTATE.test(err.code ?? '');
  // pg reports a failed connection as a plain Error without SQLSTATE (refused, reset, "Connection
  // terminated", "Query read timeout", "timeout exceeded when trying to connect"); a TypeError
  // or RangeError is a bug, and stays a 500.
  return err instanceof Error && (err.constructor === Error || 'syscall' in err);
}
