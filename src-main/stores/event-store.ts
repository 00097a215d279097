/**
 * The `EventStore` port: a read-only view of an existing event store, whatever its
 * schema. Adapters (postgres/, mongo/) map a concrete schema onto it.
 *
 * Conventions:
 * - every list is a keyset page: the caller passes back the cursor / position it
 *   was given, never an offset;
 * - global positions are decimal strings (64-bit safe);
 * - `limit` is clamped to [1, MAX_PAGE_SIZE].
 */
import type { PositionRanges } from './position-ranges';

export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 100;

/** Clamps a requested page size into [1, MAX_PAGE_SIZE]. */
export function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(limit)));
}

export interface StoreCapabilities {
  /** 'postgres' or 'mongo'. */
  backend: 'postgres' | 'mongo';
  /** Preset name ('classic', 'marten', ...) or 'custom'. */
  preset: string;
  /** Human-readable location, e.g. `"public"."mt_events"`. */
  source: string;
  /** A store-wide order exists: `readFeed` and `headPosition` work. */
  hasGlobalPosition: boolean;
  /** Events carry a stream type / category. */
  hasCategory: boolean;
  hasCorrelation: boolean;
  hasCausation: boolean;
  hasEventId: boolean;
  hasTimestamp: boolean;
  /** The backend can push notifications (LISTEN/NOTIFY, change streams); otherwise tail by polling. */
  supportsNotify: boolean;
  /** Largest page a single call returns. */
  maxPageSize: number;
  /** Version of a stream's first event: 1 for most stores, 0 where positions start at 0 (Message DB). */
  firstVersion: number;
}

/** Event payloads that are not JSON are shown as text (valid UTF-8) or hex. */
export type EventPayload = unknown;

export interface StoredEventView {
  streamId: string;
  /** Stream type / category, when the store has one. */
  category: string | null;
  /** Position within the stream. */
  version: number;
  /** Global position (decimal string), when the store has a global order. */
  position?: string;
  eventId: string | null;
  type: string;
  /** ISO-8601 instant (or the store's own string when it keeps text). */
  timestamp: string | null;
  /** Parsed JSON, or `{ text }` / `{ hex }` for payloads that are not JSON. */
  data: EventPayload;
  metadata: EventPayload;
  correlationId?: string;
  causationId?: string;
  /** Payloads left out of this read because they exceed `payloadLimit` (sizes in bytes of their JSON text). */
  omitted?: { data?: number; metadata?: number };
}

/**
 * Browse reads leave out payloads above this size (a 10 MB event would freeze a
 * list and the window); export and time travel read them in full.
 */
export const BROWSE_PAYLOAD_LIMIT = 1_048_576;

/** Options every read of events takes. */
export interface PayloadOptions {
  /** Leave out a data or metadata payload whose JSON text exceeds this many bytes (replaced by null, sizes in `omitted`). */
  payloadLimit?: number;
}

export interface ListStreamsOptions {
  /** Exact stream type / category. */
  category?: string;
  /** Stream ids starting with this prefix. */
  idPrefix?: string;
  /** Stream ids containing this text (case-insensitive). */
  search?: string;
  /** Cursor from a previous page's `nextCursor`. */
  after?: string;
  limit?: number;
}

export interface StreamSummary {
  streamId: string;
  category: string | null;
  /**
   * Events in the stream. PostgreSQL adapters take it from the first and last
   * versions (streams are gapless under optimistic concurrency), so a page of
   * streams costs index probes, not a count over a million-event stream.
   */
  eventCount: number;
  lastVersion: number;
  /** ISO-8601 timestamp of the stream's latest event (null when the store has no timestamps). */
  lastActivity: string | null;
}

export interface StreamPage {
  streams: StreamSummary[];
  /** Pass as `after` to get the next page; null on the last page. */
  nextCursor: string | null;
  /** Filters no index serves (the listing scans), with the DDL that would. */
  advice?: IndexAdvice[];
  /** The scan was stopped after this many ms without filling a page (see `advice`). */
  stoppedAfterMs?: number;
}

export interface ReadStreamOptions extends PayloadOptions {
  /** Inclusive lower bound. */
  fromVersion?: number;
  /** Inclusive upper bound. */
  toVersion?: number;
  direction?: 'forward' | 'backward';
  limit?: number;
}

export interface ReadStreamPage {
  events: StoredEventView[];
  /** The options that read the next page; null when there is none. */
  next: ReadStreamOptions | null;
}

