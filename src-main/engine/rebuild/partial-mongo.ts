/**
 * Partial rebuilds of a Mongo read model: only chosen streams are replayed into a
 * shadow collection holding just their documents; the swap replaces only their
 * keys in the live collection and every other document stays byte-identical. The
 * streams are recorded in `chronoscope_rebuild_scopes` (one document per stream).
 *
 * Mongo has no transaction across documents here: the swap upserts the shadow's
 * documents into the live collection in bounded batches, then deletes the scope's
 * keys the rebuild no longer has. Meanwhile readers may see some keys replaced and
 * others not yet; no key is ever missing that exists before and after. The old
 * documents are copied first to `<name>__before_<stamp>` for roll back.
 */
import type { AnyBulkWriteOperation, Db, Document } from 'mongodb';
import { ChronoError } from '../../../src-shared/errors';
import type { CheckpointStore } from '../../stores/ports/checkpoint-store';
import { boundedBulkWrite } from '../../stores/mongo/bounded-bulk-write';
import { settledHead } from './feed-fold';
import { collectionExists, createMongoShadow, mongoShadowSink, MONGO_REBUILDS, readMongoRebuild, type MongoRebuildRecord } from './mongo-target';
import { foldStreamGroups, type PartialFeed } from './partial-postgres';
import { stamp } from './postgres-target';
import { confirmProjectorPosition, projectorOf, readProjectorPosition, type ProjectorCheckpoint } from './projector-checkpoint';
import type { ModelFolder, ReadModelDefinition } from './read-model';
import { SCOPE_STREAM_LIMIT } from './scope';

export const MONGO_SCOPES = 'chronoscope_rebuild_scopes';
/** Keys per `$in` query. */
const KEY_CHUNK = 1000;

export const MONGO_PARTIAL_SWAP_RISK =
  'Mongo has no transaction across documents: the rebuilt documents replace the live ones in batches, so for the moment it takes readers may see some of the chosen keys replaced and others not yet, and a projector write to one of them meanwhile is overwritten. Pause the projector for the swap when this matters.';

interface ScopeDocument {
  _id: string;
  rebuildId: string;
  streamId: string;
}

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** Creates the shadow collection, its record (marked partial) and the scope's streams. */
export async function createPartialMongoShadow(
  db: Db,
  options: { id: string; model: string; definition: string; definitionSource?: string; streamIds: readonly string[] },
): Promise<MongoRebuildRecord> {
  const streamIds = [...new Set(options.streamIds)];
  if (streamIds.length === 0 || streamIds.length > SCOPE_STREAM_LIMIT)
    throw new ChronoError('invalid_input', `Choose between 1 and ${SCOPE_STREAM_LIMIT.toLocaleString('en-US')} streams for a partial rebuild.`);
  const record = await createMongoShadow(db, {
    id: options.id,
    model: options.model,
    definition: options.definition,
    ...(options.definitionSource !== undefined ? { definitionSource: options.definitionSource } : {}),
    partial: true,
  });
  const ops: AnyBulkWriteOperation<ScopeDocument>[] = streamIds.map((streamId) => ({
    replaceOne: {
      filter: { _id: `${options.id}|${streamId}` },
      replacement: { _id: `${options.id}|${streamId}`, rebuildId: options.id, streamId },
      upsert: true,
    },
  }));
  await boundedBulkWrite(db.collection<ScopeDocument>(MONGO_SCOPES), ops, { ordered: false });
  return record;
}

export async function mongoScopeOf(db: Db, id: string): Promise<string[]> {
  const docs = await db.collection<ScopeDocument>(MONGO_SCOPES).find({ rebuildId: id }).sort({ streamId: 1 }).toArray();
  return docs.map((d) => d.streamId);
}

/** Folds the scope's streams in (after, upTo] into the shadow, a group of streams per bounded bulk write. */
async function foldScope(
  db: Db,
  record: MongoRebuildRecord,
  feed: PartialFeed,
  definition: ReadModelDefinition,
  folder: ModelFolder,
  dateFields: readonly string[],
  after: bigint,
  upTo: bigint,
  signal?: AbortSignal,
  onProgress?: (p: { streamsDone: number; streams: number; events: number }) => void,
): Promise<number> {
  const streams = await mongoScopeOf(db, record._id);
  const sink = mongoShadowSink(db, record, dateFields);
  return foldStreamGroups(
    { load: (keys) => sink.load(keys), write: (changes, folded) => sink.commit(changes, record.position, record.events + folded) },
    feed,
    definition,
    folder,
    streams,
    after,
    upTo,
    signal,
    onProgress,
  );
}

/** Runs a partial rebuild up to the settled head; a cancelled run starts over (its shadow is emptied). */
export async function rebuildPartialMongo(options: {
  db: Db;
  feed: PartialFeed;
  id: string;
  definition: ReadModelDefinition;
  dateFields?: readonly string[];
  signal?: AbortSignal;
  onProgress?(p: { streamsDone: number; streams: number; events: number }): void;
}): Promise<MongoRebuildRecord> {
  const { db, id } = options;
  const record = await readMongoRebuild(db, id);
  if (!record?.partial) throw new ChronoError('not_found', `There is no partial rebuild ${id}: start it again.`);
  if (record.phase !== 'loading') return record;
  const horizon = await settledHead(options.feed, options.signal);
  await db.collection(record.shadow).deleteMany({});
  const start = { ...record, position: '0', events: 0 };
  const folder = await options.definition.open();
  let folded: number;
  try {
    folded = await foldScope(
      db,
      start,
      options.feed,
      options.definition,
      folder,
      options.dateFields ?? [],
      0n,
      BigInt(horizon),
      options.signal,
      options.onProgress,
    );
  } finally {
    await folder.close();
  }
  await db
    .collection<MongoRebuildRecord>(MONGO_REBUILDS)
    .updateOne({ _id: id }, { $set: { position: horizon, horizon, events: folded, phase: 'indexed', updatedAt: new Date() } });
  return (await readMongoRebuild(db, id))!;
}

