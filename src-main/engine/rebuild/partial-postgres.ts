/**
 * Partial rebuilds: only chosen streams are replayed, and only their keys are
 * replaced in the live model; every other row stays byte-identical. The shadow
 * holds just the recomputed rows. The swap, in one transaction with the
 * projector's checkpoint held (compare-and-set through the CheckpointStore joined
 * to it), folds the chosen streams' newer events,
 * copies the live rows of the replaced keys to `<name>__before_<stamp>` (for roll
 * back), deletes them from the live table and inserts the shadow's rows.
 *
 * The keys replaced are the chosen stream ids and the keys the shadow holds: right
 * for models whose rows each come from one stream (the built-ins, and user
 * definitions keyed by stream id). A partial run is short; a cancelled one starts
 * over (its shadow is emptied) rather than resuming.
 */
import type pg from 'pg';
import { ChronoError } from '../../../src-shared/errors';
import type { EventStore, StoredEventView } from '../../stores/event-store';
import type { CheckpointStore } from '../../stores/ports/checkpoint-store';
import { qualifiedName, quoteIdent } from '../../stores/postgres/mapping';
import { inTransaction } from '../../stores/postgres/transaction';
import { RebuildCancelled, handlesEvent, settledHead } from './feed-fold';
import { SCOPE_STREAM_LIMIT } from './scope';
import { holdProjectorPosition, projectorOf, readProjectorPosition, type ProjectorCheckpoint } from './projector-checkpoint';
import { discardShadow } from './swap-postgres';
import {
  buildShadowIndexes,
  createShadow,
  freeBeforeName,
  loadRows,
  readRebuild,
  tableShape,
  updateRebuild,
  writeChanges,
  type RebuildRecord,
  type TableShape,
} from './postgres-target';
import type { ModelFolder, ModelRow, ReadModelDefinition, RowChanges } from './read-model';

export type PartialFeed = Pick<EventStore, 'readStream' | 'headPosition' | 'watchTransactions'>;

/** The chosen stream ids of a partial rebuild, kept in the record's definition field's companion table. */
async function ensureScopeTable(db: Pick<pg.Pool | pg.PoolClient, 'query'>): Promise<void> {
  await db.query(
    'CREATE TABLE IF NOT EXISTS chronoscope_rebuild_scopes (rebuild_id text NOT NULL, stream_id text NOT NULL, PRIMARY KEY (rebuild_id, stream_id))',
  );
}

export async function scopeOf(db: Pick<pg.Pool | pg.PoolClient, 'query'>, id: string): Promise<string[] | null> {
  const exists = await db.query(`SELECT to_regclass('chronoscope_rebuild_scopes') AS t`);
  if (!exists.rows[0]?.t) return null;
  const { rows } = await db.query<{ stream_id: string }>('SELECT stream_id FROM chronoscope_rebuild_scopes WHERE rebuild_id = $1 ORDER BY stream_id', [id]);
  return rows.length > 0 ? rows.map((r) => r.stream_id) : null;
}

/** Every event of a stream in (after, upTo], in version order. */
async function streamEvents(feed: PartialFeed, streamId: string, after: bigint, upTo: bigint): Promise<StoredEventView[]> {
  const out: StoredEventView[] = [];
  let options: Parameters<PartialFeed['readStream']>[1] | null = { limit: 1000 };
  while (options) {
    const page = await feed.readStream(streamId, options);
    for (const e of page.events) {
      const p = BigInt(e.position ?? '0');
      if (p > after && p <= upTo) out.push(e);
    }
    options = page.next;
  }
  return out;
}

/** Streams read and written together: one load and one upsert per group. */
const STREAM_GROUP = 200;
/** Streams of a group read at once (the store's pool is small). */
const READ_CONCURRENCY = 3;

