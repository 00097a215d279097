/**
 * Rebuilds of a MongoDB connection's read models (collections keyed by `_id`), as
 * the rebuild operations offer them: the catalog, the rebuild job (resumable: its
 * record, position included, is in `chronoscope_rebuilds` of the same database,
 * as on PostgreSQL), the diff, the swap with its window and risk stated, roll back
 * and drops. RebuildService hands a connection here when it is a MongoDB one.
 */
import type { Db } from 'mongodb';
import { ChronoError } from '../../../src-shared/errors';
import type { EventStore } from '../../stores/event-store';
import type { CheckpointStore } from '../../stores/ports/checkpoint-store';
import { companionStoreNames } from '../../stores/presets';
import type { RebuildJobContext } from './job-context';
import type { BuiltinReadModels } from './builtin-read-models';
import type { ModelDiff } from './diff';
import type { FoldProgress } from './feed-fold';
import {
  collectionExists,
  createMongoShadow,
  diffMongo,
  discardMongoShadow,
  dropMongoBefore,
  listMongoRebuilds,
  MONGO_REBUILDS,
  MONGO_SWAP_RISK,
  readMongoRebuild,
  rebuildMongo,
  rollbackMongo,
  swapMongo,
  type MongoRebuildRecord,
} from './mongo-target';
import {
  createPartialMongoShadow,
  MONGO_PARTIAL_SWAP_RISK,
  MONGO_SCOPES,
  rebuildPartialMongo,
  replacedKeys,
  rollbackPartialMongo,
  swapPartialMongo,
} from './partial-mongo';
import { stamp } from './postgres-target';
import { projectorCheckpoints, projectorOf, readProjectorPosition, type ProjectorCheckpoint } from './projector-checkpoint';
import type { ReadModelDefinition } from './read-model';

/**
 * Collections of the reference layout, of Chronoscope, and every preset's checkpoints and snapshots: not read models (the connection's CheckpointStore may name
 * more).
 */
const NOT_READ_MODELS = new Set(['events', 'counters', 'subject_keys', MONGO_REBUILDS, MONGO_SCOPES, ...companionStoreNames('mongo')]);
const DERIVED = /__(shadow|before|after)_/;

export interface MongoRebuildsDeps {
  db(connectionId: string): Promise<Db>;
  store(connectionId: string): Promise<EventStore>;
  loadUserDefinition(name: string, source: string): Promise<ReadModelDefinition>;
  /** The Mongo built-ins the engine was given. */
  builtins: BuiltinReadModels;
  /** The connection's projector checkpoints (its preset's or custom layout); absent or failing: no projector to swap at. */
  checkpoints?(connectionId: string): Promise<CheckpointStore>;
}

export interface MongoSwapView {
  model: string;
  shadow: string;
  beforeTable: string;
  position: string;
  catchUpFrom: string;
  risk: string;
  windowMs?: number;
  dryRun: boolean;
}

/** The line a rebuild job shows while loading (its speed also goes in the progress's `eventsPerSecond`, for the screen's rate chart). */
export function loadingMessage(p: FoldProgress): string {
  return `${p.eventsPerSecond.toLocaleString('en-US')} events/s, position ${p.position} of ${p.horizon}${p.etaSeconds !== null ? `, about ${p.etaSeconds} s left` : ''}`;
}