/** The keys a partial swap replaces: the scope's streams and the shadow's documents. */
export async function replacedKeys(db: Db, record: MongoRebuildRecord): Promise<string[]> {
  const shadowKeys = (
    await db
      .collection(record.shadow)
      .find({}, { projection: { _id: 1 } })
      .toArray()
  ).map((d) => String(d._id));
  return [...new Set([...(await mongoScopeOf(db, record._id)), ...shadowKeys])];
}

/** Upserts `docs` into `target` and deletes the `keys` none of them has: the keys' documents become `docs`. */
async function replaceKeys(db: Db, target: string, keys: readonly string[], docs: readonly Document[]): Promise<void> {
  const collection = db.collection(target);
  await boundedBulkWrite(
    collection,
    docs.map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc, upsert: true } })),
    { ordered: false },
  );
  const kept = new Set(docs.map((d) => String(d._id)));
  for (const chunk of chunks(
    keys.filter((k) => !kept.has(k)),
    KEY_CHUNK,
  ))
    await collection.deleteMany({ _id: { $in: chunk as never[] } });
}

async function documentsOf(db: Db, collection: string, keys: readonly string[]): Promise<Document[]> {
  const out: Document[] = [];
  for (const chunk of chunks(keys, KEY_CHUNK))
    out.push(
      ...(await db
        .collection(collection)
        .find({ _id: { $in: chunk as never[] } })
        .toArray()),
    );
  return out;
}

export interface MongoPartialSwapResult {
  model: string;
  beforeCollection: string;
  position: string;
  replaced: number;
  /** How long the live documents were being replaced, in ms. */
  windowMs: number;
  risk: string;
}

/** Folds the scope's newer events, keeps the live documents of its keys, and replaces them with the shadow's. */
export async function swapPartialMongo(options: {
  db: Db;
  feed: PartialFeed;
  id: string;
  definition: ReadModelDefinition;
  dateFields?: readonly string[];
  projector?: ProjectorCheckpoint;
  checkpoints?: CheckpointStore;
  now?: () => Date;
}): Promise<MongoPartialSwapResult> {
  const { db, id } = options;
  const record = await readMongoRebuild(db, id);
  if (!record?.partial || record.phase !== 'indexed') throw new ChronoError('conflict', 'Only a finished partial rebuild can be swapped.');
  const projector = await projectorOf(options, record.model);
  const position = projector ? await readProjectorPosition(projector.checkpoints, projector.key, record.model) : await settledHead(options.feed);
  if (BigInt(record.position) > BigInt(position))
    throw new ChronoError('conflict', `The projector is at ${position}, behind the rebuilt model (${record.position}): swap again once it has caught up.`);
  if (BigInt(position) > BigInt(record.position)) {
    const folder = await options.definition.open();
    try {
      await foldScope(db, record, options.feed, options.definition, folder, options.dateFields ?? [], BigInt(record.position), BigInt(position));
    } finally {
      await folder.close();
    }
  }
  const beforeCollection = `${record.model}__before_${stamp((options.now ?? (() => new Date()))())}`;
  if (await collectionExists(db, beforeCollection)) throw new ChronoError('conflict', `${beforeCollection} already exists: wait a second and swap again.`);
  const keys = await replacedKeys(db, record);
  await db.createCollection(beforeCollection);
  const old = await documentsOf(db, record.model, keys);
  await boundedBulkWrite(
    db.collection(beforeCollection),
    old.map((doc) => ({ insertOne: { document: doc } })),
    { ordered: false },
  );
  const rebuilt = await db.collection(record.shadow).find({}).toArray();
  // No transaction joins the replacement here (FerretDB has none): the projector is checked at the last moment
  // before it, after the copies, and the window reported runs from that check to the end of the replacement.
  const t = performance.now();
  if (projector) {
    await confirmProjectorPosition(projector.checkpoints, projector.key, position).catch(async (err: unknown) => {
      await db
        .collection(beforeCollection)
        .drop()
        .catch(() => undefined);
      throw err;
    });
  }
  await replaceKeys(db, record.model, keys, rebuilt);
  const windowMs = performance.now() - t;
  await db
    .collection<MongoRebuildRecord>(MONGO_REBUILDS)
    .updateOne({ _id: id }, { $set: { phase: 'swapped', beforeCollection, position, updatedAt: new Date() } });
  return { model: record.model, beforeCollection, position, replaced: keys.length, windowMs, risk: MONGO_PARTIAL_SWAP_RISK };
}

/** Puts back the documents a partial swap replaced (the rest of the collection is left as it is). */
export async function rollbackPartialMongo(db: Db, id: string): Promise<{ restored: number }> {
  const record = await readMongoRebuild(db, id);
  if (!record?.partial || !record.beforeCollection || record.phase !== 'swapped')
    throw new ChronoError('conflict', 'Only a swapped partial rebuild can be rolled back.');
  if (!(await collectionExists(db, record.beforeCollection)))
    throw new ChronoError('not_found', `The old documents ${record.beforeCollection} were dropped: they cannot be restored.`);
  const old = await db.collection(record.beforeCollection).find({}).toArray();
  await replaceKeys(db, record.model, await replacedKeys(db, record), old);
  await db.collection<MongoRebuildRecord>(MONGO_REBUILDS).updateOne({ _id: id }, { $set: { phase: 'rolled_back', updatedAt: new Date() } });
  return { restored: old.length };
}