/** The handled events of each group of streams in (after, upTo], a group read ahead while the previous one is folded. */
export async function* streamGroups(
  feed: PartialFeed,
  definition: ReadModelDefinition,
  streams: readonly string[],
  after: bigint,
  upTo: bigint,
): AsyncGenerator<{ events: StoredEventView[]; streams: number }> {
  const readGroup = async (from: number): Promise<{ events: StoredEventView[]; streams: number }> => {
    const group = streams.slice(from, from + STREAM_GROUP);
    const perStream: StoredEventView[][] = new Array(group.length);
    let next = 0;
    const reader = async () => {
      for (let i = next++; i < group.length; i = next++)
        perStream[i] = (await streamEvents(feed, group[i]!, after, upTo)).filter((e) => handlesEvent(definition.handles, e));
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, group.length) }, reader));
    return { events: perStream.flat(), streams: group.length };
  };
  let ahead = streams.length > 0 ? readGroup(0) : undefined;
  try {
    for (let from = 0; ahead; from += STREAM_GROUP) {
      const current = await ahead;
      ahead = from + STREAM_GROUP < streams.length ? readGroup(from + STREAM_GROUP) : undefined;
      yield current;
    }
  } finally {
    void ahead?.catch(() => undefined);
  }
}

/** Where a partial fold reads the rows it needs and writes each group's changes (`folded`: the events folded so far, this group's included). */
export interface PartialShadowSink {
  load(keys: readonly string[]): Promise<Map<string, ModelRow>>;
  write(changes: RowChanges, folded: number): Promise<void>;
}

/**
 * Folds the streams' events in (after, upTo] into `sink`, a group of streams at a time, stopping between groups when `signal` aborts; returns how many events
 * it folded.
 */
export async function foldStreamGroups(
  sink: PartialShadowSink,
  feed: PartialFeed,
  definition: ReadModelDefinition,
  folder: ModelFolder,
  streams: readonly string[],
  after: bigint,
  upTo: bigint,
  signal?: AbortSignal,
  onProgress?: (progress: { streamsDone: number; streams: number; events: number }) => void,
): Promise<number> {
  let folded = 0;
  let done = 0;
  for await (const group of streamGroups(feed, definition, streams, after, upTo)) {
    if (signal?.aborted) throw new RebuildCancelled();
    done += group.streams;
    if (group.events.length > 0) {
      const loaded = await sink.load(await folder.missingKeys(group.events));
      const changes = await folder.apply(group.events, loaded);
      folded += group.events.length;
      await sink.write(changes, folded);
    }
    onProgress?.({ streamsDone: done, streams: streams.length, events: folded });
  }
  return folded;
}

function foldStreams(
  client: Pick<pg.PoolClient, 'query'>,
  record: RebuildRecord,
  shape: TableShape,
  feed: PartialFeed,
  definition: ReadModelDefinition,
  folder: ModelFolder,
  streams: readonly string[],
  after: bigint,
  upTo: bigint,
  signal?: AbortSignal,
  onProgress?: (progress: { streamsDone: number; streams: number; events: number }) => void,
): Promise<number> {
  const sink: PartialShadowSink = {
    load: (keys) => loadRows(client, record.schema, record.shadow, shape, keys),
    write: (changes) => writeChanges(client, record.schema, record.shadow, shape, changes),
  };
  return foldStreamGroups(sink, feed, definition, folder, streams, after, upTo, signal, onProgress);
}

/** Creates a partial rebuild's shadow and records its streams (one transaction), so the job reads them from the database. */
export async function createPartialShadow(
  pool: pg.Pool,
  options: { id: string; schema: string; model: string; definition: string; definitionSource?: string; streamIds: readonly string[] },
): Promise<RebuildRecord> {
  const streamIds = [...new Set(options.streamIds)];
  if (streamIds.length === 0 || streamIds.length > SCOPE_STREAM_LIMIT)
    throw new ChronoError('invalid_input', `Choose between 1 and ${SCOPE_STREAM_LIMIT.toLocaleString('en-US')} streams for a partial rebuild.`);
  const record = await createShadow(pool, {
    id: options.id,
    schema: options.schema,
    model: options.model,
    definition: options.definition,
    ...(options.definitionSource !== undefined ? { definitionSource: options.definitionSource } : {}),
  });
  try {
    await ensureScopeTable(pool);
    await pool.query('INSERT INTO chronoscope_rebuild_scopes (rebuild_id, stream_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING', [
      options.id,
      streamIds,
    ]);
  } catch (err) {
    await discardShadow(pool, options.id).catch(() => undefined);
    throw err;
  }
  return record;
}

