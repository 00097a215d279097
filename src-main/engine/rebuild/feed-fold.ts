/**
 * Replays a store's feed in global order through a read-model folder, in batches:
 * only the events the definition handles are read (the store's type or category
 * filter, served by its indexes), pages are read one ahead while the previous batch
 * is folded and written, and each batch is handed to a sink that commits the rows
 * with the position reached.
 */
import type { EventStore, FeedCursor, ReadFeedOptions, StoredEventView } from '../../stores/event-store';
import type { Handles, ModelFolder, ModelRow, RowChanges } from './read-model';
import { keepHeapWithinBudget } from '../memory/heap-budget';

export type RebuildFeed = Pick<EventStore, 'readFeed' | 'headPosition' | 'watchTransactions' | 'openFeedCursor' | 'readFeedText'>;

export interface ShadowSink {
  load(keys: readonly string[]): Promise<Map<string, ModelRow>>;
  /** Writes the changes and the position reached, atomically where the target can. */
  commit(changes: RowChanges, position: string, events: number): Promise<void>;
}

export interface FoldProgress {
  position: string;
  horizon: string;
  /** Events folded by this run (not counting earlier runs). */
  events: number;
  eventsPerSecond: number;
  /** Seconds left at the current rate, when it can be told. */
  etaSeconds: number | null;
}

export interface FoldOptions {
  feed: RebuildFeed;
  handles: Handles;
  folder: ModelFolder;
  sink: ShadowSink;
  /** Exclusive start. */
  after: string;
  /** Inclusive end: events after it are left for the catch-up. */
  horizon: string;
  signal?: AbortSignal;
  /** Events per written batch. */
  batchEvents?: number;
  /** Connections reading the feed at once (default READERS). */
  readers?: number;
  /** Read the next batch while the current one is written (default true; off: one operation at a time). */
  prefetch?: boolean;
  /** Events counted by earlier runs (resume). */
  eventsBefore?: number;
  onProgress?(progress: FoldProgress): void;
}

/** Big batches: an account touched by many events of a batch is written once (fewer, larger upserts). */
export const DEFAULT_BATCH_EVENTS = 10_000;
const PAGE = 1000;
/** The first batch's size; each next one doubles up to the batch size. */
const FIRST_BATCH_EVENTS = 2_500;
/** Rows per fetch of a feed cursor (one round trip each). */
const CURSOR_FETCH = 1_000;
/** Connections reading the feed at once (sub-ranges of positions). */
const READERS = 3;

/** The store-side filter: one index-served condition; the exact OR of types and categories is checked in memory. */
export function feedFilter(handles: Handles): Pick<ReadFeedOptions, 'eventTypes' | 'category'> {
  if (handles.types?.length && !handles.categories?.length) return { eventTypes: handles.types };
  if (handles.categories?.length === 1 && !handles.types?.length) return { category: handles.categories[0]! };
  return {};
}

export function handlesEvent(handles: Handles, event: StoredEventView): boolean {
  if (handles.types?.includes(event.type)) return true;
  if (event.category !== null && handles.categories?.includes(event.category)) return true;
  return false;
}

export class RebuildCancelled extends Error {
  override readonly name = 'AbortError';
  constructor() {
    super('The rebuild was cancelled; resume it to continue from its last committed batch.');
  }
}

/** Where a run's time went (milliseconds; reading overlaps folding and writing). */
export interface FoldTimings {
  readMs: number;
  foldMs: number;
  writeMs: number;
  /** Folds run in worker threads (fold-workers.ts): their own time and heap. */
  workers?: { workers: number; parseMs: number; foldMs: number; encodeMs: number; heapPeakBytes: number };
}

/**
 * Folds (after, horizon]; returns the position reached (cancelling throws).
 * Reading runs ahead of folding and writing: the next batch is read while the
 * previous one is folded and committed (at most two batches in memory).
 */
