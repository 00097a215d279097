import type { Db, MongoClient } from 'mongodb';
import type pg from 'pg';
import { ChronoError } from '../../../src-shared/errors';
import type { z } from 'zod';
import type { storesDetectResult, storesInspectResult } from '../../../src-shared/schemas/browse';
import { StoreCapabilityError, StoreInputError, type EventStore } from '../../stores/event-store';
import { detectPresets, type PresetProposal } from '../../stores/postgres/detect';
import { inspectPostgres } from '../../stores/postgres/inspect';
import { inspectMongo } from '../../stores/mongo/inspect';
import { MappingValidationError } from '../../stores/postgres/mapping';
import { MONGO_PRESETS } from '../../stores/presets';
import { StoreNotFoundError } from '../../stores/presets/not-found';
import type { ConnectionScopes } from '../connections/connection-scope';
import type { Connections } from '../connections/connections';
import { confirmedChoice, openEventStore } from '../connections/open-event-store';
import type { StoreChoice, StoreChoices } from './store-choices';

/**
 * The EventStore port of each connection, with the preset the user confirmed:
 * detection, inspection and confirmation here, the open store in the
 * connection's scope (until its profile changes or a preset is confirmed again).
 */
export class EventStores {
  constructor(
    private readonly connections: Connections,
    private readonly choices: StoreChoices,
    private readonly scopes: ConnectionScopes,
  ) {}

  async get(connectionId: string): Promise<EventStore> {
    return this.scopes
      .get(connectionId)
      .eventStore()
      .catch((err: unknown) => {
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
    const confirmed = confirmedChoice
      ? { confirmed: confirmedChoice.preset, ...(confirmedChoice.custom ? { confirmedCustom: confirmedChoice.custom } : {}) }
      : {};
    if ((await this.connections.resolve(connectionId)).settings.kind === 'mongo') {
      const { db } = await this.mongo(connectionId);
      const found = await Promise.all(
        Object.values(MONGO_PRESETS).map(async (record) =>
          (await record.detect(db)).map(({ source, confidence, evidence, missing }) => ({ preset: record.name, source, confidence, evidence, missing })),
        ),
      ).catch((err: unknown) => {
        throw translateStoreError(err);
      });
      return { ...confirmed, candidates: found.flat(), nearMisses: [] };
    }
    const pool = await this.pool(connectionId);
    const proposals = await detectPresets(pool).catch((err: unknown) => {
      throw translateStoreError(err);
    });
    const shown = (p: PresetProposal) => ({
      preset: p.preset,
      source: `${p.mapping.schema ?? 'public'}.${p.mapping.table}`,
      confidence: p.confidence,
      evidence: p.evidence,
      missing: p.missing,
    });
    // A preset that would be refused on confirmation is not proposed: it is a near miss, with why.
    return {
      ...confirmed,
      candidates: proposals.filter((p) => p.usable).map(shown),
      nearMisses: proposals.filter((p) => !p.usable).map((p) => ({ ...shown(p), reasons: p.reasons })),
    };
  }

  /**
   * Validates the preset against the live schema before remembering it; then the
   * connection's scope is replaced, so its store and companion ports (checkpoints,
   * snapshots, read models) all follow the new preset.
   */
  async configure(connectionId: string, choice: StoreChoice): Promise<EventStore> {
    await openEventStore(this.scopes.get(connectionId), choice).catch((err: unknown) => {
      throw translateStoreError(err);
    });
    await this.choices.set(connectionId, choice);
    await this.scopes.replace(connectionId);
    return this.get(connectionId);
  }

  /** Whether reads have a preset to go through (confirmed by the user, or the Local workspace's own). */
  async hasConfirmedPreset(connectionId: string): Promise<boolean> {
    return (await this.choiceOf(connectionId)) !== undefined;
  }

  private choiceOf(connectionId: string): Promise<StoreChoice | undefined> {
    return confirmedChoice(this.choices, connectionId);
  }

  /**
   * The latest stored snapshot of a stream at or before a version, where the store
   * keeps them in the reference layout (`snapshots(aggregate_id, version, state)`),
   * with when it was taken where the layout records it (`taken_at`, `takenAt`; null: not recorded).
   */
  async snapshotAtOrBefore(
    connectionId: string,
    streamId: string,
    version?: number,
  ): Promise<{ version: number; state: unknown; takenAt: string | null } | undefined> {
    const kind = (await this.connections.resolve(connectionId)).settings.kind;
    if (kind === 'mongo') {
      // The reference layout's `snapshots` collection: {aggregateId, version, state, takenAt}.
      const { db } = await this.mongo(connectionId);
      const filter = { aggregateId: streamId, ...(version !== undefined ? { version: { $lte: version } } : {}) };
      const [doc] = await db.collection('snapshots').find(filter).sort({ version: -1 }).limit(1).toArray();
      if (!doc || typeof doc.version !== 'number' || !('state' in doc)) return undefined;
      return { version: doc.version, state: doc.state as unknown, takenAt: instantOf(doc.takenAt) };
    }
    if (kind !== 'postgres') return undefined;
    const pool = await this.pool(connectionId);
    const { rows: columns } = await pool.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'snapshots' AND column_name IN ('aggregate_id', 'version', 'state', 'taken_at')`,
    );
    const names = new Set(columns.map((c) => c.column_name));
    if (!['aggregate_id', 'version', 'state'].every((c) => names.has(c))) return undefined;
    const { rows } = await pool.query<{ version: number; state: unknown; taken_at: unknown }>(
      `SELECT version, state, ${names.has('taken_at') ? 'taken_at' : 'NULL'} AS taken_at FROM snapshots WHERE aggregate_id = $1 AND ($2::int IS NULL OR version <= $2::int) ORDER BY version DESC LIMIT 1`,
      [streamId, version ?? null],
    );
    const row = rows[0];
    return row ? { version: row.version, state: row.state, takenAt: instantOf(row.taken_at) } : undefined;
  }

  /** The connection's MongoDB client and database, shared with capabilities beyond the events (compliance). */
  mongo(connectionId: string): Promise<{ client: MongoClient; db: Db }> {
    return this.scopes.mongo(connectionId);
  }

  /** The connection's pg pool, shared with capabilities that read beyond the events (compliance). */
  pool(connectionId: string): Promise<pg.Pool> {
    return this.scopes.pool(connectionId);
  }
}

/** Store errors become contract errors with the store's own words. */
export function translateStoreError(err: unknown): unknown {
  if (err instanceof ChronoError) return err;
  if (err instanceof StoreInputError) return new ChronoError('invalid_input', sentence(err.message));
  if (err instanceof StoreCapabilityError) return new ChronoError('unsupported', sentence(err.message));
  if (err instanceof StoreNotFoundError) return new ChronoError('not_found', sentence(err.message));
  if (err instanceof MappingValidationError) return new ChronoError('not_found', sentence(err.message), { problems: err.problems });
  return err;
}

/**
 * A store's words as the user reads them: a sentence, starting with a capital. A message that
 * starts with a field path (`columns.streamId "$where": ...`) names that field as it is spelled.
 */
function sentence(message: string): string {
  return /^[a-z]+(\s|$)/.test(message) ? message.charAt(0).toUpperCase() + message.slice(1) : message;
}

/** A stored time (a Date, or ISO text) as ISO 8601; null when absent or not a time. */
function instantOf(value: unknown): string | null {
  const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : null;
}