export async function rebuildPartialPostgres(options: {
  pool: pg.Pool;
  feed: PartialFeed;
  id: string;
  schema?: string;
  model: string;
  definition: ReadModelDefinition;
  definitionSource?: string;
  streamIds?: readonly string[];
  signal?: AbortSignal;
  onProgress?(progress: { streamsDone: number; streams: number; events: number }): void;
}): Promise<RebuildRecord> {
  const { pool, feed, id, model, definition } = options;
  const schema = options.schema ?? 'public';
  let record = await readRebuild(pool, id);
  if (!record) {
    if (!options.streamIds) throw new ChronoError('not_found', `There is no partial rebuild ${id}: start it again.`);
    record = await createPartialShadow(pool, {
      id,
      schema,
      model,
      definition: definition.name,
      ...(options.definitionSource !== undefined ? { definitionSource: options.definitionSource } : {}),
      streamIds: options.streamIds,
    });
  }
  if (record.phase !== 'loading') return record;
  const streams = (await scopeOf(pool, id)) ?? [];
  const horizon = await settledHead(feed, options.signal);
  const shape = await tableShape(pool, record.schema, record.shadow);
  const folder = await definition.open();
  try {
    // No transaction around the fold: the feed is read on other connections, which PGlite (the Local workspace) would hold
    // until it ended. The record stays `loading` until the indexes are built, and a run that stops halfway starts over.
    await pool.query(`TRUNCATE ${qualifiedName(record.schema, record.shadow)}`);
    const folded = await foldStreams(pool, record, shape, feed, definition, folder, streams, 0n, BigInt(horizon), options.signal, options.onProgress);
    await updateRebuild(pool, id, { position: horizon, horizon, events: folded });
  } finally {
    await folder.close();
  }
  await buildShadowIndexes(pool, (await readRebuild(pool, id))!);
  return (await readRebuild(pool, id))!;
}

/** The keys a partial swap replaces: the chosen streams' and the shadow's. */
async function replacedKeys(client: Pick<pg.PoolClient, 'query'>, record: RebuildRecord, shape: TableShape, streams: readonly string[]): Promise<string[]> {
  const { rows } = await client.query<{ k: string }>(`SELECT ${quoteIdent(shape.keyColumn)}::text AS k FROM ${qualifiedName(record.schema, record.shadow)}`);
  return [...new Set([...streams, ...rows.map((r) => r.k)])];
}

type PartialSwapOptions = {
  pool: pg.Pool;
  feed: PartialFeed;
  id: string;
  definition: ReadModelDefinition;
  projector?: ProjectorCheckpoint;
  checkpoints?: CheckpointStore;
  now?: () => Date;
};

export async function swapPartialPostgres(options: PartialSwapOptions): Promise<{ model: string; beforeTable: string; replaced: number; position: string }> {
  const { pool, id } = options;
  // Taken before the transaction: the store's transaction watch would wait for it.
  const head = options.projector ? undefined : await settledHead(options.feed);
  const before = await readRebuild(pool, id);
  if (!before || before.phase !== 'indexed') throw new ChronoError('conflict', 'Only a finished partial rebuild can be swapped.');
  const model = before.model;
  const projector = await projectorOf(options, model);
  await foldAheadOfSwap(options, projector && (await readProjectorPosition(projector.checkpoints, projector.key, model)), head);
  return inTransaction(pool, async (client) => {
    const record = await readRebuild(client, id, true);
    if (!record || record.phase !== 'indexed') throw new ChronoError('conflict', 'Only a finished partial rebuild can be swapped.');
    const streams = (await scopeOf(client, id)) ?? [];
    const live = qualifiedName(record.schema, record.model);
    const shadow = qualifiedName(record.schema, record.shadow);
    await client.query(`LOCK TABLE ${live}, ${shadow} IN ACCESS EXCLUSIVE MODE`);
    // Held by compare-and-set in this transaction: committed or rolled back with the replaced rows.
    const position = projector ? await holdProjectorPosition(projector.checkpoints.joining(client), projector.key, record.model) : head!;
    if (BigInt(record.position) > BigInt(position))
      throw new ChronoError('conflict', `The projector is at ${position}, behind the rebuilt rows (${record.position}): swap again once it has caught up.`);
    const shape = await tableShape(client, record.schema, record.shadow);
    if (record.position !== position) {
      // What the projector did since the fold ahead (rare): folded inside (PGlite would wait here for this transaction).
      const folder = await options.definition.open();
      try {
        await foldStreams(client, record, shape, options.feed, options.definition, folder, streams, BigInt(record.position), BigInt(position));
      } finally {
        await folder.close();
      }
    }
    const keys = await replacedKeys(client, record, shape, streams);
    const key = quoteIdent(shape.keyColumn);
    const beforeTable = await freeBeforeName(client, record.schema, record.model, options.now);
    const cols = shape.columns.map(quoteIdent).join(', ');
    await client.query(`CREATE TABLE ${qualifiedName(record.schema, beforeTable)} AS SELECT * FROM ${live} WHERE ${key} = ANY($1::${shape.keyType}[])`, [keys]);
    await client.query(`DELETE FROM ${live} WHERE ${key} = ANY($1::${shape.keyType}[])`, [keys]);
    await client.query(`INSERT INTO ${live} (${cols}) SELECT ${cols} FROM ${shadow}`);
    await updateRebuild(client, id, { phase: 'swapped', beforeTable, position });
    return { model: record.model, beforeTable, replaced: keys.length, position };
  });
}