export async function foldFeed(options: FoldOptions): Promise<{ position: string; events: number; timings: FoldTimings }> {
  const { feed, handles, folder, sink, signal } = options;
  const horizon = BigInt(options.horizon);
  const batchEvents = options.batchEvents ?? DEFAULT_BATCH_EVENTS;
  const filter = feedFilter(handles);
  const started = performance.now();
  const startPosition = BigInt(options.after);
  const timings: FoldTimings = { readMs: 0, foldMs: 0, writeMs: 0 };
  let position = startPosition;
  let events = 0;
  let total = options.eventsBefore ?? 0;

  /**
   * Reads the next batch: the next stretch of positions, split into `READERS`
   * sub-ranges read at once on separate connections (keyset pages within each),
   * joined in order. The stretch is sized from the density of handled events seen
   * so far; a sub-range that fills its share ends the batch there.
   */
  let readFrom = startPosition;
  let readDone = readFrom >= horizon;
  let density = 1; // handled events per position
  const readRange = async (from: bigint, to: bigint, cap: number): Promise<{ events: StoredEventView[]; end: bigint; full: boolean }> => {
    const out: StoredEventView[] = [];
    let after = from;
    for (;;) {
      const page = await feed.readFeed({ afterPosition: after.toString(), limit: PAGE, ...filter });
      for (const event of page.events) {
        const p = BigInt(event.position ?? '0');
        if (p > to) return { events: out, end: to, full: false };
        if (handlesEvent(handles, event)) out.push(event);
        after = p;
        if (out.length >= cap) return { events: out, end: p, full: p < to };
      }
      if (page.nextAfterPosition === null) return { events: out, end: to, full: false };
    }
  };
  // The first batches are small and grow to `batchEvents`: folding starts early and the
  // next read overlaps it (on a small store a single big batch would leave nothing to overlap).
  let batchTarget = Math.min(batchEvents, FIRST_BATCH_EVENTS);
  // A store whose positions no index serves is read by one ordered scan instead of pages.
  const cursor = readDone
    ? null
    : ((await feed.openFeedCursor?.({ afterPosition: readFrom.toString(), throughPosition: horizon.toString(), ...filter })) ?? null);
  const readFromCursor = async (open: FeedCursor, target: number): Promise<{ events: StoredEventView[]; end: bigint }> => {
    const batch: StoredEventView[] = [];
    let end = readFrom;
    while (batch.length < target) {
      const rows = await open.next(CURSOR_FETCH);
      for (const event of rows) {
        if (handlesEvent(handles, event)) batch.push(event);
        end = BigInt(event.position ?? '0');
      }
      if (rows.length < CURSOR_FETCH) {
        end = horizon;
        break;
      }
    }
    return { events: batch, end };
  };
  const readBatch = async (): Promise<{ events: StoredEventView[]; end: bigint }> => {
    const t = performance.now();
    const target = batchTarget;
    batchTarget = Math.min(batchEvents, batchTarget * 2);
    if (cursor) {
      const read = await readFromCursor(cursor, target);
      readFrom = read.end;
      readDone = read.end >= horizon;
      timings.readMs += performance.now() - t;
      return read;
    }
    const span = BigInt(Math.max(PAGE, Math.ceil(target / Math.max(density, 1e-4))));
    const stretchEnd = readFrom + span < horizon ? readFrom + span : horizon;
    const width = (stretchEnd - readFrom) / BigInt(options.readers ?? READERS) + 1n;
    const ranges: [bigint, bigint][] = [];
    for (let from = readFrom; from < stretchEnd; from += width) ranges.push([from, from + width < stretchEnd ? from + width : stretchEnd]);
    const cap = Math.ceil(target / ranges.length) + PAGE;
    const parts = await Promise.all(ranges.map(([from, to]) => readRange(from, to, cap)));
    const batch: StoredEventView[] = [];
    let end = readFrom;
    for (const part of parts) {
      batch.push(...part.events);
      end = part.end;
      if (part.full) break; // later sub-ranges are read again from here next time
    }
    if (end > readFrom) density = Math.max(batch.length / Number(end - readFrom), 1e-4);
    readFrom = end;
    readDone = end >= horizon;
    timings.readMs += performance.now() - t;
    return { events: batch, end };
  };

  let next = readDone ? undefined : readBatch();
  try {
    while (next) {
      const { events: batch, end } = await next;
      if (signal?.aborted) throw new RebuildCancelled();
      const prefetch = options.prefetch ?? true;
      next = readDone || !prefetch ? undefined : readBatch(); // read ahead while this batch is folded and written
      let t = performance.now();
      const keys = await folder.missingKeys(batch);
      timings.foldMs += performance.now() - t;
      t = performance.now();
      const loaded = await sink.load(keys);
      timings.writeMs += performance.now() - t;
      t = performance.now();
      const changes = await folder.apply(batch, loaded);
      timings.foldMs += performance.now() - t;
      t = performance.now();
      events += batch.length;
      total += batch.length;
      if (end > position) await sink.commit(changes, end.toString(), total);
      timings.writeMs += performance.now() - t;
      keepHeapWithinBudget(); // the batch just written is garbage now
      position = end;
      if (!next && !readDone) next = readBatch();
      const seconds = (performance.now() - started) / 1000;
      const positionsPerSecond = seconds > 0 ? Number(position - startPosition) / seconds : 0;
      options.onProgress?.({
        position: position.toString(),
        horizon: horizon.toString(),
        events,
        eventsPerSecond: seconds > 0 ? Math.round(events / seconds) : 0,
        etaSeconds: positionsPerSecond > 0 ? Math.round(Number(horizon - position) / positionsPerSecond) : null,
      });
    }
  } catch (err) {
    void next?.catch(() => undefined);
    throw err;
  } finally {
    // A read still running ends before its cursor closes; `next` is undefined once the feed is read.
    await next?.catch(() => undefined);
    await cursor?.close();
  }
  return { position: position.toString(), events, timings };
}

/**
 * The highest position below which nothing can still appear: the head, once every
 * transaction running when it was read has ended (a lower position still in flight
 * would otherwise be skipped). Without a transaction watch, waits `fallbackMs`.
 */
export async function settledHead(feed: Pick<RebuildFeed, 'headPosition' | 'watchTransactions'>, signal?: AbortSignal, fallbackMs = 1000): Promise<string> {
  const head = (await feed.headPosition()) ?? '0';
  const watch = (await feed.watchTransactions?.()) ?? null;
  const until = Date.now() + (watch ? 60 * 60_000 : fallbackMs);
  while (Date.now() < until) {
    if (signal?.aborted) throw new RebuildCancelled();
    if (watch && (await watch.ended())) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return head;
}