/** A `readStream` page of `events` (read in `direction` order); when `more` follow, the options that read on past the last of them. */
export function readStreamPage(
  events: StoredEventView[],
  more: boolean,
  options: ReadStreamOptions,
  direction: 'forward' | 'backward',
  limit: number,
): ReadStreamPage {
  const last = events[events.length - 1];
  if (!more || !last) return { events, next: null };
  return {
    events,
    next:
      direction === 'forward' ? { ...options, direction, limit, fromVersion: last.version + 1 } : { ...options, direction, limit, toVersion: last.version - 1 },
  };
}

export interface ReadFeedOptions extends PayloadOptions {
  /** Exclusive lower bound (decimal string). */
  afterPosition?: string;
  eventTypes?: string[];
  category?: string;
  /** Inclusive lower bound on the timestamp (ISO-8601). */
  from?: string;
  /** Exclusive upper bound on the timestamp (ISO-8601). */
  to?: string;
  /** Events sharing this correlation id (across streams). */
  correlationId?: string;
  /** Events caused by the event with this id. */
  causationId?: string;
  /** A field of the payload or metadata, e.g. `{in: 'data', path: ['customer', 'email'], op: 'equals', value: 'x'}`. */
  field?: JsonFieldFilter;
  limit?: number;
}

/** A range of the feed read by one ordered scan (see `EventStore.openFeedCursor`). */
export interface FeedCursorOptions {
  /** Exclusive start (decimal string). */
  afterPosition: string;
  /** Inclusive end (decimal string). */
  throughPosition: string;
  eventTypes?: string[];
  category?: string;
}

/** Events in position order, fetched as they are asked for; close it however the read ends. */
export interface FeedCursor {
  /** Up to `count` next events; fewer means the range is read. */
  next(count: number): Promise<StoredEventView[]>;
  close(): Promise<void>;
}

/** A range of the feed as JSON text, split by stream (see `EventStore.readFeedText`). */
export interface FeedTextOptions {
  /** Exclusive start (decimal string). */
  afterPosition: string;
  /** Inclusive end (decimal string). */
  throughPosition: string;
  /** Most events read; the range ends at the last one read when it fills. */
  limit: number;
  /** Events of these types OR these categories (none given: every event). */
  eventTypes?: string[];
  categories?: string[];
  /** Parts the events are split into by a hash of their stream id: a stream's events all go to the same part. */
  parts: number;
}

export interface FeedTextPage {
  /**
   * Per part (index = part), a JSON array of events in position order, each
   * `{streamId, category, version, type, data, metadata, timestamp, position, eventId,
   * correlationId, causationId}` (position a decimal string; absent ids null).
   */
  parts: string[];
  /** Events in each part. */
  counts: number[];
  /** The last position read: `throughPosition` when the range was read to its end. */
  end: string;
  /** Metadata keys holding the correlation / causation ids (the events' fields are null then: the reader fills them in). */
  metadataKeys?: ReplayMetadataKeys;
}

export interface JsonFieldFilter {
  in: 'data' | 'metadata';
  path: string[];
  op: 'equals' | 'contains';
  value: string;
}

/** Said when a filter has no index to use: the read still runs, and the DDL that would fix it is shown. */
export interface IndexAdvice {
  message: string;
  ddl?: string;
}

export interface FeedPage {
  events: StoredEventView[];
  /** Pass as `afterPosition` to get the next page; null when this page was the last one. */
  nextAfterPosition: string | null;
  advice?: IndexAdvice[];
}

export interface HistogramOptions {
  from: string;
  to: string;
  bucket: 'minute' | 'hour' | 'day';
  eventTypes?: string[];
}

export interface HistogramResult {
  buckets: { at: string; type: string; count: number }[];
  types: string[];
  truncated: boolean;
}

export interface LargestStream {
  streamId: string;
  category: string | null;
  eventCount: number;
}

/** Metadata keys the sandbox reads a null correlation / causation id from (strings and numbers, as metadataString). */
export interface ReplayMetadataKeys {
  correlationId?: string;
  causationId?: string;
}

/** A batch whose tuples are already JSON text (`events` is a JSON array of tuples, '[]' when empty). */
export interface EncodedTuples {
  streamId: string;
  category: string | null;
  events: string;
  metadataKeys?: ReplayMetadataKeys;
}

