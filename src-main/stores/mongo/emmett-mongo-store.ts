import type { Db, Document, MongoClient } from 'mongodb';
import {
  MAX_PAGE_SIZE,
  StoreCapabilityError,
  clampLimit,
  decodeStreamCursor,
  encodeStreamCursor,
  type EventStore,
  type FeedPage,
  type HistogramResult,
  type LargestStream,
  type ListStreamsOptions,
  type ReadStreamOptions,
  type ReadStreamPage,
  type StoreCapabilities,
  type StreamPage,
  type StreamSummary,
} from '../event-store';
import { EMMETT_COLLECTION_PREFIX, compareNames, isRecord, isoOf, listStreamCollections, positionOf, streamTypeOf } from './emmett-mongo-layout';
import { toStoredEvent } from './emmett-mongo-messages';
import { StreamDocuments } from './emmett-mongo-stream-document';

export const EMMETT_MONGO_PRESET = 'emmett-mongo';

const NO_FEED =
  "Emmett's MongoDB layout keeps one document per stream and no global position: it has no global feed or live tail. Browse its events stream by stream on the Streams screen.";
const NO_TIMELINE = "Emmett's MongoDB event store records no per-event time: there is no timeline to chart.";

/** Only the stream-level fields: `messages` can hold millions of entries and `projections` whole read models. */
const SUMMARY_FIELDS = { streamName: 1, 'metadata.streamType': 1, 'metadata.streamPosition': 1, 'metadata.updatedAt': 1, 'metadata.createdAt': 1 };

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function summaryOf(doc: Document): StreamSummary {
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  const streamName = String(doc.streamName);
  // Emmett bumps metadata.streamPosition by the number of messages appended, so it is
  // the message count; FerretDB 1.x has no $size to count the array itself.
  const count = positionOf(metadata.streamPosition) ?? 0;
  return {
    streamId: streamName,
    category: typeof metadata.streamType === 'string' ? metadata.streamType : streamTypeOf(streamName),
    eventCount: count,
    lastVersion: count,
    lastActivity: isoOf(metadata.updatedAt) ?? isoOf(metadata.createdAt),
  };
}

/**
 * The EventStore port over Emmett's MongoDB layout, reading every `emt:` stream
 * collection of the database (one per stream type, or one shared collection).
 * Pages of one stream come from StreamDocuments (no `$slice` on FerretDB 1.24).
 */
export class EmmettMongoStore implements EventStore {
  private readonly documents: StreamDocuments;

  private constructor(
    private readonly db: Db,
    private readonly ownedClient?: MongoClient,
  ) {
    this.documents = new StreamDocuments(db);
  }

  /** Refuses a database without Emmett stream collections. */
  static async open(db: Db, ownedClient?: MongoClient): Promise<EmmettMongoStore> {
    if ((await listStreamCollections(db)).length === 0) {
      throw new StoreCapabilityError(
        `database ${db.databaseName} has no ${EMMETT_COLLECTION_PREFIX}<streamType> collections: it holds no Emmett MongoDB event store`,
      );
    }
    return new EmmettMongoStore(db, ownedClient);
  }

  describe(): StoreCapabilities {
    return {
      backend: 'mongo',
      preset: EMMETT_MONGO_PRESET,
      source: `${this.db.databaseName}.${EMMETT_COLLECTION_PREFIX}*`,
      hasGlobalPosition: false,
      hasCategory: true,
      hasCorrelation: false,
      hasCausation: false,
      hasEventId: true,
      hasTimestamp: false,
      supportsNotify: false,
      maxPageSize: MAX_PAGE_SIZE,
      firstVersion: 1,
    };
  }

