/**
 * A rebuild of a PostgreSQL read model into its shadow, resumable at any point:
 * everything it needs to continue (position, horizon, phase) is in
 * `chronoscope_rebuilds`, committed with the rows, so a cancelled, crashed or
 * killed run is continued by running it again with the same id.
 */
import type pg from 'pg';
import { ChronoError } from '../../../src-shared/errors';
import { inTransaction } from '../../stores/postgres/transaction';
import { foldFeed, settledHead, type FoldProgress, type FoldTimings, type RebuildFeed, type ShadowSink } from './feed-fold';
import {
  buildShadowIndexes,
  createShadow,
  loadRows,
  loadRowsText,
  readRebuild,
  tableShape,
  updateRebuild,
  writeChanges,
  writeRowGroups,
  type RebuildRecord,
  type TableShape,
} from './postgres-target';
import type { ReadModelDefinition, RowChanges } from './read-model';
import { foldFeedInWorkers, foldsInWorkers, FoldWorkers, type TextShadowSink } from './fold-workers';

type Queryable = Pick<pg.Pool | pg.PoolClient | pg.Client, 'query'>;

export interface PostgresRebuildOptions {
  pool: pg.Pool;
  feed: RebuildFeed;
  id: string;
  schema?: string;
  model: string;
  definition: ReadModelDefinition;
  signal?: AbortSignal;
  batchEvents?: number;
  onProgress?(progress: FoldProgress & { phase: string }): void;
  /**
   * After the load, keep following the head (catch-up) until this signal fires, so
   * the swap has only the last moments to fold. Steps are gap-safe: each folds up to
   * the settled head (the head once every transaction running when it was read has
   * ended), so a late commit below it is never skipped.
   */
  followUntil?: AbortSignal;
  /** Pause between catch-up steps when nothing new arrived. */
  followPollMs?: number;
  /** Where the loading time went (for benches and the job's summary). */
  onTimings?(timings: FoldTimings): void;
  /** Fold workers for a built-in keyed by stream (default: one per core; 0 folds in this thread). */
  foldWorkers?: number;
}

/** Writes a batch and the rebuild's position in one transaction. */
export function transactionalSink(pool: pg.Pool, record: RebuildRecord, shape: TableShape): ShadowSink {
  return {
    load: (keys) => loadRows(pool, record.schema, record.shadow, shape, keys),
    async commit(changes: RowChanges, position: string, events: number) {
      await inTransaction(pool, async (client) => {
        await writeChanges(client, record.schema, record.shadow, shape, changes);
        await updateRebuild(client, record.id, { position, events });
      });
    },
  };
}

/** The same, for changes the fold workers encoded (the main process forwards their text). */
export function transactionalTextSink(pool: pg.Pool, record: RebuildRecord, shape: TableShape): TextShadowSink {
  return {
    loadText: (keys) => loadRowsText(pool, record.schema, record.shadow, shape, keys),
    async commit(groups, position, events) {
      await inTransaction(pool, async (client) => {
        await writeRowGroups(client, record.schema, record.shadow, shape, groups);
        await updateRebuild(client, record.id, { position, events });
      });
    },
  };
}

/** Writes into an open transaction (the swap's final stretch): no commit of its own. */
export function inTransactionSink(client: Queryable, record: RebuildRecord, shape: TableShape): ShadowSink {
  return {
    load: (keys) => loadRows(client, record.schema, record.shadow, shape, keys),
    async commit(changes, position, events) {
      await writeChanges(client, record.schema, record.shadow, shape, changes);
      await updateRebuild(client, record.id, { position, events });
    },
  };
}

export async function shadowShape(db: Queryable, record: RebuildRecord): Promise<TableShape> {
  const shape = await tableShape(db, record.schema, record.shadow);
  return { keyColumn: shape.keyColumn, keyType: shape.keyType, columns: shape.columns, types: shape.types ?? {} };
}

