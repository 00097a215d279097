/**
 * Rebuilds of a Mongo read model (a collection keyed by `_id`): the shadow is a
 * new collection `<name>__shadow_<id>`, written with unordered bulk writes, its
 * indexes copied from the live one after the bulk load. Mongo (and FerretDB) has
 * no transaction across the rows and the checkpoint here, so the checkpoint is
 * written after the rows; a resumed batch is made harmless by the definition's
 * version guard (rows carry the stream version; events at or below it are skipped).
 *
 * The swap renames live → `<name>__before_<stamp>`, then shadow → live. Between
 * the two renames (milliseconds, measured and reported) there is no live
 * collection: a reader sees no documents and a projector write would create a
 * new, almost empty collection, which makes the second rename fail rather than
 * lose it. Stop the projector for the swap when that matters.
 */
import { boundedBulkWrite } from '../../stores/mongo/bounded-bulk-write';
import type { AnyBulkWriteOperation, Collection, Db, Document } from 'mongodb';
import { ChronoError } from '../../../src-shared/errors';
import type { CheckpointStore } from '../../stores/ports/checkpoint-store';
import { fieldChanges, type ChangedRow, type ModelDiff } from './diff';
import { foldFeed, settledHead, type FoldProgress, type FoldTimings, type RebuildFeed, type ShadowSink } from './feed-fold';
import { checkModelName, shadowName, stamp, type RebuildPhase } from './postgres-target';
import { confirmProjectorPosition, projectorOf, readProjectorPosition, type ProjectorCheckpoint } from './projector-checkpoint';
import type { ModelRow, ReadModelDefinition, RowChanges } from './read-model';

export const MONGO_REBUILDS = 'chronoscope_rebuilds';

export interface MongoRebuildRecord {
  _id: string;
  model: string;
  shadow: string;
  definition: string;
  /** A user definition's source (built-ins are named `builtin:<model>@mongo`); absent on older records. */
  definitionSource?: string | null;
  position: string;
  horizon: string | null;
  events: number;
  phase: RebuildPhase;
  beforeCollection: string | null;
  /** A partial rebuild: its streams are in chronoscope_rebuild_scopes, its shadow holds only their documents. */
  partial?: boolean;
  createdAt: Date;
  updatedAt: Date;
}

function rebuilds(db: Db): Collection<MongoRebuildRecord> {
  return db.collection<MongoRebuildRecord>(MONGO_REBUILDS);
}

export async function readMongoRebuild(db: Db, id: string): Promise<MongoRebuildRecord | null> {
  return rebuilds(db).findOne({ _id: id });
}

/** Rows travel as JSON: date fields of the model are turned back into dates for Mongo. */
export function toDocument(row: ModelRow, dateFields: readonly string[]): Document {
  const doc: Document = { ...row };
  for (const f of dateFields) if (typeof doc[f] === 'string') doc[f] = new Date(doc[f] as string);
  return doc;
}

export function toRow(doc: Document): ModelRow {
  const row: ModelRow = {};
  for (const [k, v] of Object.entries(doc)) row[k] = v instanceof Date ? v.toISOString() : v;
  return row;
}

/** Writes a batch's rows into the shadow (bounded unordered bulk writes), then the rebuild's position. */
export function mongoShadowSink(db: Db, record: MongoRebuildRecord, dateFields: readonly string[]): ShadowSink {
  const shadow = db.collection(record.shadow);
  return {
    async load(keys) {
      if (keys.length === 0) return new Map();
      const docs = await shadow.find({ _id: { $in: keys as never[] } }).toArray();
      return new Map(docs.map((d) => [String(d._id), toRow(d)]));
    },
    async commit(changes: RowChanges, position, events) {
      const ops: AnyBulkWriteOperation[] = [];
      for (const [key, row] of changes) {
        if (row === null) ops.push({ deleteOne: { filter: { _id: key as never } } });
        else ops.push({ replaceOne: { filter: { _id: key as never }, replacement: toDocument({ ...row, _id: key }, dateFields), upsert: true } });
      }
      await boundedBulkWrite(shadow, ops, { ordered: false });
      await rebuilds(db).updateOne({ _id: record._id }, { $set: { position, events, updatedAt: new Date() } });
    },
  };
}

