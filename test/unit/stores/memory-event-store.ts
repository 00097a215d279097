/**
 * The EventStore port over arrays, for unit tests. It pages as the real adapters
 * do (keyset cursors, backward pages continuing below the last version read)
 * and runs the same contract (memory-event-store.test.ts), so a unit test that
 * passes on it does not rely on behaviour the real stores lack.
 */
import {
  StoreCapabilityError,
  checkPosition,
  clampLimit,
  readStreamPage,
  decodeStreamCursor,
  encodeStreamCursor,
  parseInstant,
  summariseHistogram,
  type EventStore,
  type FeedPage,
  type HistogramOptions,
  type HistogramResult,
  type LargestStream,
  type ListStreamsOptions,
  type ReadFeedOptions,
  type ReadStreamOptions,
  type ReadStreamPage,
  type StoreCapabilities,
  type StoredEventView,
  type StreamPage,
} from '../../../src-main/stores/event-store';

export class MemoryEventStore implements EventStore {
  /** stream id -> its events in version order. */
  readonly streams = new Map<string, StoredEventView[]>();
  /** Version of each stream's first event (0 as in Message DB, 1 as in most stores). */
  firstVersion = 1;

  /** Appends events (each to its stream, kept in version order). */
  add(...events: StoredEventView[]): this {
    for (const e of events) {
      const stream = this.streams.get(e.streamId) ?? [];
      stream.push(e);
      stream.sort((a, b) => a.version - b.version);
      this.streams.set(e.streamId, stream);
    }
    return this;
  }

  describe(): StoreCapabilities {
    return {
      backend: 'postgres',
      preset: 'memory',
      source: 'memory',
      hasGlobalPosition: true,
      hasCategory: true,
      hasCorrelation: true,
      hasCausation: true,
      hasEventId: true,
      hasTimestamp: true,
      supportsNotify: false,
      maxPageSize: 1000,
      firstVersion: this.firstVersion,
    };
  }

  async listStreams(options: ListStreamsOptions = {}): Promise<StreamPage> {
    const limit = clampLimit(options.limit);
    const after = options.after !== undefined ? decodeStreamCursor(options.after) : undefined;
    const search = options.search?.toLowerCase();
    const ids = [...this.streams.keys()]
      .sort()
      .filter(
        (id) =>
          (after === undefined || id > after) &&
          (options.idPrefix === undefined || id.startsWith(options.idPrefix)) &&
          (search === undefined || id.toLowerCase().includes(search)),
      )
      .filter((id) => options.category === undefined || this.streams.get(id)![0]?.category === options.category);
    const page = ids.slice(0, limit);
    return {
      streams: page.map((id) => {
        const events = this.streams.get(id)!;
        const last = events[events.length - 1]!;
        return { streamId: id, category: events[0]!.category, eventCount: events.length, lastVersion: last.version, lastActivity: last.timestamp };
      }),
      nextCursor: ids.length > limit ? encodeStreamCursor(page[page.length - 1]!) : null,
    };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<ReadStreamPage> {
    const limit = clampLimit(options.limit);
    const direction = options.direction ?? 'forward';
    const all = (this.streams.get(streamId) ?? []).filter(
      (e) => (options.fromVersion === undefined || e.version >= options.fromVersion) && (options.toVersion === undefined || e.version <= options.toVersion),
    );
    if (direction === 'backward') all.reverse();
    return readStreamPage(all.slice(0, limit), all.length > limit, options, direction, limit);
  }

  async readFeed(options: ReadFeedOptions = {}): Promise<FeedPage> {
    const limit = clampLimit(options.limit);
    const after = options.afterPosition !== undefined ? BigInt(checkPosition(options.afterPosition, 'afterPosition')) : undefined;
    const from = options.from !== undefined ? parseInstant(options.from, 'from').getTime() : undefined;
    const to = options.to !== undefined ? parseInstant(options.to, 'to').getTime() : undefined;
    const at = (e: StoredEventView) => (e.timestamp === null ? NaN : Date.parse(e.timestamp));
    const matching = this.allEvents().filter(
      (e) =>
        (after === undefined || BigInt(e.position!) > after) &&
        (options.eventTypes === undefined || options.eventTypes.includes(e.type)) &&
        (options.category === undefined || e.category === options.category) &&
        (from === undefined || at(e) >= from) &&
        (to === undefined || at(e) < to) &&
        (options.correlationId === undefined || e.correlationId === options.correlationId) &&
        (options.causationId === undefined || e.causationId === options.causationId),
    );
    if (options.field) throw new StoreCapabilityError('the in-memory store does not filter on payload fields');
    const events = matching.slice(0, limit);
    return { events, nextAfterPosition: matching.length > limit ? (events[events.length - 1]?.position ?? null) : null };
  }

  async headPosition(): Promise<string | null> {
    const all = this.allEvents();
    return all[all.length - 1]?.position ?? null;
  }

  async histogram(options: HistogramOptions): Promise<HistogramResult> {
    const from = parseInstant(options.from, 'from').getTime();
    const to = parseInstant(options.to, 'to').getTime();
    const size = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[options.bucket];
    const counts = new Map<string, { at: string; type: string; count: number }>();
    for (const e of this.allEvents()) {
      const t = e.timestamp === null ? NaN : Date.parse(e.timestamp);
      if (!(t >= from && t < to) || (options.eventTypes && !options.eventTypes.includes(e.type))) continue;
      const at = new Date(Math.floor(t / size) * size).toISOString();
      const key = `${at}|${e.type}`;
      const bucket = counts.get(key) ?? { at, type: e.type, count: 0 };
      bucket.count += 1;
      counts.set(key, bucket);
    }
    return summariseHistogram([...counts.values()], false);
  }

  async largestStreams(limit: number): Promise<LargestStream[]> {
    return [...this.streams.entries()]
      .map(([streamId, events]) => ({ streamId, category: events[0]?.category ?? null, eventCount: events.length }))
      .sort((a, b) => b.eventCount - a.eventCount || a.streamId.localeCompare(b.streamId))
      .slice(0, limit);
  }

  async close(): Promise<void> {}

  /** Every event in global order (events without a position come last, in stream order). */
  private allEvents(): StoredEventView[] {
    return [...this.streams.values()].flat().sort((a, b) => {
      const pa = a.position === undefined ? undefined : BigInt(a.position);
      const pb = b.position === undefined ? undefined : BigInt(b.position);
      if (pa === undefined || pb === undefined) return pa === pb ? 0 : pa === undefined ? 1 : -1;
      return pa < pb ? -1 : pa > pb ? 1 : 0;
    });
  }
}