  /**
   * Keyset pages over `streamName` (unique per collection): each collection is
   * asked for one page past the cursor, and the pages are merged.
   */
  async listStreams(options: ListStreamsOptions = {}): Promise<StreamPage> {
    const limit = clampLimit(options.limit);
    const conditions: Document[] = [];
    if (options.after !== undefined) conditions.push({ streamName: { $gt: decodeStreamCursor(options.after) } });
    if (options.category !== undefined) conditions.push({ 'metadata.streamType': options.category });
    if (options.idPrefix) conditions.push({ streamName: { $regex: `^${escapeRegex(options.idPrefix)}` } });
    if (options.search) conditions.push({ streamName: { $regex: escapeRegex(options.search), $options: 'i' } });
    const filter = conditions.length === 0 ? {} : conditions.length === 1 ? conditions[0]! : { $and: conditions };
    const names = await listStreamCollections(this.db);
    const pages = await Promise.all(
      names.map((name) =>
        this.db
          .collection(name)
          .find(filter, { projection: SUMMARY_FIELDS })
          .sort({ streamName: 1 })
          .limit(limit + 1)
          .toArray(),
      ),
    );
    const merged = pages
      .flat()
      .filter((doc) => typeof doc.streamName === 'string')
      .sort((a, b) => compareNames(a.streamName as string, b.streamName as string))
      // A stream name in two collections (storage changed over time) is listed once; reads find the emt:<type> one first.
      .filter((doc, i, all) => i === 0 || doc.streamName !== all[i - 1]!.streamName);
    const streams = merged.slice(0, limit).map(summaryOf);
    const last = streams[streams.length - 1];
    return { streams, nextCursor: merged.length > limit && last ? encodeStreamCursor(last.streamId) : null };
  }

  /**
   * Versions address the `messages` array: version n is its n-th entry (Emmett
   * numbers messages from 1 without gaps). Forward pages and backward pages after
   * the first touch the stream document once; the first backward page also counts it.
   */
  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<ReadStreamPage> {
    const limit = clampLimit(options.limit);
    const direction = options.direction ?? 'forward';
    const from = Math.max(1, Math.floor(options.fromVersion ?? 1));
    const empty = async (): Promise<ReadStreamPage> => {
      await this.documents.assertReadable(streamId);
      return { events: [], next: null };
    };
    if (direction === 'forward') {
      const to = options.toVersion === undefined ? Infinity : Math.floor(options.toVersion);
      if (to < from) return { events: [], next: null };
      const page = await this.documents.slice(streamId, from - 1, Math.min(limit + 1, to - from + 1));
      if (!page) return empty();
      const events = page.messages.slice(0, limit).map((m, i) => toStoredEvent(m, from - 1 + i, page.where));
      return { events, next: page.messages.length > limit ? { ...options, direction, limit, fromVersion: from + limit } : null };
    }
    if (options.toVersion !== undefined && Math.floor(options.toVersion) < from) return { events: [], next: null };
    let to = options.toVersion === undefined ? await this.documents.count(streamId) : Math.floor(options.toVersion);
    let start = Math.max(from, to - limit + 1);
    let page = to < from ? null : await this.documents.slice(streamId, start - 1, to - start + 1);
    if (options.toVersion !== undefined && (!page || page.messages.length < to - start + 1)) {
      // toVersion lies past the end: start from the last message instead of returning a short page.
      to = Math.min(to, await this.documents.count(streamId));
      start = Math.max(from, to - limit + 1);
      page = to < from ? null : await this.documents.slice(streamId, start - 1, to - start + 1);
    }
    if (!page) return empty();
    const where = page.where;
    const events = page.messages.map((m, i) => toStoredEvent(m, start - 1 + i, where)).reverse();
    return { events, next: start > from ? { ...options, direction, limit, toVersion: start - 1 } : null };
  }

  readFeed(): Promise<FeedPage> {
    return Promise.reject(new StoreCapabilityError(NO_FEED));
  }

  headPosition(): Promise<string | null> {
    return Promise.reject(new StoreCapabilityError(NO_FEED));
  }

  histogram(): Promise<HistogramResult> {
    return Promise.reject(new StoreCapabilityError(NO_TIMELINE));
  }

  /** Streams with the most messages, by metadata.streamPosition (numeric positions only). */
  async largestStreams(limit: number): Promise<LargestStream[]> {
    const n = Math.min(Math.max(1, Math.floor(limit)), 100);
    const names = await listStreamCollections(this.db);
    const pages = await Promise.all(
      names.map((name) =>
        this.db
          .collection(name)
          .find({ 'metadata.streamPosition': { $type: 'number' } }, { projection: SUMMARY_FIELDS })
          .sort({ 'metadata.streamPosition': -1 })
          .limit(n)
          .toArray(),
      ),
    );
    return pages
      .flat()
      .map(summaryOf)
      .sort((a, b) => b.eventCount - a.eventCount || compareNames(a.streamId, b.streamId))
      .slice(0, n)
      .map(({ streamId, category, eventCount }) => ({ streamId, category, eventCount }));
  }

  async close(): Promise<void> {
    if (this.ownedClient) await this.ownedClient.close();
  }
}