export interface MongoRebuildOptions {
  db: Db;
  feed: RebuildFeed;
  id: string;
  model: string;
  definition: ReadModelDefinition;
  definitionSource?: string;
  dateFields?: readonly string[];
  signal?: AbortSignal;
  batchEvents?: number;
  onProgress?(progress: FoldProgress & { phase: string }): void;
  onTimings?(timings: FoldTimings): void;
}

/** Creates the (empty) shadow collection and the rebuild's record; refuses a model with no live collection. */
export async function createMongoShadow(
  db: Db,
  options: { id: string; model: string; definition: string; definitionSource?: string; partial?: boolean },
): Promise<MongoRebuildRecord> {
  const { id, model } = options;
  checkModelName(model);
  const live = await db.listCollections({ name: model }, { nameOnly: true }).toArray();
  if (live.length === 0) throw new ChronoError('not_found', `There is no collection ${model}: a rebuild copies the live collection's indexes.`);
  const now = new Date();
  const record: MongoRebuildRecord = {
    _id: id,
    model,
    shadow: shadowName(model, id),
    definition: options.definition,
    definitionSource: options.definitionSource ?? null,
    position: '0',
    horizon: null,
    events: 0,
    phase: 'loading',
    beforeCollection: null,
    ...(options.partial ? { partial: true } : {}),
    createdAt: now,
    updatedAt: now,
  };
  await db.createCollection(record.shadow);
  await rebuilds(db).insertOne(record);
  return record;
}

export async function listMongoRebuilds(db: Db): Promise<MongoRebuildRecord[]> {
  return rebuilds(db).find({}).sort({ createdAt: -1 }).limit(200).toArray();
}

export async function collectionExists(db: Db, name: string): Promise<boolean> {
  return (await db.listCollections({ name }, { nameOnly: true }).toArray()).length > 0;
}

/** Drops the old collection a swap kept (the caller has the confirmation and writes the audit). */
export async function dropMongoBefore(db: Db, id: string): Promise<string> {
  const record = await readMongoRebuild(db, id);
  if (!record?.beforeCollection) throw new ChronoError('not_found', `Rebuild ${id} kept no old model.`);
  if (record.phase !== 'swapped')
    throw new ChronoError('conflict', 'Only the old model of a swapped rebuild can be dropped (after a roll back it is the live model again).');
  if (await collectionExists(db, record.beforeCollection)) await db.dropCollection(record.beforeCollection);
  await rebuilds(db).updateOne({ _id: id }, { $set: { beforeCollection: '', updatedAt: new Date() } });
  return record.beforeCollection;
}

/** Drops a shadow collection that was not swapped in. */
export async function discardMongoShadow(db: Db, id: string): Promise<void> {
  const record = await readMongoRebuild(db, id);
  if (!record) throw new ChronoError('not_found', `There is no rebuild ${id}.`);
  if (record.phase === 'swapped' || record.phase === 'rolled_back')
    throw new ChronoError('conflict', 'The shadow of this rebuild is the live model (or was): nothing to discard.');
  if (await collectionExists(db, record.shadow)) await db.dropCollection(record.shadow);
  await rebuilds(db).updateOne({ _id: id }, { $set: { phase: 'discarded', updatedAt: new Date() } });
}

