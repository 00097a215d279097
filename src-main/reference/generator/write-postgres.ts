import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DomainEvent } from '../events';
import { saveSnapshot } from '../postgres/snapshots';
import { INSERT_EVENTS_SQL, eventColumnArrays } from '../postgres/rows';
import { insertSubjectKeys } from '../postgres/subject-keys';
import type { GeneratedBatch } from './generate';
import { progressTracker, type ProgressListener, type WriteProgress } from './progress';

export interface PostgresWriteOptions {
  /** COPY (fast, real Postgres) or batched INSERT ... unnest (works everywhere, e.g. PGlite). */
  method?: 'copy' | 'insert';
  /** Total expected, for progress percentages. */
  total?: number;
  /** With COPY, events per COPY statement (each its own transaction, so progress is durable). */
  eventsPerCopy?: number;
  onProgress?: ProgressListener;
}

/** Escapes a value for COPY's text format: backslash, and the separators should they ever appear. */
function copyText(value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : value;
}

function copyLine(e: DomainEvent): string {
  return `${e.eventId}\t${copyText(e.aggregateId)}\t${e.aggregateType}\t${copyText(e.type)}\t${e.version}\t${copyText(JSON.stringify(e.data))}\t${copyText(JSON.stringify(e.metadata))}\t${e.timestamp}\n`;
}

/**
 * Writes generated batches into the classic `events` table (plus subject keys
 * and snapshots). Pulls the next batch only once the previous one is accepted
 * by Postgres (awaiting 'drain' on the COPY stream), so memory stays at about
 * one batch whatever the total.
 */
export async function writeToPostgres(pool: pg.Pool, batches: AsyncIterable<GeneratedBatch> | Iterable<GeneratedBatch>, options: PostgresWriteOptions = {}): Promise<WriteProgress> {
  const track = progressTracker(options.total ?? 0, options.onProgress);
  let last = track(0);
  if ((options.method ?? 'copy') === 'insert') {
    for await (const batch of batches) {
      await insertBatch(pool, batch);
      last = track(batch.events.length);
    }
    return last;
  }
  const perCopy = options.eventsPerCopy ?? 250_000;
  // Snapshots must not become visible before their events commit: held until the COPY carrying those events ends.
  const pendingSnapshots: GeneratedBatch['snapshots'] = [];
  const client = await pool.connect();
  try {
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
    for await (const batch of batches) {
      // Keys go through the pool (another connection): this one is busy with COPY.
      await insertSubjectKeys(pool, batch.subjectKeys);
      if (!copy) {
        copy = client.query(copyFrom('COPY events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata, "timestamp") FROM STDIN'));
      }
      let chunk = '';
      for (const event of batch.events) chunk += copyLine(event);
      if (!copy.write(chunk)) await once(copy, 'drain'); // back-pressure: Postgres has not taken the last chunk yet
      pendingSnapshots.push(...batch.snapshots);
      inCopy += batch.events.length;
      if (inCopy >= perCopy) await finishCopy();
      last = track(batch.events.length);
    }
    await finishCopy();
    return last;
  } finally {
    client.release();
  }
}

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