/** Runs (or resumes) the rebuild up to the settled head at its start, then builds the indexes. */
export async function rebuildPostgres(options: PostgresRebuildOptions): Promise<RebuildRecord> {
  const { pool, feed, id, model, definition, signal } = options;
  const schema = options.schema ?? 'public';
  // The definition's sandbox starts while the shadow is prepared; it is closed however this part ends.
  const opening = definition.open();
  opening.catch(() => undefined); // awaited below; a failure to load must not count as unhandled meanwhile
  let shape: TableShape;
  let record: RebuildRecord;
  try {
    record = (await readRebuild(pool, id)) ?? (await createShadow(pool, { id, schema, model, definition: definition.name }));
    if (record.model !== model || record.schema !== schema)
      throw new ChronoError('conflict', `Rebuild ${id} is of ${record.schema}.${record.model}, not ${schema}.${model}.`);
    if (record.phase !== 'loading' && record.phase !== 'indexed') return record;
    if (record.horizon === null) {
      const horizon = await settledHead(feed, signal);
      await updateRebuild(pool, id, { horizon });
      record = { ...record, horizon };
    }
    shape = await shadowShape(pool, record);
    const folder = await opening;
    options.onProgress?.({ phase: 'loading', position: record.position, horizon: record.horizon!, events: 0, eventsPerSecond: 0, etaSeconds: null });
    const inWorkers = await loadInWorkers(options, record, shape);
    const run =
      inWorkers ??
      (await foldFeed({
        feed,
        handles: definition.handles,
        folder,
        sink: transactionalSink(pool, record, shape),
        after: record.position,
        horizon: record.horizon!,
        eventsBefore: record.events,
        ...(signal ? { signal } : {}),
        ...(options.batchEvents !== undefined ? { batchEvents: options.batchEvents } : {}),
        onProgress: (p) => options.onProgress?.({ ...p, phase: 'loading' }),
      }));
    options.onTimings?.(run.timings);
  } finally {
    await opening.then(
      (folder) => folder.close(),
      () => undefined,
    );
  }
  record = (await readRebuild(pool, id))!;
  if (record.phase === 'loading') {
    options.onProgress?.({ phase: 'indexing', position: record.position, horizon: record.horizon!, events: 0, eventsPerSecond: 0, etaSeconds: null });
    await buildShadowIndexes(pool, record);
    record = (await readRebuild(pool, id))!;
  }
  if (options.followUntil) record = await followHead(options, record, shape);
  return record;
}

/** The load folded by worker threads, when the definition and the store allow it; null: fold in this thread. */
async function loadInWorkers(options: PostgresRebuildOptions, record: RebuildRecord, shape: TableShape) {
  const { pool, feed, definition, signal } = options;
  if (options.foldWorkers === 0 || !foldsInWorkers(definition, feed)) return null;
  const workers = await FoldWorkers.start(definition, shape, options.foldWorkers !== undefined ? { workers: options.foldWorkers } : {});
  try {
    return await foldFeedInWorkers({
      feed,
      handles: definition.handles,
      workers,
      sink: transactionalTextSink(pool, record, shape),
      after: record.position,
      horizon: record.horizon!,
      eventsBefore: record.events,
      ...(signal ? { signal } : {}),
      ...(options.batchEvents !== undefined ? { batchEvents: options.batchEvents } : {}),
      onProgress: (p) => options.onProgress?.({ ...p, phase: 'loading' }),
    });
  } finally {
    await workers.close();
  }
}

/** Catch-up: folds up to the settled head again and again until `followUntil` (or the job's signal) fires. */
async function followHead(options: PostgresRebuildOptions, start: RebuildRecord, shape: TableShape): Promise<RebuildRecord> {
  const { pool, feed, definition, signal } = options;
  const stop = options.followUntil!;
  const stopped = () => stop.aborted || signal?.aborted === true;
  const folder = await definition.open();
  let record = start;
  try {
    while (!stopped()) {
      const horizon = await settledHead(feed, signal);
      if (BigInt(horizon) > BigInt(record.position)) {
        await foldFeed({
          feed,
          handles: definition.handles,
          folder,
          sink: transactionalSink(pool, record, shape),
          after: record.position,
          horizon,
          eventsBefore: record.events,
          ...(signal ? { signal } : {}),
          onProgress: (p) => options.onProgress?.({ ...p, phase: 'following the head' }),
        });
        record = (await readRebuild(pool, record.id))!;
      }
      options.onProgress?.({ phase: 'following the head', position: record.position, horizon, events: 0, eventsPerSecond: 0, etaSeconds: 0 });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, options.followPollMs ?? 500);
        stop.addEventListener('abort', done, { once: true });
        signal?.addEventListener('abort', done, { once: true });
        function done() {
          clearTimeout(timer);
          stop.removeEventListener('abort', done);
          signal?.removeEventListener('abort', done);
          resolve();
        }
      });
    }
  } finally {
    await folder.close();
  }
  return record;
}
