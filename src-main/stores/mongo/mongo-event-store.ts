import { get } from './document-path';
import { MongoPositionRanges } from './mongo-position-ranges';
import type { PositionRanges } from '../position-ranges';
import { Binary, type Db, type Document, type Filter, type MongoClient } from 'mongodb';
import {
  MAX_PAGE_SIZE,
  type IndexAdvice,
  type HistogramOptions,
  type HistogramResult,
  type LargestStream,
  type StoreCounts,
  summariseHistogram,
  StoreCapabilityError,
  StoreInputError,
  checkPosition,
  clampLimit,
  readStreamPage,
  decodePayload,
  decodeStreamCursor,
  encodeStreamCursor,
  metadataString,
  parseInstant,
  type EventStore,
  type FeedPage,
  type ListStreamsOptions,
  type ReadFeedOptions,
  type ReadStreamOptions,
  type ReadStreamPage,
  type StoreCapabilities,
  type StoredEventView,
  type StreamPage,
} from '../event-store';

/**
 * Field names of a one-document-per-event collection. The default is the
 * reference system's `events` collection (src-main/reference/mongo/event-store.ts).
 */
export interface MongoEventMapping {
  preset: 'reference' | 'custom';
  collection: string;
  fields: {
    eventId: string;
    streamId: string;
    streamType?: string;
    version: string;
    position?: string;
    type: string;
    timestamp?: string;
    data: string;
    metadata?: string;
  };
  /** Keys of the metadata object holding correlation / causation ids. */
  metadataKeys?: { correlationId?: string; causationId?: string };
  /** Version of each stream's first event; 1 when omitted. */
  firstVersion?: 0 | 1;
}

export const REFERENCE_MONGO_MAPPING: MongoEventMapping = {
  preset: 'reference',
  collection: 'events',
  fields: {
    eventId: '_id',
    streamId: 'aggregateId',
    streamType: 'aggregateType',
    version: 'version',
    position: 'position',
    type: 'type',
    timestamp: 'timestamp',
    data: 'data',
    metadata: 'metadata',
  },
  metadataKeys: { correlationId: 'correlationId', causationId: 'causationId' },
};

/** Most documents a histogram scans; beyond it the result says it is partial. */
const HISTOGRAM_SCAN_CAP = 2_000_000;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function toIso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

/** BSON binary payloads become bytes, which decodePayload shows as JSON, text or hex. */
function raw(value: unknown): unknown {
  if (value instanceof Binary) return Buffer.from(value.buffer);
  return value ?? null;
}

