import pg from 'pg';

/**
 * Runs `work` on one pooled client between BEGIN and COMMIT, rolling back when it throws. Only a
 * client whose last error the server itself reported is reused: after a timeout or a broken
 * connection, an answer may still be on its way, so the client is destroyed (which also ends the
 * transaction on the server) instead of waiting on it for a ROLLBACK.
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (err) {
    if (!(err instanceof pg.DatabaseError)) {
      client.release(true);
      throw err;
    }
    // A client whose ROLLBACK fails is in an unknown state: destroy it rather than reuse it.
    const rollbackFailure = await client.query('ROLLBACK').then(() => undefined, (e: Error) => e);
    client.release(rollbackFailure);
    throw err;
  }
}
