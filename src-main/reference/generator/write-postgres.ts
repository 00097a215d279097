import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { saveSnapshot } from '../postgres/snapshots';
import { INSERT_EVENTS_SQL, eventColumnArrays } from '../postgres/rows';
import { insertSubjectKeys } from '../postgres/subject-keys';
import { COPY_EVENTS_SQL, copyLine, type CopyBatch } from './copy-format';
import type { GeneratedBatch } from './generate';
import { progressTracker, type ProgressListener, type WriteProgress } from './progress';

export interface PostgresWriteOptions {
  /** COPY (fast, real Postgres) or batched INSERT ... unnest (works everywhere, e.g. PGlite). */
  method?: 'copy' | 'insert';
  /** Total expected, for progress percentages. */
  total?: number;
  /** With COPY, events per COPY statement (each its own transaction, so progress is durable). */
  eventsPerCopy?: number;
  /**
   * Bulk load into a new, empty store: drop the secondary indexes and unique
   * constraints of `events` (all but the primary key) before loading and
   * rebuild them after, which is far cheaper than maintaining them row by row.
   * Refused if `events` already holds rows. Uniqueness is checked once, by the
   * rebuild (a duplicate fails it, and the run).
   */
  fresh?: boolean;
  onProgress?: ProgressListener;
  /** Phases of a fresh load ("dropped 4 secondary indexes...", "rebuilt ... in 3.1 s"). */
  onPhase?: (message: string) => void;
}

/** Where the time went, for the generation/database split. */
export interface PostgresWriteResult extends WriteProgress {
  /** Writer thread idle, waiting for the next generated batch. */
  waitGenerateMs: number;
  /** Writer waiting on Postgres (COPY back-pressure and commits, keys, snapshots). */
  waitDatabaseMs: number;
  /** Generation + serialisation time, summed over batches (on the worker it overlaps the database). */
  generateMs: number;
  /** Fresh mode: dropping and rebuilding the secondary indexes (included in elapsedMs). */
  indexMs: number;
}

type Batch = GeneratedBatch | CopyBatch;

const isCopyBatch = (b: Batch): b is CopyBatch => 'copy' in b;

/**
 * Writes generated batches into the classic `events` table (plus subject keys
 * and snapshots). Takes either event batches or batches already serialised as
 * COPY text (see copy-source.ts, which prepares them on a worker thread). Pulls
 * the next batch only once the previous one is accepted by Postgres (awaiting
 * 'drain' on the COPY stream), so memory stays at about one batch (plus the
 * worker's bounded queue) whatever the total.
 */
export async function writeToPostgres(
  pool: pg.Pool,
  batches: AsyncIterable<Batch> | Iterable<Batch>,
  options: PostgresWriteOptions = {},
): Promise<PostgresWriteResult> {
  const track = progressTracker(options.total ?? 0, options.onProgress);
  const started = performance.now();
  const split = { waitGenerateMs: 0, waitDatabaseMs: 0, generateMs: 0, indexMs: 0 };
  const result = (p: WriteProgress): PostgresWriteResult => ({ ...p, ...split });
  let last = track(0);
  if ((options.method ?? 'copy') === 'insert') {
    for await (const batch of batches) {
      if (isCopyBatch(batch)) throw new Error('the insert method needs event batches, not COPY batches');
      await insertBatch(pool, batch);
      last = track(batch.events.length);
    }
    return result(last);
  }
  const perCopy = options.eventsPerCopy ?? 250_000;
  // Snapshots must not become visible before their events commit: held until the COPY carrying those events ends.
  const pendingSnapshots: GeneratedBatch['snapshots'] = [];
  const client = await pool.connect();
  let dropped: SecondaryIndex[] = [];
  const iterator: AsyncIterator<Batch> | Iterator<Batch> =
    Symbol.asyncIterator in batches ? batches[Symbol.asyncIterator]() : (batches as Iterable<Batch>)[Symbol.iterator]();
  try {
    // One commit per COPY and the run is restartable from scratch: no need to wait for each WAL flush.
    await client.query('SET synchronous_commit = off');
    if (options.fresh) {
      const t = performance.now();
      dropped = await dropSecondaryIndexes(client);
      split.indexMs += performance.now() - t;
      options.onPhase?.(
        `fresh load: dropped ${dropped.length} secondary indexes/constraints (${dropped.map((d) => d.name).join(', ')}), rebuilt after the load`,
      );
    }
    let copy: ReturnType<typeof copyFrom> | undefined;
    let inCopy = 0;
    const finishCopy = async () => {
      if (copy) {
        const done = once(copy, 'finish');
        copy.end();
        await done;
        copy = undefined;
        inCopy = 0;
      }
      while (pendingSnapshots.length > 0) await saveSnapshot(pool, ...pendingSnapshots.splice(0, 1_000));
    };
    for (;;) {
      let t = performance.now();
      const next = await iterator.next();
      split.waitGenerateMs += performance.now() - t;
      if (next.done) break;
      const batch = next.value;
      t = performance.now();
      // Keys go through the pool (another connection; this one is busy with COPY), in parallel with the COPY write.
      const keys = batch.subjectKeys.length > 0 ? insertSubjectKeys(pool, batch.subjectKeys) : undefined;
      if (!copy) copy = client.query(copyFrom(COPY_EVENTS_SQL));
      let chunk: string | Uint8Array;
      let count: number;
      if (isCopyBatch(batch)) {
        chunk = batch.copy;
        count = batch.count;
        split.generateMs += batch.generateMs;
      } else {
        const g = performance.now();
        let text = '';
        for (const event of batch.events) text += copyLine(event);
        chunk = text;
        count = batch.events.length;
        split.generateMs += performance.now() - g;
        t += performance.now() - g;
      }
      if (!copy.write(chunk)) await once(copy, 'drain'); // back-pressure: Postgres has not taken the last chunk yet
      await keys;
      pendingSnapshots.push(...batch.snapshots);
      inCopy += count;
      if (inCopy >= perCopy) await finishCopy();
      split.waitDatabaseMs += performance.now() - t;
      last = track(count);
    }
    const t = performance.now();
    await finishCopy();
    split.waitDatabaseMs += performance.now() - t;
  } catch (err) {
    await iterator.return?.(); // stops the source (and its worker thread)
    // Leave the table usable: put back what was dropped (best effort; the original error is the one to report).
    if (dropped.length > 0) await rebuildSecondaryIndexes(client, dropped).catch(() => undefined);
    client.release();
    throw err;
  }
  try {
    if (dropped.length > 0) {
      const t = performance.now();
      options.onPhase?.(`fresh load: rebuilding ${dropped.length} secondary indexes/constraints...`);
      await rebuildSecondaryIndexes(client, dropped);
      const ms = performance.now() - t;
      split.indexMs += ms;
      options.onPhase?.(`fresh load: rebuilt secondary indexes/constraints in ${(ms / 1000).toFixed(1)} s`);
    }
  } finally {
    client.release();
  }
  const elapsedMs = performance.now() - started;
  return result({ ...last, elapsedMs, eventsPerSecond: elapsedMs > 0 ? (last.events * 1000) / elapsedMs : 0 });
}

