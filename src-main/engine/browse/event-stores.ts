import type { Db, MongoClient } from 'mongodb';
import pg from 'pg';
import { ChronoError } from '../../../src-shared/errors';
import type { z } from 'zod';
import type { storesDetectResult, storesInspectResult } from '../../../src-shared/schemas/browse';
import { StoreCapabilityError, StoreInputError, type EventStore } from '../../stores/event-store';
import { detectPresets } from '../../stores/postgres/detect';
import { inspectPostgres } from '../../stores/postgres/inspect';
import { inspectMongo } from '../../stores/mongo/inspect';
import { mongoCustomMapping, validateMongoMapping } from '../../stores/mongo/custom-mapping';
import { MappingValidationError, presetMapping, type PresetName } from '../../stores/postgres/mapping';
import { PostgresEventStore } from '../../stores/postgres/postgres-event-store';
import { MongoEventStore, REFERENCE_MONGO_MAPPING, detectMongoPresets } from '../../stores/mongo/mongo-event-store';
import { EmmettMongoStore, EMMETT_MONGO_PRESET } from '../../stores/mongo/emmett-mongo-store';
import { detectEmmettMongo } from '../../stores/mongo/emmett-mongo-detect';
import { listStreamCollections } from '../../stores/mongo/emmett-mongo-layout';
import { LOCAL_WORKSPACE_ID, type Connections } from '../connections/connections';
import { createMongoClient, postgresConfig } from '../connections/drivers';
import { explainConnectionError } from '../connections/friendly-errors';
import { describeTarget } from '../connections/probe';
import type { StoreChoice, StoreChoices } from './store-choices';
import { mongoSnapshotStreams, postgresSnapshotStreams, type SnapshotStreams } from '../jobs/snapshot-streams';

/** Presets that read a MongoDB database; every other preset reads PostgreSQL tables. */
const MONGO_PRESETS: readonly string[] = ['reference-mongo', EMMETT_MONGO_PRESET];

/** Why a preset does not fit the connection, pointing at the sibling preset when there is one. */
function presetMismatch(preset: string, kind: string): string {
  const reads = MONGO_PRESETS.includes(preset) ? 'MongoDB' : 'PostgreSQL';
  const has = kind === 'mongo' ? 'MongoDB' : kind === 'postgres' ? 'PostgreSQL' : kind;
  const sibling = preset === 'emmett' ? ` For Emmett on MongoDB choose "${EMMETT_MONGO_PRESET}".` : preset === EMMETT_MONGO_PRESET ? ' For Emmett on PostgreSQL choose "emmett".' : '';
  return `Preset "${preset}" reads ${reads}, but this is a ${has} connection.${sibling}`;
}

/** The Local workspace holds the reference system's classic table: no question to ask. */
const LOCAL_CHOICE: StoreChoice = { preset: 'classic' };

/**
 * Opens the EventStore port for a connection, with the preset the user
 * confirmed, and keeps it open (one small pool per connection) until the
 * profile changes.
 */
export class EventStores {
  private readonly open = new Map<string, Promise<EventStore>>();
  private readonly pools = new Map<string, pg.Pool>();
  private readonly mongoClients = new Map<string, { client: MongoClient; db: Db }>();

  constructor(
    private readonly connections: Connections,
    private readonly choices: StoreChoices,
  ) {}

  async get(connectionId: string): Promise<EventStore> {
    let store = this.open.get(connectionId);
    if (!store) {
      store = this.openStore(connectionId);
      this.open.set(connectionId, store);
      store.catch(() => this.forget(connectionId));
    }
    return store.catch((err: unknown) => {
      throw translateStoreError(err);
    });
  }

  /** Tables and columns, or collections and sampled fields: the material of a custom mapping. */
  async inspect(connectionId: string, sampleSize: number): Promise<z.output<typeof storesInspectResult>> {
    try {
      if ((await this.connections.resolve(connectionId)).settings.kind === 'mongo') {
        const { db } = await this.mongo(connectionId);
        return { backend: 'mongo', ...(await inspectMongo(db, sampleSize)) };
      }
      return { backend: 'postgres', ...(await inspectPostgres(await this.pool(connectionId))) };
    } catch (err) {
      throw translateStoreError(err);
    }
  }

