import type pg from 'pg';

/** Runs `work` on one pooled client between BEGIN and COMMIT, rolling back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (err) {
    // A client whose ROLLBACK fails is in an unknown state: destroy it rather than reuse it.
    const rollbackFailure = await client.query('ROLLBACK').then(() => undefined, (e: Error) => e);
    client.release(rollbackFailure);
    throw err;
  }
}