/** Runs (or resumes) a Mongo rebuild up to the settled head at its start, then copies the indexes. */
export async function rebuildMongo(options: MongoRebuildOptions): Promise<MongoRebuildRecord> {
  const { db, feed, id, model, definition } = options;
  checkModelName(model);
  const record =
    (await readMongoRebuild(db, id)) ??
    (await createMongoShadow(db, {
      id,
      model,
      definition: definition.name,
      ...(options.definitionSource !== undefined ? { definitionSource: options.definitionSource } : {}),
    }));
  if (record.model !== model) throw new ChronoError('conflict', `Rebuild ${id} is of ${record.model}, not ${model}.`);
  if (record.phase !== 'loading' && record.phase !== 'indexed') return record;
  if (record.horizon === null) {
    record.horizon = await settledHead(feed, options.signal);
    await rebuilds(db).updateOne({ _id: id }, { $set: { horizon: record.horizon } });
  }
  const folder = await definition.open();
  try {
    const run = await foldFeed({
      feed,
      handles: definition.handles,
      folder,
      sink: mongoShadowSink(db, record, options.dateFields ?? []),
      after: record.position,
      horizon: record.horizon,
      eventsBefore: record.events,
      // One operation at a time: FerretDB sorts each page in memory, concurrent range reads only add to its load.
      readers: 1,
      prefetch: false,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.batchEvents !== undefined ? { batchEvents: options.batchEvents } : {}),
      onProgress: (p) => options.onProgress?.({ ...p, phase: 'loading' }),
    });
    options.onTimings?.(run.timings);
  } finally {
    await folder.close();
  }
  if (record.phase === 'loading') {
    for (const index of await db.collection(model).listIndexes().toArray()) {
      if (index['name'] === '_id_') continue;
      const { key, name, v: _v, ns: _ns, ...rest } = index as Document & { key: Document; name: string };
      await db.collection(record.shadow).createIndex(key, { ...rest, name });
    }
    await rebuilds(db).updateOne({ _id: id }, { $set: { phase: 'indexed', updatedAt: new Date() } });
  }
  return (await readMongoRebuild(db, id))!;
}

/** Live and shadow compared in `_id` order, a page of each at a time. */
export async function diffMongo(
  db: Db,
  live: string,
  shadow: string,
  options: { pageRows?: number; keysListed?: number; sampleRows?: number; liveKeys?: readonly string[] } = {},
): Promise<ModelDiff> {
  const pageRows = options.pageRows ?? 2000;
  const keysListed = options.keysListed ?? 100;
  const sampleRows = options.sampleRows ?? 20;
  // A partial rebuild compares only its keys of the live model.
  const scoped: Document = options.liveKeys ? { _id: { $in: options.liveKeys } } : {};
  const [liveRows, shadowRows] = await Promise.all([db.collection(live).countDocuments(scoped), db.collection(shadow).countDocuments()]);
  const diff: ModelDiff = {
    liveRows,
    shadowRows,
    onlyInLive: { count: 0, keys: [] },
    onlyInShadow: { count: 0, keys: [] },
    changed: { count: 0, keys: [], sample: [] },
    identical: true,
  };
  const pager = (name: string, within: Document) => {
    let after: unknown;
    let buffer: Document[] = [];
    let done = false;
    return async (): Promise<Document | undefined> => {
      if (buffer.length === 0 && !done) {
        buffer = await db
          .collection(name)
          .find(after === undefined ? within : { $and: [within, { _id: { $gt: after as never } }] })
          .sort({ _id: 1 })
          .limit(pageRows)
          .toArray();
        if (buffer.length < pageRows) done = true;
        if (buffer.length > 0) after = buffer[buffer.length - 1]!._id;
      }
      return buffer.shift();
    };
  };
  const nextLive = pager(live, scoped);
  const nextShadow = pager(shadow, {});
  let l = await nextLive();
  let s = await nextShadow();
  const note = (kind: 'onlyInLive' | 'onlyInShadow', key: string) => {
    diff.identical = false;
    diff[kind].count++;
    if (diff[kind].keys.length < keysListed) diff[kind].keys.push(key);
  };
  while (l || s) {
    const lk = l ? String(l._id) : undefined;
    const sk = s ? String(s._id) : undefined;
    if (lk !== undefined && (sk === undefined || lk < sk)) {
      note('onlyInLive', lk);
      l = await nextLive();
    } else if (sk !== undefined && (lk === undefined || sk < lk)) {
      note('onlyInShadow', sk);
      s = await nextShadow();
    } else {
      const a = toRow(l!);
      const b = toRow(s!);
      const fields = fieldChanges(a, b);
      if (fields.length > 0) {
        diff.identical = false;
        diff.changed.count++;
        if (diff.changed.keys.length < keysListed) diff.changed.keys.push(lk!);
        if (diff.changed.sample.length < sampleRows) diff.changed.sample.push({ key: lk!, live: a, shadow: b, fields } satisfies ChangedRow);
      }
      l = await nextLive();
      s = await nextShadow();
    }
  }
  return diff;
}