  async detect(connectionId: string): Promise<z.output<typeof storesDetectResult>> {
    const confirmedChoice = await this.choiceOf(connectionId);
    const confirmed = confirmedChoice ? { confirmed: confirmedChoice.preset, ...(confirmedChoice.custom ? { confirmedCustom: confirmedChoice.custom } : {}) } : {};
    if ((await this.connections.resolve(connectionId)).settings.kind === 'mongo') {
      const { db } = await this.mongo(connectionId);
      const [reference, emmett] = await Promise.all([detectMongoPresets(db), detectEmmettMongo(db)]).catch((err: unknown) => {
        throw translateStoreError(err);
      });
      return {
        ...confirmed,
        candidates: [
          ...reference.map((p) => ({ preset: 'reference-mongo', source: `${db.databaseName}.${p.mapping.collection}`, confidence: p.confidence, evidence: p.evidence, missing: p.missing })),
          ...emmett.map((p) => ({ preset: EMMETT_MONGO_PRESET, source: `${db.databaseName}.emt:*`, confidence: p.confidence, evidence: p.evidence, missing: p.missing })),
        ],
      };
    }
    const pool = await this.pool(connectionId);
    const proposals = await detectPresets(pool).catch((err: unknown) => {
      throw translateStoreError(err);
    });
    return {
      ...confirmed,
      candidates: proposals.map((p) => ({
        preset: p.preset,
        source: `${p.mapping.schema ?? 'public'}.${p.mapping.table}`,
        confidence: p.confidence,
        evidence: p.evidence,
        missing: p.missing,
      })),
    };
  }

  /** Validates the preset against the live schema before remembering it. */
  async configure(connectionId: string, choice: StoreChoice): Promise<EventStore> {
    const store = await this.openWith(connectionId, choice).catch((err: unknown) => {
      throw translateStoreError(err);
    });
    await this.choices.set(connectionId, choice);
    // Same pool, new mapping: later reads use the confirmed preset.
    this.open.set(connectionId, Promise.resolve(store));
    return store;
  }