/** Folds the chosen streams up to the projector's checkpoint (or the head) in a transaction of its own, before the swap's. */
async function foldAheadOfSwap(options: PartialSwapOptions, projectorAt: string | undefined, head: string | undefined): Promise<void> {
  const { pool, id } = options;
  const record = await readRebuild(pool, id);
  if (!record || record.phase !== 'indexed') return;
  const target = projectorAt ?? head;
  if (target === undefined || BigInt(target) <= BigInt(record.position)) return;
  const streams = (await scopeOf(pool, id)) ?? [];
  const shape = await tableShape(pool, record.schema, record.shadow);
  // Read before the transaction: PGlite serves one transaction at a time across its connections.
  const groups: StoredEventView[][] = [];
  for await (const group of streamGroups(options.feed, options.definition, streams, BigInt(record.position), BigInt(target))) groups.push(group.events);
  const folder = await options.definition.open();
  try {
    await inTransaction(pool, async (client) => {
      for (const batch of groups) {
        if (batch.length === 0) continue;
        const loaded = await loadRows(client, record.schema, record.shadow, shape, await folder.missingKeys(batch));
        await writeChanges(client, record.schema, record.shadow, shape, await folder.apply(batch, loaded));
      }
      await updateRebuild(client, id, { position: target });
    });
  } finally {
    await folder.close();
  }
}

/** Puts back the rows a partial swap replaced (the rest of the model is left as it is). */
export async function rollbackPartialPostgres(pool: pg.Pool, id: string): Promise<{ restored: number }> {
  return inTransaction(pool, async (client) => {
    const record = await readRebuild(client, id, true);
    if (!record?.beforeTable || record.phase !== 'swapped') throw new ChronoError('conflict', 'Only a swapped partial rebuild can be rolled back.');
    const streams = (await scopeOf(client, id)) ?? [];
    const shape = await tableShape(client, record.schema, record.model);
    const live = qualifiedName(record.schema, record.model);
    const key = quoteIdent(shape.keyColumn);
    const keys = [
      ...new Set([
        ...streams,
        ...(await client.query<{ k: string }>(`SELECT ${key}::text AS k FROM ${qualifiedName(record.schema, record.shadow)}`)).rows.map((r) => r.k),
      ]),
    ];
    const cols = shape.columns.map(quoteIdent).join(', ');
    await client.query(`LOCK TABLE ${live} IN ACCESS EXCLUSIVE MODE`);
    await client.query(`DELETE FROM ${live} WHERE ${key} = ANY($1::${shape.keyType}[])`, [keys]);
    const { rowCount } = await client.query(`INSERT INTO ${live} (${cols}) SELECT ${cols} FROM ${qualifiedName(record.schema, record.beforeTable)}`);
    await updateRebuild(client, id, { phase: 'rolled_back' });
    return { restored: rowCount ?? 0 };
  });
}