/** A Mongo rebuild record as the renderer sees it (the shape PostgreSQL records have; the schema is the database). */
export function mongoRecordView(db: Db, record: MongoRebuildRecord) {
  return {
    id: record._id,
    schema: db.databaseName,
    model: record.model,
    shadow: record.shadow,
    definition: record.definition,
    position: record.position,
    horizon: record.horizon,
    events: record.events,
    phase: record.phase,
    beforeTable: record.beforeCollection,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}

/**
 * The collections a roll back left, while they exist: the rebuilt documents (`__after_`, or a partial rebuild's shadow) and a partial roll back's copy of the
 * old ones.
 */
async function mongoLeftoverOf(
  db: Db,
  record: MongoRebuildRecord,
): Promise<{ table: string; rows: number; tables?: { table: string; rows: number }[] } | null> {
  const names = [record.shadow, record.beforeCollection].filter((c): c is string => typeof c === 'string' && /__(after|shadow|before)_/.test(c));
  const found: { table: string; rows: number }[] = [];
  for (const name of names) if (await collectionExists(db, name)) found.push({ table: name, rows: await db.collection(name).estimatedDocumentCount() });
  const [first] = found;
  if (!first) return null;
  return found.length > 1 ? { ...first, tables: found } : first;
}

export class MongoRebuilds {
  constructor(private readonly deps: MongoRebuildsDeps) {}

  private async record(db: Db, id: string): Promise<MongoRebuildRecord> {
    const record = await readMongoRebuild(db, id);
    if (!record) throw new ChronoError('not_found', `There is no rebuild ${id} on this connection.`);
    return record;
  }

  /** The record of a rebuild, for resuming it. */
  async resumable(connectionId: string, rebuildId: string): Promise<MongoRebuildRecord> {
    return this.record(await this.deps.db(connectionId), rebuildId);
  }

  /** The built-in for the model, or the user definition the record keeps. */
  async definitionOf(record: Pick<MongoRebuildRecord, 'model' | 'definition' | 'definitionSource'>): Promise<ReadModelDefinition> {
    if (record.definitionSource) return this.deps.loadUserDefinition(record.definition, record.definitionSource);
    const builtin = this.deps.builtins.mongo[record.model];
    if (!builtin || builtin.name !== record.definition) throw new ChronoError('not_found', `The definition ${record.definition} is not available.`);
    return builtin;
  }

  /** Fields the built-ins keep as dates (rows travel as JSON); a user definition's rows are stored as they come. */
  private dateFields(record: Pick<MongoRebuildRecord, 'model' | 'definitionSource'>): readonly string[] {
    return record.definitionSource ? [] : (this.deps.builtins.mongoDateFields[record.model] ?? []);
  }

  builtinFor(model: string): ReadModelDefinition {
    const builtin = this.deps.builtins.mongo[model];
    if (!builtin)
      throw new ChronoError(
        'invalid_input',
        `There is no built-in definition for the collection ${model}: choose a user definition (built-ins: ${Object.keys(this.deps.builtins.mongo).join(', ')}).`,
      );
    return builtin;
  }

  /** The connection's checkpoints, or none when it has none Chronoscope can read. */
  private async checkpointsOf(connectionId: string): Promise<CheckpointStore | undefined> {
    return this.deps.checkpoints?.(connectionId).catch(() => undefined);
  }

  async catalog(connectionId: string) {
    const db = await this.deps.db(connectionId);
    const checkpointStore = await this.checkpointsOf(connectionId);
    const checkpointCollections = new Set(checkpointStore?.stores() ?? []);
    const storeSource = await this.deps
      .store(connectionId)
      .then((s) => s.describe().source)
      .catch(() => '');
    const names = (await db.listCollections({}, { nameOnly: true }).toArray())
      .map((c) => c.name)
      .filter(
        (n) =>
          !n.startsWith('system.') &&
          !NOT_READ_MODELS.has(n) &&
          !checkpointCollections.has(n) &&
          !DERIVED.test(n) &&
          n !== storeSource &&
          !storeSource.endsWith(`.${n}`),
      )
      .sort()
      .slice(0, 500);
    const rows = await Promise.all(
      names.map((n) =>
        db
          .collection(n)
          .estimatedDocumentCount()
          .catch(() => -1),
      ),
    );
    const rebuilds = await listMongoRebuilds(db);
    const views = await Promise.all(
      rebuilds.map(async (r) => ({ ...mongoRecordView(db, r), leftover: r.phase === 'rolled_back' ? await mongoLeftoverOf(db, r) : null })),
    );
    const checkpoints = checkpointStore ? await projectorCheckpoints(checkpointStore).catch(() => []) : [];
    return {
      models: names.map((model, i) => ({
        schema: db.databaseName,
        model,
        kind: 'collection' as const,
        rows: rows[i]!,
        builtin: this.deps.builtins.mongo[model]?.name ?? null,
        rebuilds: views.filter((r) => r.model === model),
      })),
      checkpoints,
    };
  }

  /** Creates the shadow collection now (a missing collection is reported at once); the caller starts the job. */
  async createShadow(
    connectionId: string,
    options: { id: string; model: string; definition: ReadModelDefinition; definitionSource?: string; streamIds?: readonly string[] },
  ): Promise<{ shadow: string }> {
    const db = await this.deps.db(connectionId);
    if (options.streamIds) {
      const partial = await createPartialMongoShadow(db, {
        id: options.id,
        model: options.model,
        definition: options.definition.name,
        ...(options.definitionSource !== undefined ? { definitionSource: options.definitionSource } : {}),
        streamIds: options.streamIds,
      });
      return { shadow: partial.shadow };
    }
    const record = await createMongoShadow(db, {
      id: options.id,
      model: options.model,
      definition: options.definition.name,
      ...(options.definitionSource !== undefined ? { definitionSource: options.definitionSource } : {}),
    });
    return { shadow: record.shadow };
  }

  async checkModel(connectionId: string, model: string): Promise<void> {
    const db = await this.deps.db(connectionId);
    if ((await db.listCollections({ name: model }, { nameOnly: true }).toArray()).length === 0)
      throw new ChronoError('not_found', `There is no collection ${model}: a rebuild copies the live collection's indexes.`);
  }

  /** The rebuild job's work: loads (or resumes loading) the shadow up to the settled head, then copies the indexes. */
  async run(connectionId: string, rebuildId: string, context: Pick<RebuildJobContext, 'signal' | 'progress'>): Promise<{ rows: number; events: number }> {
    const db = await this.deps.db(connectionId);
    const record = await this.record(db, rebuildId);
    if (record.partial) {
      const done = await rebuildPartialMongo({
        db,
        feed: await this.deps.store(connectionId),
        id: record._id,
        definition: await this.definitionOf(record),
        dateFields: this.dateFields(record),
        signal: context.signal,
        onProgress: (p) =>
          context.progress({
            done: p.streamsDone,
            total: p.streams,
            message: `stream ${p.streamsDone.toLocaleString('en-US')} of ${p.streams.toLocaleString('en-US')}, ${p.events.toLocaleString('en-US')} events folded`,
          }),
      });
      return { rows: await db.collection(done.shadow).countDocuments(), events: done.events };
    }
    const done = await rebuildMongo({
      db,
      feed: await this.deps.store(connectionId),
      id: record._id,
      model: record.model,
      definition: await this.definitionOf(record),
      dateFields: this.dateFields(record),
      signal: context.signal,
      onProgress: (p) =>
        context.progress({ done: Number(p.position), total: Number(p.horizon), message: loadingMessage(p), eventsPerSecond: p.eventsPerSecond }),
    });
    return { rows: await db.collection(done.shadow).countDocuments(), events: done.events };
  }

  async diff(connectionId: string, rebuildId: string, sampleRows: number): Promise<ModelDiff> {
    const db = await this.deps.db(connectionId);
    const record = await this.record(db, rebuildId);
    if (record.phase !== 'indexed')
      throw new ChronoError(
        'conflict',
        record.phase === 'loading'
          ? 'The rebuild is still loading: diff it once its job is done.'
          : `The rebuild is ${record.phase.replace('_', ' ')}: there is no shadow to compare.`,
      );
    return diffMongo(db, record.model, record.shadow, { sampleRows, ...(record.partial ? { liveKeys: await replacedKeys(db, record) } : {}) });
  }

  async swap(connectionId: string, rebuildId: string, options: { projector?: ProjectorCheckpoint | undefined; dryRun: boolean }): Promise<MongoSwapView> {
    const db = await this.deps.db(connectionId);
    const record = await this.record(db, rebuildId);
    if (record.phase !== 'indexed') {
      throw new ChronoError(
        'conflict',
        record.phase === 'loading'
          ? 'The rebuild has not finished loading: resume it and swap once it is done.'
          : `The rebuild is ${record.phase.replace('_', ' ')}: there is nothing to swap.`,
      );
    }
    const feed = await this.deps.store(connectionId);
    const checkpoints = options.projector ? await this.deps.checkpoints?.(connectionId) : undefined;
    if (options.dryRun) {
      const projector = await projectorOf({ projector: options.projector, checkpoints }, record.model);
      const position = projector ? await readProjectorPosition(projector.checkpoints, projector.key, record.model) : ((await feed.headPosition()) ?? '0');
      if (BigInt(record.position) > BigInt(position))
        throw new ChronoError(
          'conflict',
          `The projector is at position ${position}, behind the rebuilt model (${record.position}): swap again once it has caught up.`,
        );
      return {
        model: record.model,
        shadow: record.shadow,
        beforeTable: `${record.model}__before_${stamp(new Date())}`,
        position,
        catchUpFrom: record.position,
        risk: record.partial ? MONGO_PARTIAL_SWAP_RISK : MONGO_SWAP_RISK,
        dryRun: true,
      };
    }
    const swap = record.partial ? swapPartialMongo : swapMongo;
    const done = await swap({
      db,
      feed,
      id: rebuildId,
      definition: await this.definitionOf(record),
      dateFields: this.dateFields(record),
      ...(options.projector ? { projector: options.projector } : {}),
      ...(checkpoints ? { checkpoints } : {}),
    });
    return {
      model: done.model,
      shadow: record.shadow,
      beforeTable: done.beforeCollection,
      position: done.position,
      catchUpFrom: record.position,
      risk: done.risk,
      windowMs: Math.round(done.windowMs * 1000) / 1000,
      dryRun: false,
    };
  }

  async rollback(
    connectionId: string,
    rebuildId: string,
    dryRun: boolean,
  ): Promise<{ model: string; restored: string; rebuiltKeptAs: string; dryRun: boolean }> {
    const db = await this.deps.db(connectionId);
    const record = await this.record(db, rebuildId);
    if (record.phase !== 'swapped' || !record.beforeCollection)
      throw new ChronoError('conflict', `The rebuild is ${record.phase.replace('_', ' ')}: only a swapped rebuild can be rolled back.`);
    if (dryRun) {
      if ((await db.listCollections({ name: record.beforeCollection }, { nameOnly: true }).toArray()).length === 0)
        throw new ChronoError('not_found', `The old model ${record.beforeCollection} was dropped: it cannot be restored.`);
      return { model: record.model, restored: record.beforeCollection, rebuiltKeptAs: `${record.model}__after_${stamp(new Date())}`, dryRun };
    }
    if (record.partial) {
      await rollbackPartialMongo(db, rebuildId);
      return { model: record.model, restored: record.beforeCollection, rebuiltKeptAs: record.shadow, dryRun };
    }
    const done = await rollbackMongo(db, rebuildId);
    return { model: record.model, restored: done.restored, rebuiltKeptAs: done.rebuiltKeptAs, dryRun };
  }

  async drop(
    connectionId: string,
    rebuildId: string,
    what: 'before' | 'shadow',
    dryRun: boolean,
  ): Promise<{ table: string; dropped: boolean; dryRun: boolean }> {
    const db = await this.deps.db(connectionId);
    const record = await this.record(db, rebuildId);
    if (what === 'before') {
      if (!record.beforeCollection)
        throw new ChronoError('not_found', 'This rebuild kept no old model (it was not swapped, or the old model was already dropped).');
      if (record.phase !== 'swapped') throw new ChronoError('conflict', 'After a roll back the old model is the live one again: it cannot be dropped here.');
      if (dryRun) return { table: record.beforeCollection, dropped: false, dryRun };
      return { table: await dropMongoBefore(db, rebuildId), dropped: true, dryRun };
    }
    if (record.phase === 'rolled_back') {
      // The rebuilt documents a roll back set aside (`<model>__after_<stamp>`), never the live model.
      const leftover = await mongoLeftoverOf(db, record);
      if (!leftover) throw new ChronoError('not_found', 'The roll back of this rebuild left no collection behind (or it was already dropped).');
      const names = (leftover.tables ?? [leftover]).map((t) => t.table);
      if (dryRun) return { table: names.join(', '), dropped: false, dryRun };
      for (const name of names) await db.collection(name).drop();
      return { table: names.join(', '), dropped: true, dryRun };
    }
    if (record.phase === 'swapped') throw new ChronoError('conflict', 'The shadow of this rebuild was swapped in: there is no shadow left to drop.');
    if (dryRun) return { table: record.shadow, dropped: false, dryRun };
    await discardMongoShadow(db, rebuildId);
    return { table: record.shadow, dropped: true, dryRun };
  }
}