export interface MongoSwapResult {
  model: string;
  beforeCollection: string;
  position: string;
  /** How long there was no collection under the model's name, in ms. */
  windowMs: number;
  risk: string;
}

export const MONGO_SWAP_RISK =
  'Mongo has no transaction across collections: between the two renames the model has no collection for a few milliseconds (readers see no documents, a projector write would create a new collection and make the second rename fail), and the projector may move past the position the shadow was caught up to after its checkpoint was checked, just before the renames (a move before that refuses the swap). Pause the projector for the swap when this matters.';

/**
 * Catches the shadow up to the projector's checkpoint (read through the connection's
 * CheckpointStore, any layout) or the settled head, confirms by compare-and-set that
 * the projector is still there (refused if it moved), then renames.
 */
export async function swapMongo(options: {
  db: Db;
  feed: RebuildFeed;
  id: string;
  definition: ReadModelDefinition;
  dateFields?: readonly string[];
  projector?: ProjectorCheckpoint;
  checkpoints?: CheckpointStore;
  now?: () => Date;
}): Promise<MongoSwapResult> {
  const { db, id } = options;
  const record = await readMongoRebuild(db, id);
  if (!record) throw new ChronoError('not_found', `There is no rebuild ${id}.`);
  if (record.phase !== 'indexed') throw new ChronoError('conflict', `The rebuild is ${record.phase}: only a finished rebuild can be swapped.`);
  const projector = await projectorOf(options, record.model);
  const position = projector ? await readProjectorPosition(projector.checkpoints, projector.key, record.model) : await settledHead(options.feed);
  if (BigInt(record.position) > BigInt(position))
    throw new ChronoError('conflict', `The projector is at ${position}, behind the rebuilt model (${record.position}): swap again once it has caught up.`);
  const folder = await options.definition.open();
  try {
    await foldFeed({
      feed: options.feed,
      handles: options.definition.handles,
      folder,
      sink: mongoShadowSink(db, record, options.dateFields ?? []),
      after: record.position,
      horizon: position,
      eventsBefore: record.events,
      readers: 1,
      prefetch: false,
    });
  } finally {
    await folder.close();
  }
  // No transaction joins the renames here (FerretDB has none): the check is the last moment before them,
  // and the window reported runs from it.
  const beforeCollection = `${record.model}__before_${stamp((options.now ?? (() => new Date()))())}`;
  const t = performance.now();
  if (projector) await confirmProjectorPosition(projector.checkpoints, projector.key, position);
  await db.renameCollection(record.model, beforeCollection);
  await db.renameCollection(record.shadow, record.model);
  const windowMs = performance.now() - t;
  await rebuilds(db).updateOne({ _id: id }, { $set: { phase: 'swapped', beforeCollection, position, updatedAt: new Date() } });
  return { model: record.model, beforeCollection, position, windowMs, risk: MONGO_SWAP_RISK };
}

export async function rollbackMongo(db: Db, id: string, now: () => Date = () => new Date()): Promise<{ restored: string; rebuiltKeptAs: string }> {
  const record = await readMongoRebuild(db, id);
  if (!record?.beforeCollection || record.phase !== 'swapped') throw new ChronoError('conflict', 'Only a swapped rebuild can be rolled back.');
  if (!(await collectionExists(db, record.beforeCollection)))
    throw new ChronoError('not_found', `The old model ${record.beforeCollection} was dropped: it cannot be restored.`);
  const after = `${record.model}__after_${stamp(now())}`;
  await db.renameCollection(record.model, after);
  await db.renameCollection(record.beforeCollection, record.model);
  // The rebuilt documents now live in `after`: recorded as the rebuild's shadow, so the catalog lists the collection and it can be dropped.
  await rebuilds(db).updateOne({ _id: id }, { $set: { phase: 'rolled_back', shadow: after, updatedAt: new Date() } });
  return { restored: record.beforeCollection, rebuiltKeptAs: after };
}