  /** Drops the open store and pool, e.g. after the profile changed. */
  async forget(connectionId: string): Promise<void> {
    this.open.delete(connectionId);
    const pool = this.pools.get(connectionId);
    this.pools.delete(connectionId);
    await pool?.end().catch(() => undefined);
    const mongo = this.mongoClients.get(connectionId);
    this.mongoClients.delete(connectionId);
    await mongo?.client.close().catch(() => undefined);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...new Set([...this.pools.keys(), ...this.mongoClients.keys()])].map((id) => this.forget(id)));
  }

  private async choiceOf(connectionId: string): Promise<StoreChoice | undefined> {
    return (await this.choices.get(connectionId)) ?? (connectionId === LOCAL_WORKSPACE_ID ? LOCAL_CHOICE : undefined);
  }

  private async openStore(connectionId: string): Promise<EventStore> {
    const choice = await this.choiceOf(connectionId);
    if (!choice) {
      throw new ChronoError('not_found', 'No event-store schema is confirmed for this connection yet: detect the schema and confirm a preset first.', {
        connectionId,
        next: 'stores.detect',
      });
    }
    return this.openWith(connectionId, choice);
  }

  private async openWith(connectionId: string, choice: StoreChoice): Promise<EventStore> {
    const kind = (await this.connections.resolve(connectionId)).settings.kind;
    if (choice.preset !== 'custom' && MONGO_PRESETS.includes(choice.preset) !== (kind === 'mongo')) {
      throw new ChronoError('invalid_input', presetMismatch(choice.preset, kind));
    }
    if (choice.preset === EMMETT_MONGO_PRESET) {
      const { db } = await this.mongo(connectionId);
      if ((await listStreamCollections(db)).length === 0) {
        throw new ChronoError('not_found', `database ${db.databaseName} has no emt:<streamType> collections: it holds no Emmett MongoDB event store`);
      }
      return EmmettMongoStore.open(db);
    }
    if (kind === 'mongo' && choice.preset === 'custom') {
      if (!choice.custom) throw new ChronoError('invalid_input', 'A custom preset needs its mapping.');
      const { db } = await this.mongo(connectionId);
      const mapping = mongoCustomMapping(choice.custom);
      await validateMongoMapping(db, mapping);
      return new MongoEventStore(db, mapping);
    }
    if (choice.preset === 'reference-mongo') {
      const { db } = await this.mongo(connectionId);
      const names = (await db.listCollections({ name: REFERENCE_MONGO_MAPPING.collection }, { nameOnly: true }).toArray()).map((c) => c.name);
      if (!names.includes(REFERENCE_MONGO_MAPPING.collection)) {
        throw new ChronoError('not_found', `collection ${db.databaseName}.${REFERENCE_MONGO_MAPPING.collection} does not exist`);
      }
      return new MongoEventStore(db, REFERENCE_MONGO_MAPPING);
    }
    const pool = await this.pool(connectionId);
    if (choice.preset === 'custom') {
      if (!choice.custom) throw new ChronoError('invalid_input', 'A custom preset needs its mapping.');
      return PostgresEventStore.open(pool, { preset: 'custom', ...choice.custom });
    }
    return PostgresEventStore.open(pool, presetMapping(choice.preset as PresetName, choice.schema));
  }

  /**
   * The latest stored snapshot of a stream at or before a version, where the store
   * keeps them in the reference layout (`snapshots(aggregate_id, version, state)`).
   */
  async snapshotAtOrBefore(connectionId: string, streamId: string, version?: number): Promise<{ version: number; state: unknown } | undefined> {
    const kind = (await this.connections.resolve(connectionId)).settings.kind;
    if (kind === 'mongo') {
      // The reference layout's `snapshots` collection: {aggregateId, version, state}.
      const { db } = await this.mongo(connectionId);
      const filter = { aggregateId: streamId, ...(version !== undefined ? { version: { $lte: version } } : {}) };
      const [doc] = await db.collection('snapshots').find(filter).sort({ version: -1 }).limit(1).toArray();
      return doc && typeof doc.version === 'number' && 'state' in doc ? { version: doc.version, state: doc.state as unknown } : undefined;
    }
    if (kind !== 'postgres') return undefined;
    const pool = await this.pool(connectionId);
    const { rows: tables } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'snapshots' AND column_name IN ('aggregate_id', 'version', 'state')`,
    );
    if (Number(tables[0]?.n) !== 3) return undefined;
    const { rows } = await pool.query<{ version: number; state: unknown }>(
      `SELECT version, state FROM snapshots WHERE aggregate_id = $1 AND ($2::int IS NULL OR version <= $2::int) ORDER BY version DESC LIMIT 1`,
      [streamId, version ?? null],
    );
    return rows[0];
  }

  /** The streams the connection keeps snapshots of, paged (for bulk verification). */
  async snapshotStreams(connectionId: string): Promise<SnapshotStreams> {
    const kind = (await this.connections.resolve(connectionId)).settings.kind;
    if (kind === 'mongo') return mongoSnapshotStreams((await this.mongo(connectionId)).db);
    return postgresSnapshotStreams(await this.pool(connectionId));
  }

  private async mongo(connectionId: string): Promise<{ client: MongoClient; db: Db }> {
    const existing = this.mongoClients.get(connectionId);
    if (existing) return existing;
    const resolved = await this.connections.resolve(connectionId);
    if (resolved.settings.kind !== 'mongo') throw new ChronoError('invalid_input', `"${resolved.name}" is not a MongoDB connection.`);
    const client = createMongoClient(resolved.settings, resolved.secret);
    try {
      await client.connect();
    } catch (err) {
      await client.close().catch(() => undefined);
      throw explainConnectionError(err, describeTarget(resolved.settings));
    }
    const opened = { client, db: client.db(resolved.settings.database) };
    this.mongoClients.set(connectionId, opened);
    return opened;
  }

  private async pool(connectionId: string): Promise<pg.Pool> {
    const existing = this.pools.get(connectionId);
    if (existing) return existing;
    const resolved = await this.connections.resolve(connectionId);
    if (resolved.settings.kind !== 'postgres') {
      throw new ChronoError('invalid_input', `"${resolved.name}" is a ${resolved.settings.kind} connection, not an event store.`);
    }
    const settings = resolved.settings;
    const pool = new pg.Pool({ ...postgresConfig(settings, resolved.secret), max: 4, idleTimeoutMillis: 30_000 });
    // A dropped idle connection must not crash the main process; the next query reconnects.
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect();
      client.release();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw explainConnectionError(err, describeTarget(settings));
    }
    this.pools.set(connectionId, pool);
    return pool;
  }
}

/** Store errors become contract errors with the store's own words. */
export function translateStoreError(err: unknown): unknown {
  if (err instanceof ChronoError) return err;
  if (err instanceof StoreInputError) return new ChronoError('invalid_input', err.message);
  if (err instanceof StoreCapabilityError) return new ChronoError('unavailable', err.message);
  if (err instanceof MappingValidationError) return new ChronoError('not_found', err.message, { problems: err.problems });
  return err;
}
