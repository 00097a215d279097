import type { Db } from 'mongodb';
import { ConcurrencyConflictError, isMongoDuplicateKey } from '../errors';
import type { AggregateType, DomainEvent, EventMetadata, StoredEvent } from '../events';
import type { AppendRequest, CommandEventStore, Snapshot } from '../store';

/**
 * The reference system's MongoDB store, written for FerretDB: no transactions,
 * no change streams. Hence:
 * - one document per event in `events`; a unique index on (aggregateId, version)
 *   enforces optimistic concurrency, the `_id` (the event id, derived from the
 *   command id) makes retries idempotent;
 * - the events collection is its own outbox: each document carries `published`,
 *   and the relay (relay.ts) scans unpublished documents in `position` order;
 * - `position` is a global order drawn from a counter document with `$inc`
 *   before the insert. A failed insert leaves a hole, and concurrent writers can
 *   become visible out of order — but never two versions of one aggregate, since a
 *   writer can only draw for version n+1 after reading version n.
 * A multi-event append is an ordered insertMany: not atomic. Every command of the
 * reference domains yields one event per aggregate, so this never splits a decision.
 */
export interface EventDocument {
  _id: string;
  aggregateId: string;
  aggregateType: string;
  type: string;
  version: number;
  timestamp: Date;
  data: Record<string, unknown>;
  metadata: EventMetadata;
  position: number;
  published: boolean;
}

interface CounterDocument {
  _id: string;
  value: number;
}

interface SnapshotDocument {
  _id: string;
  aggregateId: string;
  aggregateType: string;
  version: number;
  state: unknown;
  takenAt: Date;
}

export async function ensureMongoIndexes(db: Db): Promise<void> {
  await db.collection('events').createIndex({ aggregateId: 1, version: 1 }, { unique: true, name: 'events_aggregate_version_unique' });
  await db.collection('events').createIndex({ position: 1 }, { name: 'events_position' });
  await db.collection('events').createIndex({ published: 1, position: 1 }, { name: 'events_unpublished' });
  await db.collection('snapshots').createIndex({ aggregateId: 1, version: -1 }, { name: 'snapshots_latest' });
}

/** Reserves `count` consecutive global positions; returns the first. */
export async function reserveGlobalPositions(db: Db, count: number): Promise<number> {
  const counter = await db
    .collection<CounterDocument>('counters')
    .findOneAndUpdate({ _id: 'events' }, { $inc: { value: count } }, { upsert: true, returnDocument: 'after' });
  if (!counter) throw new Error('Could not reserve event positions: the counters collection returned nothing');
  return counter.value - count + 1;
}

export function toEventDocument(event: DomainEvent, position: number, published: boolean): EventDocument {
  return {
    _id: event.eventId,
    aggregateId: event.aggregateId,
    aggregateType: event.aggregateType,
    type: event.type,
    version: event.version,
    timestamp: new Date(event.timestamp),
    data: event.data,
    metadata: event.metadata,
    position,
    published,
  };
}

export function fromEventDocument(doc: EventDocument): StoredEvent {
  return {
    eventId: doc._id,
    type: doc.type,
    aggregateId: doc.aggregateId,
    aggregateType: doc.aggregateType as AggregateType,
    version: doc.version,
    timestamp: doc.timestamp.toISOString(),
    data: doc.data,
    metadata: doc.metadata,
    globalPosition: String(doc.position),
  };
}

export class ReferenceMongoStore implements CommandEventStore {
  readonly kind = 'mongo' as const;

  constructor(
    private readonly db: Db,
    private readonly readBatchSize = 1000,
  ) {}

  private get events() {
    return this.db.collection<EventDocument>('events');
  }

  async *readStream(aggregateId: string, afterVersion: number): AsyncIterable<StoredEvent> {
    let after = afterVersion;
    for (;;) {
      const docs = await this.events
        .find({ aggregateId, version: { $gt: after } })
        .sort({ version: 1 })
        .limit(this.readBatchSize)
        .toArray();
      for (const doc of docs) yield fromEventDocument(doc);
      const last = docs[docs.length - 1];
      if (!last || docs.length < this.readBatchSize) return;
      after = last.version;
    }
  }

  async append(request: AppendRequest): Promise<void> {
    if (request.events.length === 0) return;
    const first = await reserveGlobalPositions(this.db, request.events.length);
    try {
      await this.events.insertMany(
        request.events.map((e, i) => toEventDocument(e, first + i, false)),
        { ordered: true },
      );
    } catch (err) {
      if (isMongoDuplicateKey(err)) throw new ConcurrencyConflictError(request.aggregateType, request.aggregateId, request.expectedVersion);
      throw err;
    }
    // Snapshots are a cache: written after the events, a lost one only costs a longer load.
    if (request.snapshot) await saveMongoSnapshot(this.db, request.snapshot);
  }

  async findEvent(eventId: string): Promise<StoredEvent | null> {
    const doc = await this.events.findOne({ _id: eventId });
    return doc ? fromEventDocument(doc) : null;
  }

  async latestSnapshot(aggregateId: string): Promise<Snapshot | null> {
    const [doc] = await this.db.collection<SnapshotDocument>('snapshots').find({ aggregateId }).sort({ version: -1 }).limit(1).toArray();
    return doc
      ? {
          aggregateId: doc.aggregateId,
          aggregateType: doc.aggregateType as AggregateType,
          version: doc.version,
          state: doc.state,
          takenAt: doc.takenAt.toISOString(),
        }
      : null;
  }
}

export async function saveMongoSnapshot(db: Db, snapshot: Snapshot): Promise<void> {
  await db.collection<SnapshotDocument>('snapshots').updateOne(
    { _id: `${snapshot.aggregateId}@${snapshot.version}` },
    {
      $setOnInsert: {
        aggregateId: snapshot.aggregateId,
        aggregateType: snapshot.aggregateType,
        version: snapshot.version,
        state: snapshot.state,
        takenAt: new Date(snapshot.takenAt),
      },
    },
    { upsert: true },
  );
}