/** A secondary index of `events`, or the unique constraint behind one, with what drops and recreates it. */
interface SecondaryIndex {
  name: string;
  create: string;
  drop: string;
}

/** Drops every index of `events` but the primary key's (unique constraints through ALTER TABLE), remembering their definitions. */
async function dropSecondaryIndexes(client: pg.PoolClient): Promise<SecondaryIndex[]> {
  const { rows: existing } = await client.query('SELECT 1 FROM events LIMIT 1');
  if (existing.length > 0) throw new Error('fresh mode needs an empty events table (it drops and rebuilds its indexes)');
  const { rows } = await client.query<{ name: string; indexdef: string; conname: string | null; condef: string | null }>(`
    SELECT i.relname AS name, pg_get_indexdef(i.oid) AS indexdef, c.conname, pg_get_constraintdef(c.oid) AS condef
      FROM pg_index x
      JOIN pg_class i ON i.oid = x.indexrelid
      LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
     WHERE x.indrelid = 'events'::regclass AND NOT x.indisprimary
     ORDER BY i.relname`);
  const indexes = rows.map((r): SecondaryIndex =>
    r.conname && r.condef
      ? {
          name: r.conname,
          create: `ALTER TABLE events ADD CONSTRAINT ${quoteIdent(r.conname)} ${r.condef}`,
          drop: `ALTER TABLE events DROP CONSTRAINT ${quoteIdent(r.conname)}`,
        }
      : { name: r.name, create: r.indexdef, drop: `DROP INDEX ${quoteIdent(r.name)}` },
  );
  await inTransaction(client, async () => {
    for (const index of indexes) await client.query(index.drop);
  });
  return indexes;
}

/** Recreates the dropped indexes in one transaction (all or none), with room to sort in memory. */
async function rebuildSecondaryIndexes(client: pg.PoolClient, indexes: SecondaryIndex[]): Promise<void> {
  await inTransaction(client, async () => {
    await client.query("SET LOCAL maintenance_work_mem = '256MB'");
    for (const index of indexes) await client.query(index.create);
  });
}

async function inTransaction(client: pg.PoolClient, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** One batch in one transaction over one connection (the PGlite-friendly path). */
export async function insertBatch(db: pg.Pool | pg.PoolClient | pg.Client, batch: GeneratedBatch): Promise<void> {
  const client = 'connect' in db && 'totalCount' in db ? await db.connect() : (db as pg.PoolClient);
  const owned = client !== db;
  try {
    await client.query('BEGIN');
    await insertSubjectKeys(client, batch.subjectKeys);
    for (let i = 0; i < batch.events.length; i += 2_000) await client.query(INSERT_EVENTS_SQL, eventColumnArrays(batch.events.slice(i, i + 2_000)));
    await saveSnapshot(client, ...batch.snapshots);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    if (owned) (client as pg.PoolClient).release();
  }
}