/**
 * A page of one stream already encoded for the sandbox by the database itself: `events`
 * is a JSON array of tuples in the replay wire format (stores/replay-wire.ts,
 * REPLAY_TUPLE), which `encodedBatch` turns into a batch. Replays of long streams then cost
 * the host no JSON parsing at all.
 */
export interface ReplayPage extends EncodedTuples {
  /** Versions and types of the events in `events` (those of the requested types). */
  versions: number[];
  types: string[];
  /** Rows the range held, encoded or not. */
  read: number;
  /** The last row of the range, encoded or not: the version a replay has reached after this page. */
  last: { version: number; type: string; timestamp: string | null } | null;
}

/** Rows per replay page: bigger than a browse page, the host only forwards the text. */
export const REPLAY_PAGE_SIZE = 5000;

/** One replay page: an inclusive version range of one stream. */
export interface ReplayRange {
  fromVersion: number;
  toVersion?: number;
  /** At most this many rows (≤ REPLAY_PAGE_SIZE). */
  limit: number;
  /**
   * Encode only events of these types (the ones a definition handles): the others are
   * still counted and reported in `last`, so the version reached stays right, but their
   * payloads are neither output by the database nor parsed by the sandbox. All types when absent.
   */
  types?: readonly string[];
}

/** A whole version range of one stream, read as replay pages of every type by `streamReplayPages`. */
export interface StreamReplayRange {
  fromVersion: number;
  toVersion: number;
  /** Tuples per page (≤ REPLAY_PAGE_SIZE). */
  pageSize: number;
  /** Pages read ahead of the caller before the read waits for it (4 by default). */
  readAhead?: number;
  /** Types a definition handles: rows of the others are counted, never shipped. All when absent. */
  types?: readonly string[];
  /** Stops the read (a copy waiting on the server included): the pages end with an AbortError. */
  signal?: AbortSignal | undefined;
}

/** A page of `streamReplayPages`: `count` tuples in `events` of the `read` rows (the others of types not shipped), the last row's version, type and time. */
export interface StreamedReplayPage extends EncodedTuples {
  count: number;
  read: number;
  last: { version: number; type: string; timestamp: string | null };
}

/** A live subscription to the store's own append notifications (PostgreSQL LISTEN). */
export interface AppendSignal {
  /** The channel listened to. */
  channel: string;
  /** Resolves after `ms`, or earlier when the store notifies an append (or the signal aborts). */
  wait(ms: number, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** The transactions that could still fill a hole in the positions, as they were when it was first seen. */
export interface TransactionWatch {
  /** True once every one of them has ended (a commit among them is then visible to the next read). */
  ended(): Promise<boolean>;
}

export interface EventStore {
  /** Range reads over global positions for checkpoint lags and resets; absent where the store keeps no global position. */
  positionRanges?(): PositionRanges | null;
  /**
   * Taken when a live tail first sees a hole: tells a hole left by a rollback (every
   * transaction that could fill it has ended) from one a running transaction will
   * still fill. Null where the store cannot tell (then the tail falls back to a timeout).
   */
  watchTransactions?(): Promise<TransactionWatch | null>;
  /**
   * Listens for the store's append notifications where the store fires them (a
   * trigger calling pg_notify / NOTIFY); null when it fires none, so callers poll.
   */
  listenForAppends?(): Promise<AppendSignal | null>;
  /**
   * Optional fast path for replays (forward, inclusive version range, at most
   * REPLAY_PAGE_SIZE rows). Returns null when this store's layout cannot be
   * encoded by the database (non-JSON payloads, text timestamps): use readStream.
   * Calls may run concurrently (time travel reads pages ahead on several connections).
   */
  readReplayPage?(streamId: string, range: ReplayRange): Promise<ReplayPage | null>;
  /**
   * Optional, faster than readReplayPage for a whole replay of every type: the range read in
   * one go on a connection of its own, pages handed over while the next ones are read
   * (bounded: the read waits for the caller). Returning from the iteration early ends the
   * read. Null when this store's layout cannot be encoded by the database: use readReplayPage.
   */
  streamReplayPages?(streamId: string, range: StreamReplayRange): Promise<AsyncGenerator<StreamedReplayPage> | null>;
  /**
   * Replay pages of many streams' version ranges in one round trip (each cut at
   * REPLAY_PAGE_SIZE rows); null where not supported. Their `last.timestamp` may be
   * null: bulk replays need the version reached only.
   */
  readReplayRanges?(ranges: readonly { streamId: string; fromVersion: number; toVersion: number }[]): Promise<ReplayPage[] | null>;
  /**
   * Optional: the events of many streams in one round trip, in stream and version order, at
   * most `limit` (`complete` false when there are more); null where not supported.
   */
  readManyStreams?(
    streamIds: readonly string[],
    options: { limit: number; payloadLimit?: number },
  ): Promise<{ events: StoredEventView[]; complete: boolean } | null>;
  /** Events per time bucket and type over a range. */
  histogram(options: HistogramOptions): Promise<HistogramResult>;
  largestStreams(limit: number): Promise<LargestStream[]>;
  describe(): StoreCapabilities;
  listStreams(options?: ListStreamsOptions): Promise<StreamPage>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<ReadStreamPage>;
  readFeed(options?: ReadFeedOptions): Promise<FeedPage>;
  /**
   * Optional: a whole range of the feed by one ordered scan, for stores whose position
   * column no index serves (each keyset page would scan and sort the rest of the table
   * again). Null where pages are as cheap (an index leads with the position).
   */
  openFeedCursor?(options: FeedCursorOptions): Promise<FeedCursor | null>;
  /**
   * Optional fast path for rebuilds: a range of the feed written as JSON text by the
   * database itself and split by stream, so the caller hands each part to a fold worker
   * without parsing it. Null where the layout cannot be encoded by the database or no
   * index serves the position (use readFeed / openFeedCursor).
   */
  readFeedText?(options: FeedTextOptions): Promise<FeedTextPage | null>;
  /** Highest global position stored, or null when the store is empty. */
  headPosition(): Promise<string | null>;
  /** Optional: how many events and streams, exact when counting fits the scan budget, else an estimate (streams: null). */
  counts?(): Promise<StoreCounts>;
  close(): Promise<void>;
}

export interface StoreCounts {
  /** Null when neither a count within the budget nor a planner's estimate exists. */
  events: { count: number; exact: boolean } | null;
  streams: { count: number; exact: boolean } | null;
}

export class StoreCapabilityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreCapabilityError';
  }
}

