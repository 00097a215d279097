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
 * server does not hold the tail. Where pg_locks cannot be read, the snapshot bounds
 * serve: every transaction below the snapshot's xmax when the hole was seen has ended
 * once `pg_snapshot_xmin(pg_current_snapshot())` has passed it (server-wide, so a
 * long transaction anywhere delays the hole; `txid_current_snapshot()` on servers
 * before 13). PGlite answers both.
 */
import type pg from 'pg';
import type { TransactionWatch } from '../event-store';

/** Virtual ids of the transactions holding a write lock on some relation of this database. */
const WRITERS = `SELECT DISTINCT virtualtransaction AS id FROM pg_locks
  WHERE locktype = 'relation' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND mode NOT IN ('AccessShareLock', 'RowShareLock') AND pid IS DISTINCT FROM pg_backend_pid()`;
const STILL_RUNNING = 'SELECT EXISTS (SELECT 1 FROM pg_locks WHERE virtualtransaction = ANY($1::text[])) AS running';

const SNAPSHOTS = [
  'SELECT pg_snapshot_xmin(s)::text AS xmin, pg_snapshot_xmax(s)::text AS xmax FROM pg_current_snapshot() AS s',
  'SELECT txid_snapshot_xmin(s)::text AS xmin, txid_snapshot_xmax(s)::text AS xmax FROM txid_current_snapshot() AS s',
] as const;

/** SQLSTATEs that say this server cannot tell us: no such function or view, not allowed, not supported. */
const UNREADABLE = new Set(['42883', '42P01', '42501', '0A000']);

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
  const seen = await readSnapshot(pool);
  if (seen === null) return null;
  return { ended: async () => ((await readSnapshot(pool))?.xmin ?? -1n) >= seen.xmax };
}

/** The current snapshot's bounds as 64-bit, epoch-aware transaction ids; null when neither function answers. */
async function readSnapshot(pool: pg.Pool): Promise<{ xmin: bigint; xmax: bigint } | null> {
  for (const sql of SNAPSHOTS) {
    try {
      const row = (await pool.query<{ xmin: string; xmax: string }>(sql)).rows[0]!;
      return { xmin: BigInt(row.xmin), xmax: BigInt(row.xmax) };
    } catch (err) {
      if (!unreadable(err)) throw err;
    }
  }
  return null;
}