/** Maps with at most `concurrency` calls in flight, keeping order. */
async function mapBounded<T, R>(items: T[], concurrency: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

export { get };

/** Positions are stored as numbers: a position past 2^53 cannot be compared exactly. */
function positionNumber(position: string): number {
  checkPosition(position, 'afterPosition');
  const n = Number(position);
  if (!Number.isSafeInteger(n)) throw new StoreInputError(`position ${position} is beyond what this MongoDB store can compare exactly (2^53)`);
  return n;
}

/**
 * The EventStore port over a MongoDB / FerretDB collection with one document per
 * event. Uses only find/sort/limit and a $match/$group/$sort/$limit aggregation,
 * which FerretDB 1.x supports; no transactions, no change streams (tail by polling).
 */
/** How long counting a store's events and streams may take before the estimate is shown instead. */
const COUNT_BUDGET_MS = 5000;

export class MongoEventStore implements EventStore {
  constructor(
    private readonly db: Db,
    readonly mapping: MongoEventMapping = REFERENCE_MONGO_MAPPING,
    private readonly ownedClient?: MongoClient,
  ) {}

  private get collection() {
    return this.db.collection(this.mapping.collection);
  }

  describe(): StoreCapabilities {
    const f = this.mapping.fields;
    return {
      backend: 'mongo',
      preset: this.mapping.preset,
      source: `${this.db.databaseName}.${this.mapping.collection}`,
      hasGlobalPosition: f.position !== undefined,
      hasCategory: f.streamType !== undefined,
      hasCorrelation: this.mapping.metadataKeys?.correlationId !== undefined,
      hasCausation: this.mapping.metadataKeys?.causationId !== undefined,
      hasEventId: true,
      hasTimestamp: f.timestamp !== undefined,
      supportsNotify: false,
      maxPageSize: MAX_PAGE_SIZE,
      firstVersion: this.mapping.firstVersion ?? 1,
    };
  }

  private toEvent(doc: Document): StoredEventView {
    const f = this.mapping.fields;
    const metadata = decodePayload(raw(get(doc, f.metadata)));
    const event: StoredEventView = {
      streamId: String(get(doc, f.streamId)),
      category: f.streamType ? ((get(doc, f.streamType) as string | undefined) ?? null) : null,
      version: Number(get(doc, f.version)),
      eventId: get(doc, f.eventId) === undefined ? null : String(get(doc, f.eventId)),
      type: String(get(doc, f.type)),
      timestamp: toIso(get(doc, f.timestamp)),
      data: decodePayload(raw(get(doc, f.data))),
      metadata,
    };
    const position = get(doc, f.position);
    if (position !== undefined && position !== null) event.position = String(position);
    const correlationId = metadataString(metadata, this.mapping.metadataKeys?.correlationId);
    const causationId = metadataString(metadata, this.mapping.metadataKeys?.causationId);
    if (correlationId !== undefined) event.correlationId = correlationId;
    if (causationId !== undefined) event.causationId = causationId;
    return event;
  }

  async listStreams(options: ListStreamsOptions = {}): Promise<StreamPage> {
    const f = this.mapping.fields;
    const limit = clampLimit(options.limit);
    const conditions: Document[] = [];
    if (options.after !== undefined) conditions.push({ [f.streamId]: { $gt: decodeStreamCursor(options.after) } });
    if (options.category !== undefined) {
      if (!f.streamType) throw new StoreCapabilityError('this store has no stream type to filter on');
      conditions.push({ [f.streamType]: options.category });
    }
    if (options.idPrefix) conditions.push({ [f.streamId]: { $regex: `^${escapeRegex(options.idPrefix)}` } });
    if (options.search) conditions.push({ [f.streamId]: { $regex: escapeRegex(options.search), $options: 'i' } });
    const match = conditions.length === 0 ? {} : conditions.length === 1 ? conditions[0]! : { $and: conditions };
    // FerretDB 1.x implements only $count/$sum in $group: count per stream there, then
    // fetch each listed stream's latest event through the (streamId, version) index.
    const rows = await this.collection
      .aggregate([{ $match: match }, { $group: { _id: `$${f.streamId}`, eventCount: { $sum: 1 } } }, { $sort: { _id: 1 } }, { $limit: limit + 1 }])
      .toArray();
    const page = rows.slice(0, limit);
    const latest = await mapBounded(page, 16, async (r) => {
      const [doc] = await this.collection
        .find({ [f.streamId]: r._id })
        .sort({ [f.version]: -1 })
        .limit(1)
        .toArray();
      return doc;
    });
    const streams = page.map((r, i) => {
      const doc = latest[i];
      return {
        streamId: String(r._id),
        category: doc && f.streamType ? ((get(doc, f.streamType) as string | undefined) ?? null) : null,
        eventCount: Number(r.eventCount),
        lastVersion: doc ? Number(get(doc, f.version)) : 0,
        lastActivity: doc ? toIso(get(doc, f.timestamp)) : null,
      };
    });
    const last = streams[streams.length - 1];
    return { streams, nextCursor: rows.length > limit && last ? encodeStreamCursor(last.streamId) : null };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<ReadStreamPage> {
    const f = this.mapping.fields;
    const limit = clampLimit(options.limit);
    const direction = options.direction ?? 'forward';
    const range: Document = {};
    if (options.fromVersion !== undefined) range.$gte = Math.floor(options.fromVersion);
    if (options.toVersion !== undefined) range.$lte = Math.floor(options.toVersion);
    const filter: Filter<Document> = { [f.streamId]: streamId };
    if (Object.keys(range).length > 0) filter[f.version] = range;
    const docs = await this.collection
      .find(filter)
      .sort({ [f.version]: direction === 'forward' ? 1 : -1 })
      .limit(limit + 1)
      .toArray();
    const events = docs.slice(0, limit).map((d) => this.toEvent(d));
    return readStreamPage(events, docs.length > limit, options, direction, limit);
  }

  /** The events of many streams in one query, in stream and version order, at most `limit` (`complete` false when there are more). */
  async readManyStreams(streamIds: readonly string[], options: { limit: number }): Promise<{ events: StoredEventView[]; complete: boolean }> {
    const f = this.mapping.fields;
    if (streamIds.length === 0) return { events: [], complete: true };
    const docs = await this.collection
      .find({ [f.streamId]: { $in: [...streamIds] } })
      .sort({ [f.streamId]: 1, [f.version]: 1 })
      .limit(options.limit + 1)
      .toArray();
    return { events: docs.slice(0, options.limit).map((d) => this.toEvent(d)), complete: docs.length <= options.limit };
  }

  async readFeed(options: ReadFeedOptions = {}): Promise<FeedPage> {
    const f = this.mapping.fields;
    if (!f.position) throw new StoreCapabilityError(`${this.mapping.collection} has no global position field: there is no global feed`);
    const limit = clampLimit(options.limit);
    const conditions: Document[] = [];
    if (options.afterPosition !== undefined) conditions.push({ [f.position]: { $gt: positionNumber(options.afterPosition) } });
    else conditions.push({ [f.position]: { $exists: true } });
    if (options.eventTypes && options.eventTypes.length > 0) conditions.push({ [f.type]: { $in: options.eventTypes } });
    if (options.category !== undefined) {
      if (!f.streamType) throw new StoreCapabilityError('this store has no stream type to filter on');
      conditions.push({ [f.streamType]: options.category });
    }
    if (options.from !== undefined || options.to !== undefined) {
      if (!f.timestamp) throw new StoreCapabilityError('this store has no timestamp to filter on');
      const range: Document = {};
      if (options.from !== undefined) range.$gte = parseInstant(options.from, 'from');
      if (options.to !== undefined) range.$lt = parseInstant(options.to, 'to');
      conditions.push({ [f.timestamp]: range });
    }
    const filtered = this.fieldFilters(options);
    for (const { field, condition } of filtered) conditions.push({ [field]: condition });
    const filter = conditions.length === 1 ? conditions[0]! : { $and: conditions };
    const advice = filtered.length ? await this.indexAdvice(filtered) : [];
    const docs = await this.collection
      .find(filter)
      .sort({ [f.position]: 1 })
      .limit(limit + 1)
      .toArray();
    const events = docs.slice(0, limit).map((d) => this.toEvent(d));
    const last = events[events.length - 1];
    return {
      events,
      nextAfterPosition: docs.length > limit && last?.position !== undefined ? last.position : null,
      ...(advice.length ? { advice } : {}),
    };
  }

  /** Correlation, causation and payload-field conditions as dotted field paths. */
  private fieldFilters(options: ReadFeedOptions): { field: string; condition: unknown; equality: boolean; label: string }[] {
    const f = this.mapping.fields;
    const keys = this.mapping.metadataKeys;
    const out: { field: string; condition: unknown; equality: boolean; label: string }[] = [];
    const byKey = (value: string | undefined, key: string | undefined, label: string) => {
      if (value === undefined) return;
      if (!key || !f.metadata) throw new StoreCapabilityError(`this store records no ${label}`);
      out.push({ field: `${f.metadata}.${key}`, condition: value, equality: true, label });
    };
    byKey(options.correlationId, keys?.correlationId, 'correlation id');
    byKey(options.causationId, keys?.causationId, 'causation id');
    if (options.field) {
      const root = options.field.in === 'data' ? f.data : f.metadata;
      if (!root) throw new StoreCapabilityError(`this store has no ${options.field.in} field`);
      const path = options.field.path;
      if (path.length === 0 || path.some((p) => p === '' || p.includes('.') || p.startsWith('$'))) {
        throw new StoreInputError('field path segments must be non-empty, without "." and not starting with "$"');
      }
      const escaped = escapeRegex(options.field.value);
      out.push({
        field: `${root}.${path.join('.')}`,
        condition: options.field.op === 'equals' ? options.field.value : { $regex: escaped, $options: 'i' },
        equality: options.field.op === 'equals',
        label: `${options.field.in}.${path.join('.')}`,
      });
    }
    return out;
  }

  private async indexAdvice(filters: { field: string; equality: boolean; label: string }[]): Promise<IndexAdvice[]> {
    const indexes = await this.collection.listIndexes().toArray();
    const position = this.mapping.fields.position;
    const advice: IndexAdvice[] = [];
    for (const filter of filters) {
      if (indexes.some((index) => Object.keys(index.key as Document).includes(filter.field))) continue;
      if (!filter.equality) {
        advice.push({
          message: `Filtering on ${filter.label} by substring scans ${this.mapping.collection}; narrow it with a type, category or time range on large stores.`,
        });
        continue;
      }
      const keys = position ? `{ "${filter.field}": 1, "${position}": 1 }` : `{ "${filter.field}": 1 }`;
      advice.push({
        message: `No index on ${this.mapping.collection} serves the ${filter.label} filter: this read scans the collection in position order until it fills a page.`,
        ddl: `db.${this.mapping.collection}.createIndex(${keys})`,
      });
    }
    return advice;
  }

  /**
   * FerretDB has no date bucketing in aggregation, so the range is scanned with
   * a cursor (timestamp and type only) and bucketed here, up to a cap.
   */
  async histogram(options: HistogramOptions): Promise<HistogramResult> {
    const f = this.mapping.fields;
    if (!f.timestamp) throw new StoreCapabilityError('this store has no timestamp: there is no timeline');
    const filter: Document = { [f.timestamp]: { $gte: parseInstant(options.from, 'from'), $lt: parseInstant(options.to, 'to') } };
    if (options.eventTypes?.length) filter[f.type] = { $in: options.eventTypes };
    const unit = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[options.bucket];
    const counts = new Map<string, number>();
    let scanned = 0;
    const cursor = this.collection.find(filter, { projection: { [f.timestamp]: 1, [f.type]: 1 }, batchSize: 5000 });
    for await (const doc of cursor) {
      if (scanned >= HISTOGRAM_SCAN_CAP) break;
      scanned += 1;
      const at = get(doc, f.timestamp);
      const time = at instanceof Date ? at.getTime() : Date.parse(String(at));
      if (Number.isNaN(time)) continue;
      const key = `${new Date(Math.floor(time / unit) * unit).toISOString().replace('.000Z', 'Z')}\u0000${String(get(doc, f.type))}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    await cursor.close();
    const buckets = [...counts.entries()].map(([key, count]) => {
      const [at = '', type = ''] = key.split('\u0000');
      return { at, type, count };
    });
    return summariseHistogram(buckets, scanned >= HISTOGRAM_SCAN_CAP);
  }

  async largestStreams(limit: number): Promise<LargestStream[]> {
    const f = this.mapping.fields;
    const rows = await this.collection
      .aggregate<{ _id: unknown; n: number }>([
        { $group: { _id: `$${f.streamId}`, n: { $sum: 1 } } },
        { $sort: { n: -1 } },
        { $limit: Math.min(Math.max(1, limit), 100) },
      ])
      .toArray();
    const out: LargestStream[] = [];
    for (const row of rows) {
      const streamId = String(row._id);
      const [sample] = f.streamType
        ? await this.collection
            .find({ [f.streamId]: row._id }, { projection: { [f.streamType]: 1 } })
            .limit(1)
            .toArray()
        : [];
      const category = sample && f.streamType ? get(sample, f.streamType) : undefined;
      out.push({ streamId, category: category === undefined || category === null ? null : String(category), eventCount: row.n });
    }
    return out;
  }

  positionRanges(): PositionRanges | null {
    const f = this.mapping.fields;
    return f.position
      ? new MongoPositionRanges(this.collection, {
          position: f.position,
          streamId: f.streamId,
          type: f.type,
          ...(f.timestamp ? { timestamp: f.timestamp } : {}),
        })
      : null;
  }

  async headPosition(): Promise<string | null> {
    const f = this.mapping.fields;
    if (!f.position) throw new StoreCapabilityError(`${this.mapping.collection} has no global position field`);
    const [doc] = await this.collection
      .find({ [f.position]: { $exists: true } }, { projection: { [f.position]: 1 } })
      .sort({ [f.position]: -1 })
      .limit(1)
      .toArray();
    const value = doc ? get(doc, f.position) : undefined;
    return value === undefined || value === null ? null : String(value);
  }

  /** Events and streams counted within COUNT_BUDGET_MS; past it the collection's document count (its metadata) as an estimate. */
  async counts(): Promise<StoreCounts> {
    const f = this.mapping.fields;
    try {
      const [events, [streams]] = await Promise.all([
        this.collection.countDocuments({}, { maxTimeMS: COUNT_BUDGET_MS }),
        this.collection.aggregate<{ n: number }>([{ $group: { _id: `$${f.streamId}` } }, { $count: 'n' }], { maxTimeMS: COUNT_BUDGET_MS }).toArray(),
      ]);
      return { events: { count: events, exact: true }, streams: { count: streams?.n ?? 0, exact: true } };
    } catch (err) {
      if ((err as { code?: number }).code !== 50) throw err; // MaxTimeMSExpired: the budget ran out
      return { events: { count: await this.collection.estimatedDocumentCount(), exact: false }, streams: null };
    }
  }

  async close(): Promise<void> {
    if (this.ownedClient) await this.ownedClient.close();
  }
}

export interface MongoPresetProposal {
  mapping: MongoEventMapping;
  confidence: number;
  evidence: string[];
  missing: string[];
}

/**
 * Proposes the reference mapping when the database has an `events` collection
 * whose documents carry its fields (checked on one sampled document).
 */
export async function detectMongoPresets(db: Db): Promise<MongoPresetProposal[]> {
  const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
  const mapping = REFERENCE_MONGO_MAPPING;
  if (!names.includes(mapping.collection)) return [];
  const sample = await db.collection(mapping.collection).find({}).limit(1).toArray();
  const doc = sample[0];
  const evidence = [`collection ${db.databaseName}.${mapping.collection} exists`];
  const missing: string[] = [];
  if (!doc) return [{ mapping, confidence: 0.3, evidence: [...evidence, 'collection is empty: fields not confirmed'], missing }];
  const fields = Object.values(mapping.fields).filter((v): v is string => typeof v === 'string');
  const found = fields.filter((name) => get(doc, name) !== undefined);
  for (const name of fields) if (!found.includes(name)) missing.push(`field ${name}`);
  evidence.push(`sampled document has fields ${found.join(', ')}`);
  for (const companion of ['counters', 'snapshots', 'checkpoints']) if (names.includes(companion)) evidence.push(`companion collection ${companion} present`);
  const confidence = Math.round((found.length / fields.length) * 100) / 100;
  return confidence >= 0.5 ? [{ mapping, confidence, evidence, missing }] : [];
}