export class StoreInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreInputError';
  }
}

const POSITION = /^\d{1,20}$/;

/** Validates a position string: non-negative decimal, at most 64-bit. */
export function checkPosition(position: string, what = 'position'): string {
  if (!POSITION.test(position) || BigInt(position) > 9223372036854775807n)
    throw new StoreInputError(`${what} must be a non-negative 64-bit decimal string, got ${JSON.stringify(position)}`);
  return position;
}

/** Stream-list cursors are opaque: base64url of the last stream id of the page. */
export function encodeStreamCursor(streamId: string): string {
  return Buffer.from(streamId, 'utf8').toString('base64url');
}

export function decodeStreamCursor(cursor: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(cursor)) throw new StoreInputError('invalid stream cursor');
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

/** Normalizes an ISO-8601 input into a Date, with a clear error. */
export function parseInstant(value: string, what: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new StoreInputError(`${what} is not a valid ISO-8601 instant: ${JSON.stringify(value)}`);
  return date;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a raw payload: JSON when it parses, otherwise `{ text }` for valid
 * UTF-8 and `{ hex }` for anything else.
 */
export function decodePayload(raw: unknown): EventPayload {
  if (raw === null || raw === undefined) return null;
  if (Buffer.isBuffer(raw) || raw instanceof Uint8Array) {
    let text: string;
    try {
      text = utf8.decode(raw);
    } catch {
      return { hex: Buffer.from(raw).toString('hex') };
    }
    return parseJsonOrText(text);
  }
  if (typeof raw === 'string') return parseJsonOrText(raw);
  return raw;
}

function parseJsonOrText(text: string): EventPayload {
  const trimmed = text.trim();
  if (trimmed.length > 0) {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      // not JSON
    }
  }
  return { text };
}

/** Reads a string field of a metadata object, if present. */
export function metadataString(metadata: unknown, key: string | undefined): string | undefined {
  if (!key || typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return undefined;
  const value = (metadata as Record<string, unknown>)[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}

/** Orders histogram rows by time and lists the types by total, most frequent first. */
export function summariseHistogram(buckets: HistogramResult['buckets'], truncated: boolean): HistogramResult {
  const totals = new Map<string, number>();
  for (const b of buckets) totals.set(b.type, (totals.get(b.type) ?? 0) + b.count);
  const types = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([type]) => type);
  return { buckets: [...buckets].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.type.localeCompare(b.type))), types, truncated };
}
