import type pg from 'pg';
import { inTransaction } from '../transaction';

export type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Where a PostgreSQL companion adapter runs its statements: a pool (each
 * multi-statement write in a transaction of its own), or a client inside the
 * caller's open transaction (the rebuild swap's), whose writes commit or roll
 * back with it. There, a write that may fail midway runs under a savepoint, so
 * its failure leaves the caller's transaction usable.
 */
export interface SqlSession {
  db: Queryable;
  /** The pool, when the session is not bound to a caller's transaction. */
  pool: pg.Pool | null;
  atomically<T>(work: (client: Queryable) => Promise<T>): Promise<T>;
}

export function poolSession(pool: pg.Pool): SqlSession {
  return { db: pool, pool, atomically: (work) => inTransaction(pool, work) };
}

const SAVEPOINT = 'chronoscope_checkpoint';

export function joinedSession(client: Queryable): SqlSession {
  return {
    db: client,
    pool: null,
    async atomically(work) {
      await client.query(`SAVEPOINT ${SAVEPOINT}`);
      try {
        const result = await work(client);
        await client.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
        return result;
      } catch (err) {
        await client.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`).catch(() => undefined);
        throw err;
      }
    },
  };
}

/** `store.transaction(work)` for a PostgreSQL adapter: a new transaction on its pool, or the one it already joined. */
export function sessionTransaction<S, T>(session: SqlSession, self: S, join: (client: Queryable) => S, work: (store: S) => Promise<T>): Promise<T> {
  return session.pool ? inTransaction(session.pool, (client) => work(join(client))) : work(self);
}
