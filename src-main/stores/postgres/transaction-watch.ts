/**
 * Lets a live tail tell a hole in the positions left by a rollback from one that a
 * running transaction will still fill: a watch is taken when a hole is first seen,
 * and says when every transaction that could have taken one of its numbers has ended.
 *
 * Those are the transactions writing in this database: taking a number (`nextval`,
 * serial and identity columns included) holds a RowExclusiveLock on the sequence,
 * and inserting one on the table, both until the transaction ends, and its locks
 * are released only after its commit is visible. They are read from `pg_locks`
 * (readable by every role), so a long transaction in another database of the same
 * server does not hold the tail.
 *
 * Where pg_locks cannot be read, transaction ids serve: the watch takes a fresh id
 * (`pg_current_xact_id()`, `txid_current()` before PostgreSQL 13), above every id handed
 * out so far, and ends once the oldest running transaction
 * (`pg_snapshot_xmin(pg_current_snapshot())`) has passed it. Server-wide, so a long
 * transaction in any database delays the hole. (The snapshot's own xmax will not do as
 * the bound: it is the last completed id + 1, and a running transaction with a higher
 * id appears neither in it nor in xmin.) A transaction that has taken a number but
 * written nothing has no id yet and is not covered: within one INSERT, microseconds.
 * On a read-only standby no id can be taken: null, and the tail uses its timeout.
 * PGlite answers all of these.
 */
import type pg from 'pg';
import type { TransactionWatch } from '../event-store';

/**
 * Virtual ids of the transactions holding the lock that inserting and `nextval` take
 * on a table or sequence of this database's own (not a catalog). Only those: VACUUM and
 * ANALYZE (autovacuum runs them for minutes on a big, freshly written table) hold that
 * lock on indexes and catalogs and stronger ones on the table, but take no number;
 * waiting for them held rebuilds and tails back for nothing.
 */
const WRITERS = `SELECT DISTINCT l.virtualtransaction AS id FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
  WHERE l.locktype = 'relation' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND l.mode = 'RowExclusiveLock' AND c.relkind IN ('r', 'p', 'S') AND c.oid >= 16384 AND l.pid IS DISTINCT FROM pg_backend_pid()`;
const STILL_RUNNING = 'SELECT EXISTS (SELECT 1 FROM pg_locks WHERE virtualtransaction = ANY($1::text[])) AS running';

/** PostgreSQL 13+ (and PGlite), then the older names: 64-bit, epoch-aware ids that survive wraparound. */
const XID_FUNCTIONS = [
  { take: 'SELECT pg_current_xact_id()::text AS id', oldest: 'SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS id' },
  { take: 'SELECT txid_current()::text AS id', oldest: 'SELECT txid_snapshot_xmin(txid_current_snapshot())::text AS id' },
] as const;

/** SQLSTATEs that say this server cannot tell us: no such function or view, not allowed, not supported, read-only. */
const UNREADABLE = new Set(['42883', '42P01', '42501', '0A000', '25006']);

function unreadable(err: unknown): boolean {
  return UNREADABLE.has((err as { code?: string }).code ?? '');
}

/** A watch over the transactions that may still fill a hole seen just now; null when the server cannot tell. */
export async function watchTransactions(pool: pg.Pool): Promise<TransactionWatch | null> {
  try {
    const ids = (await pool.query<{ id: string }>(WRITERS)).rows.map((row) => row.id);
    return {
      ended: async () => ids.length === 0 || !(await pool.query<{ running: boolean }>(STILL_RUNNING, [ids])).rows[0]!.running,
    };
  } catch (err) {
    if (!unreadable(err)) throw err;
  }
  for (const functions of XID_FUNCTIONS) {
    try {
      const bound = BigInt((await pool.query<{ id: string }>(functions.take)).rows[0]!.id);
      return { ended: async () => BigInt((await pool.query<{ id: string }>(functions.oldest)).rows[0]!.id) > bound };
    } catch (err) {
      if (!unreadable(err)) throw err;
    }
  }
  return null;
}
