import type pg from 'pg';

/**
 * Runs `work` in one transaction on a client of its own: COMMIT once it resolves, ROLLBACK
 * when it throws (its error passes on), the client released either way. `begin` may set
 * the mode (`BEGIN READ ONLY`, `BEGIN ISOLATION LEVEL REPEATABLE READ`).
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
