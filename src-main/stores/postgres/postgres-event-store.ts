import type pg from 'pg';
import {
  type IndexAdvice,
  MAX_PAGE_SIZE,
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
  type FeedCursor,
  type FeedCursorOptions,
  type FeedPage,
  type FeedTextOptions,
  type FeedTextPage,
  type HistogramOptions,
  type HistogramResult,
  type LargestStream,
  type StoreCounts,
  summariseHistogram,
  type ListStreamsOptions,
  type ReadFeedOptions,
  type ReadStreamOptions,
  type ReadStreamPage,
  REPLAY_PAGE_SIZE,
  type ReplayPage,
  type ReplayRange,
  type ReplayMetadataKeys,
  type StreamReplayRange,
  type StreamedReplayPage,
  type AppendSignal,
  type StoreCapabilities,
  type TransactionWatch,
  type StoredEventView,
  type StreamPage,
  type StreamSummary,
} from '../event-store';
import { replayTupleSql } from '../replay-wire';
import { to as copyTo } from 'pg-copy-streams';
import { PASSED_ROW, copyTuplePages } from './copy-tuple-pages';
import { INTEGER_TYPES } from './column-types';
import { detectNotifyChannel, listen } from './notify';
import { watchTransactions } from './transaction-watch';
import { inTransaction } from './transaction';
import { PostgresPositionRanges } from './postgres-position-ranges';
import type { PositionRanges } from '../position-ranges';
import { qualifiedName, quoteIdent, validateMapping, type ColumnType, type MappingSchemaInfo, type PostgresEventMapping } from './mapping';

/** How long a listing that no index serves may scan before it is stopped with advice. */
export const SCAN_BUDGET_MS = 5000;
/** Above this many rows (the planner's estimate) counting is not tried: it would not fit the scan budget. */
const COUNT_AT_MOST = 1_000_000;

/** Collects positional parameters: every value goes through `add`, never into the SQL text. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * For COPY, which takes no bind parameters: each value becomes an escaped literal (strings
 * as `E'...'` with quotes and backslashes doubled, finite numbers and booleans as they are);
 * any other value throws, and the caller reads by another path.
 */
class Literals extends Params {
  override add(value: unknown): string {
    if (typeof value === 'string') return `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
    if (Array.isArray(value) && value.every((v) => typeof v === 'string'))
      return value.length ? `ARRAY[${value.map((v) => this.add(v)).join(',')}]` : `'{}'::text[]`;
    throw new TypeError(`a ${typeof value} cannot be written as a COPY literal`);
  }
}

type TimestampKind = 'timestamptz' | 'timestamp-utc' | 'text' | 'none';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A SQL string literal: quotes doubled, so nothing in it is read as SQL. */
function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Escapes LIKE wildcards (with `\` as the escape character). */
function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** One row of a replay page (rowMode 'array'): version, type, the event's tuple as JSON text (null when not of a requested type), timestamp, category. */
type ReplayRow = [number | string, string, string | null, string | null, string | null];

interface EventRow {
  data_omitted?: number | string | null;
  metadata_omitted?: number | string | null;
  stream_id: string;
  category: string | null;
  version: string | number;
  position: string | null;
  event_id: string | null;
  type: string;
  ts: Date | string | null;
  data: unknown;
  metadata: unknown;
  correlation_id: string | null;
  causation_id: string | null;
}

function timestampKind(type: ColumnType | undefined): TimestampKind {
  if (!type) return 'none';
  if (type.udtName === 'timestamptz') return 'timestamptz';
  if (type.udtName === 'timestamp') return 'timestamp-utc';
  return 'text';
}

/** Dates and ISO-8601 text become ISO-8601 UTC; other text is shown as stored. */
function isoOrText(value: Date | string | null): string | null {
  if (value === null) return null;
  if (value instanceof Date) return value.toISOString();
  const text = String(value);
  const parsed = /^\d{4}-\d{2}-\d{2}T/.test(text) ? new Date(text) : null;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed.toISOString() : text;
}

/** A row of the stream listings' SQL. */
type StreamSummaryRow = { stream_id: string; category: string | null; event_count: string; last_version: string | number; last_activity: Date | string | null };

/**
 * The EventStore port over one PostgreSQL table described by a mapping. Reads are
 * keyset pages (never OFFSET), each at most MAX_PAGE_SIZE rows.
 */
export class PostgresEventStore implements EventStore {
  private readonly e = 'e';
  private readonly streamExpr: string;
  private readonly categoryExpr: string | null;
  private readonly tsKind: TimestampKind;
  private readonly from: string;

  private constructor(
    private readonly pool: pg.Pool,
    readonly mapping: PostgresEventMapping,
    private readonly schemaInfo: MappingSchemaInfo,
    private readonly ownsPool: boolean,
    /** Channel a trigger on the events table notifies on insert; null: the tail polls. */
    private readonly notifyChannel: string | null,
    /** How long a listing no index serves may scan before it is stopped (ms). */
    private readonly scanBudgetMs: number,
  ) {
    const c = mapping.columns;
    const st = mapping.streamTable;
    this.streamExpr = st?.nameColumn ? `s.${quoteIdent(st.nameColumn)}` : `e.${quoteIdent(c.streamId)}`;
    this.categoryExpr = c.streamType ? `e.${quoteIdent(c.streamType)}` : st?.typeColumn ? `s.${quoteIdent(st.typeColumn)}` : null;
    this.tsKind = c.timestamp ? timestampKind(schemaInfo.events.get(c.timestamp)) : 'none';
    let from = `${qualifiedName(mapping.schema, mapping.table)} AS e`;
    if (st) {
      const on = st.on.map(([ev, sc]) => `e.${quoteIdent(ev)} = s.${quoteIdent(sc)}`).join(' AND ');
      from += ` LEFT JOIN ${qualifiedName(st.schema ?? mapping.schema, st.table)} AS s ON ${on}`;
    }
    this.from = from;
  }

  /** Validates the mapping against the live schema, then opens the store. */
  static async open(pool: pg.Pool, mapping: PostgresEventMapping, options: { ownsPool?: boolean; scanBudgetMs?: number } = {}): Promise<PostgresEventStore> {
    const info = await validateMapping(pool, mapping);
    // Reading the catalog can be refused to a restricted role: then the tail polls.
    const channel = await detectNotifyChannel(pool, mapping.schema, mapping.table).catch(() => null);
    return new PostgresEventStore(pool, mapping, info, options.ownsPool ?? false, channel, options.scanBudgetMs ?? SCAN_BUDGET_MS);
  }

  /**
   * Runs a read no index serves under a statement timeout: on a big table the user
   * gets the advice (and an empty page) in seconds instead of waiting on a scan.
   * Null when the budget ran out.
   */
  private async withinScanBudget<R extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<pg.QueryResult<R> | null> {
    try {
      return await inTransaction(
        this.pool,
        async (client) => {
          await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(this.scanBudgetMs))}`);
          return client.query<R>(sql, values);
        },
        'BEGIN READ ONLY',
      );
    } catch (err) {
      if ((err as { code?: string }).code === '57014') return null; // query_canceled: the budget ran out
      throw err;
    }
  }

  describe(): StoreCapabilities {
    const c = this.mapping.columns;
    return {
      backend: 'postgres',
      preset: this.mapping.preset,
      source: qualifiedName(this.mapping.schema, this.mapping.table),
      hasGlobalPosition: c.position !== undefined,
      hasCategory: this.categoryExpr !== null || this.mapping.categoryFromStreamId !== undefined,
      hasCorrelation: c.correlationId !== undefined || this.mapping.metadataKeys?.correlationId !== undefined,
      hasCausation: c.causationId !== undefined || this.mapping.metadataKeys?.causationId !== undefined,
      hasEventId: c.eventId !== undefined,
      hasTimestamp: this.tsKind !== 'none',
      supportsNotify: this.notifyChannel !== null,
      maxPageSize: MAX_PAGE_SIZE,
      firstVersion: this.mapping.firstVersion ?? 1,
    };
  }

  private col(name: string): string {
    return `${this.e}.${quoteIdent(name)}`;
  }

  private timestampSelect(): string {
    const ts = this.mapping.columns.timestamp;
    if (!ts || this.tsKind === 'none') return 'NULL';
    if (this.tsKind === 'timestamp-utc') return `(${this.col(ts)} AT TIME ZONE 'UTC')`;
    if (this.tsKind === 'text') return `${this.col(ts)}::text`;
    return this.col(ts);
  }

  private baseWhere(params: Params): string[] {
    return (this.mapping.where ?? []).map((w) => `${this.col(w.column)} = ${params.add(w.equals)}`);
  }

  private categoryWhere(category: string, params: Params): string {
    if (this.categoryExpr) return `${this.categoryExpr} = ${params.add(category)}`;
    const sep = this.mapping.categoryFromStreamId?.separator;
    if (sep !== undefined) return `${this.streamExpr}::text LIKE ${params.add(`${likeEscape(category)}${likeEscape(sep)}%`)}`;
    throw new StoreCapabilityError('this store has no stream type / category to filter on');
  }

  private timeWhere(from: string | undefined, to: string | undefined, params: Params): string[] {
    if (from === undefined && to === undefined) return [];
    const ts = this.mapping.columns.timestamp;
    if (!ts || this.tsKind === 'none') throw new StoreCapabilityError('this store has no timestamp column to filter on');
    const out: string[] = [];
    const bound = (value: string, what: string): string => {
      const date = parseInstant(value, what);
      if (this.tsKind === 'timestamptz') return `${params.add(date.toISOString())}::timestamptz`;
      if (this.tsKind === 'timestamp-utc') return `(${params.add(date.toISOString())}::timestamptz AT TIME ZONE 'UTC')`;
      return `${params.add(date.toISOString())}::timestamptz`;
    };
    // Text timestamps (Axon's ISO-8601 strings) are compared as instants: their text order breaks on fractional seconds.
    const column = this.tsKind === 'text' ? `${this.col(ts)}::timestamptz` : this.col(ts);
    if (from !== undefined) out.push(`${column} >= ${bound(from, 'from')}`);
    if (to !== undefined) out.push(`${column} < ${bound(to, 'to')}`);
    return out;
  }

  /** Stream list rows (aggregated by the listing's SQL) as summaries. */
  private streamSummaries(rows: StreamSummaryRow[]): StreamSummary[] {
    return rows.map((r) => ({
      streamId: r.stream_id,
      category: r.category ?? this.categoryFromId(r.stream_id),
      eventCount: Number(r.event_count),
      lastVersion: Number(r.last_version),
      lastActivity: isoOrText(r.last_activity),
    }));
  }

  private categoryFromId(streamId: string): string | null {
    const sep = this.mapping.categoryFromStreamId?.separator;
    if (sep === undefined) return null;
    const i = streamId.indexOf(sep);
    return i < 0 ? streamId : streamId.slice(0, i);
  }

  private eventSelect(params: Params, payloadLimit?: number): string {
    const c = this.mapping.columns;
    const opt = (name: string | undefined, cast = '::text') => (name ? `${this.col(name)}${cast}` : 'NULL');
    // The stored (possibly compressed) size rules out almost every row cheaply; only
    // large ones have their text measured.
    const limit = payloadLimit === undefined ? undefined : params.add(payloadLimit);
    const big = (column: string) => `(pg_column_size(${this.col(column)}) > 16384 AND octet_length(${this.col(column)}::text) > ${limit}::int)`;
    const payload = (column: string | undefined, alias: string) => {
      if (!column) return [`NULL AS ${alias}`];
      if (limit === undefined) return [`${this.col(column)} AS ${alias}`];
      return [
        `CASE WHEN ${big(column)} THEN NULL ELSE ${this.col(column)} END AS ${alias}`,
        `CASE WHEN ${big(column)} THEN octet_length(${this.col(column)}::text) END AS ${alias}_omitted`,
      ];
    };
    return [
      `${this.streamExpr}::text AS stream_id`,
      `${this.categoryExpr ? `${this.categoryExpr}::text` : 'NULL'} AS category`,
      `${this.col(c.version)} AS version`,
      `${opt(c.position)} AS position`,
      `${opt(c.eventId)} AS event_id`,
      `${this.col(c.type)}::text AS type`,
      `${this.timestampSelect()} AS ts`,
      ...payload(c.data, 'data'),
      ...payload(c.metadata, 'metadata'),
      `${opt(c.correlationId)} AS correlation_id`,
      `${opt(c.causationId)} AS causation_id`,
    ].join(', ');
  }

  private toEvent(row: EventRow): StoredEventView {
    const metadata = decodePayload(row.metadata);
    const keys = this.mapping.metadataKeys;
    const correlationId = row.correlation_id ?? metadataString(metadata, keys?.correlationId);
    const causationId = row.causation_id ?? metadataString(metadata, keys?.causationId);
    const event: StoredEventView = {
      streamId: row.stream_id,
      category: row.category ?? this.categoryFromId(row.stream_id),
      version: Number(row.version),
      eventId: row.event_id,
      type: row.type,
      timestamp: isoOrText(row.ts),
      data: decodePayload(row.data),
      metadata,
    };
    if (row.position !== null) event.position = row.position;
    if (correlationId !== undefined) event.correlationId = correlationId;
    if (causationId !== undefined) event.causationId = causationId;
    if (row.data_omitted != null || row.metadata_omitted != null) {
      event.omitted = {
        ...(row.data_omitted != null ? { data: Number(row.data_omitted) } : {}),
        ...(row.metadata_omitted != null ? { metadata: Number(row.metadata_omitted) } : {}),
      };
    }
    return event;
  }

  /** A uuid stream column cannot equal a non-uuid id: answer "no such stream" instead of a cast error. */
  private impossibleStreamId(streamId: string): boolean {
    if (this.mapping.streamTable?.nameColumn) return false;
    return this.schemaInfo.events.get(this.mapping.columns.streamId)?.udtName === 'uuid' && !UUID.test(streamId);
  }

  async listStreams(options: ListStreamsOptions = {}): Promise<StreamPage> {
    const limit = clampLimit(options.limit);
    const viaStreams = this.streamTableListing();
    if (viaStreams) return this.listFromStreamTable(viaStreams, options, limit);
    const params = new Params();
    const probe = this.baseWhere(params);
    if (options.category !== undefined) probe.push(this.categoryWhere(options.category, params));
    if (options.idPrefix) probe.push(`${this.streamExpr}::text LIKE ${params.add(`${likeEscape(options.idPrefix)}%`)}`);
    if (options.search) probe.push(`${this.streamExpr}::text ILIKE ${params.add(`%${likeEscape(options.search)}%`)}`);
    const c = this.mapping.columns;
    const version = this.col(c.version);
    const filters = probe.length ? ` AND ${probe.join(' AND ')}` : '';
    const next = (after: string) =>
      `(SELECT ${this.streamExpr} FROM ${this.from} WHERE ${this.streamExpr} > ${after}${filters} ORDER BY ${this.streamExpr} LIMIT 1)`;
    const first =
      options.after !== undefined
        ? next(params.add(decodeStreamCursor(options.after)))
        : `(SELECT ${this.streamExpr} FROM ${this.from}${probe.length ? ` WHERE ${probe.join(' AND ')}` : ''} ORDER BY ${this.streamExpr} LIMIT 1)`;
    const base = this.baseWhere(params);
    const own = (alias: string) => [`${this.streamExpr} = ${alias}.id`, ...base].join(' AND ');
    // A skip scan over the (stream, version) index: each step jumps to the next stream
    // id, and each stream's first and last events are single index probes, so a page
    // costs the same whether its streams hold ten events or a million.
    const sql =
      `WITH RECURSIVE ids(id) AS (SELECT ${first} UNION ALL SELECT ${next('ids.id')} FROM ids WHERE ids.id IS NOT NULL) ` +
      `SELECT s.id::text AS stream_id, last.category, last.last_version - firstv.version + 1 AS event_count, last.last_version, last.last_activity ` +
      `FROM (SELECT id FROM ids WHERE id IS NOT NULL LIMIT ${params.add(limit + 1)}) AS s ` +
      `CROSS JOIN LATERAL (SELECT ${version} AS version FROM ${this.from} WHERE ${own('s')} ORDER BY ${version} ASC LIMIT 1) AS firstv ` +
      `CROSS JOIN LATERAL (SELECT ${version} AS last_version, ${this.categoryExpr ? `${this.categoryExpr}::text` : 'NULL'} AS category, ` +
      `${this.tsKind === 'none' ? 'NULL' : this.timestampSelect()} AS last_activity FROM ${this.from} WHERE ${own('s')} ORDER BY ${version} DESC LIMIT 1) AS last`;
    const advice = options.category !== undefined ? await this.categoryListingAdvice() : [];
    const result = advice.length
      ? await this.withinScanBudget<StreamSummaryRow>(sql, params.values)
      : await this.pool.query<StreamSummaryRow>(sql, params.values);
    if (result === null) return { streams: [], nextCursor: null, advice, stoppedAfterMs: this.scanBudgetMs };
    const streams = this.streamSummaries(result.rows.slice(0, limit));
    const last = streams[streams.length - 1];
    return {
      streams,
      nextCursor: result.rows.length > limit && last ? encodeStreamCursor(last.streamId) : null,
      ...(advice.length && options.after === undefined ? { advice } : {}),
    };
  }

  /**
   * Listing streams of one category jumps from stream to stream along an index that
   * leads with the category column and then the stream id; without one, each jump
   * walks the events of every other category. Checked on the first page only.
   */
  private async categoryListingAdvice(): Promise<IndexAdvice[]> {
    const c = this.mapping.columns;
    if (!c.streamType || this.mapping.streamTable) return [];
    const { rows } = await this.pool.query<{ columns: string[] }>(
      `SELECT array_agg(a.attname::text ORDER BY k.ord) AS columns
       FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
       WHERE i.indrelid = to_regclass($1) AND k.ord <= 2 GROUP BY i.indexrelid`,
      [qualifiedName(this.mapping.schema, this.mapping.table)],
    );
    if (rows.some((r) => r.columns[0] === c.streamType && r.columns[1] === c.streamId)) return [];
    const table = qualifiedName(this.mapping.schema, this.mapping.table);
    const name = `${this.mapping.table}_${c.streamType}_${c.streamId}_idx`.slice(0, 63);
    return [
      {
        message: `No index on ${table} leads with (${c.streamType}, ${c.streamId}): listing the streams of one category walks the events of all the others, which is slow on a large store.`,
        ddl: `CREATE INDEX CONCURRENTLY ${quoteIdent(name)} ON ${table} (${quoteIdent(c.streamType)}, ${quoteIdent(c.streamId)}, ${quoteIdent(c.version)});`,
      },
    ];
  }

  /**
   * With a stream table, streams are listed from it (keyset on its key) and each
   * stream's count / last version / last activity comes from a LATERAL aggregate over
   * its events: the cost is bounded by the page, not by the size of the events table.
   */
  private streamTableListing(): { key: string; category: string | null } | null {
    const st = this.mapping.streamTable;
    if (!st || this.mapping.columns.streamType) return null;
    const pair = st.on.find(([ev]) => ev === this.mapping.columns.streamId);
    const keyColumn = st.nameColumn ?? pair?.[1];
    if (!keyColumn) return null;
    return { key: `s.${quoteIdent(keyColumn)}`, category: st.typeColumn ? `s.${quoteIdent(st.typeColumn)}` : null };
  }

  private async listFromStreamTable(listing: { key: string; category: string | null }, options: ListStreamsOptions, limit: number): Promise<StreamPage> {
    const st = this.mapping.streamTable!;
    const c = this.mapping.columns;
    const params = new Params();
    const inner = [...st.on.map(([ev, sc]) => `e.${quoteIdent(ev)} = s.${quoteIdent(sc)}`), ...this.baseWhere(params)];
    const where = ['agg.event_count > 0'];
    if (options.after !== undefined) where.push(`${listing.key} > ${params.add(decodeStreamCursor(options.after))}`);
    if (options.category !== undefined) {
      const sep = this.mapping.categoryFromStreamId?.separator;
      if (listing.category) where.push(`${listing.category} = ${params.add(options.category)}`);
      else if (sep !== undefined) where.push(`${listing.key}::text LIKE ${params.add(`${likeEscape(options.category)}${likeEscape(sep)}%`)}`);
      else throw new StoreCapabilityError('this store has no stream type / category to filter on');
    }
    if (options.idPrefix) where.push(`${listing.key}::text LIKE ${params.add(`${likeEscape(options.idPrefix)}%`)}`);
    if (options.search) where.push(`${listing.key}::text ILIKE ${params.add(`%${likeEscape(options.search)}%`)}`);
    const sql =
      `SELECT ${listing.key}::text AS stream_id, ${listing.category ? `${listing.category}::text` : 'NULL'} AS category, ` +
      `agg.event_count, agg.last_version, agg.last_activity ` +
      `FROM ${qualifiedName(st.schema ?? this.mapping.schema, st.table)} AS s CROSS JOIN LATERAL (` +
      `SELECT count(*) AS event_count, max(${this.col(c.version)}) AS last_version, ` +
      `${this.tsKind === 'none' ? 'NULL' : `max(${this.timestampSelect()})`} AS last_activity ` +
      `FROM ${qualifiedName(this.mapping.schema, this.mapping.table)} AS e WHERE ${inner.join(' AND ')}) AS agg ` +
      `WHERE ${where.join(' AND ')} ORDER BY ${listing.key} LIMIT ${params.add(limit + 1)}`;
    const result = await this.pool.query<StreamSummaryRow>(sql, params.values);
    const streams = this.streamSummaries(result.rows.slice(0, limit));
    const last = streams[streams.length - 1];
    return { streams, nextCursor: result.rows.length > limit && last ? encodeStreamCursor(last.streamId) : null };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<ReadStreamPage> {
    const limit = clampLimit(options.limit);
    const direction = options.direction ?? 'forward';
    if (this.impossibleStreamId(streamId)) return { events: [], next: null };
    const params = new Params();
    const version = this.col(this.mapping.columns.version);
    const where = [...this.baseWhere(params), `${this.streamExpr} = ${params.add(streamId)}`];
    if (options.fromVersion !== undefined) where.push(`${version} >= ${params.add(Math.floor(options.fromVersion))}`);
    if (options.toVersion !== undefined) where.push(`${version} <= ${params.add(Math.floor(options.toVersion))}`);
    const order = direction === 'forward' ? 'ASC' : 'DESC';
    const sql = `SELECT ${this.eventSelect(params, options.payloadLimit)} FROM ${this.from} WHERE ${where.join(' AND ')} ORDER BY ${version} ${order} LIMIT ${params.add(limit + 1)}`;
    const result = await this.pool.query<EventRow>(sql, params.values);
    const events = result.rows.slice(0, limit).map((r) => this.toEvent(r));
    return readStreamPage(events, result.rows.length > limit, options, direction, limit);
  }

  /**
   * The events of many streams in one query, in stream and version order, at most `limit` of
   * them (`complete` false when the streams hold more: read them stream by stream then). For
   * bulk comparisons of short streams (drift verification); null where stream ids are not text.
   */
  async readManyStreams(
    streamIds: readonly string[],
    options: { limit: number; payloadLimit?: number },
  ): Promise<{ events: StoredEventView[]; complete: boolean } | null> {
    const c = this.mapping.columns;
    const textIds = !this.mapping.streamTable?.nameColumn && ['varchar', 'text', 'bpchar'].includes(this.schemaInfo.events.get(c.streamId)?.udtName ?? '');
    if (!textIds) return null;
    if (streamIds.length === 0) return { events: [], complete: true };
    const params = new Params();
    const version = this.col(c.version);
    const where = [...this.baseWhere(params), `${this.streamExpr} = ANY(${params.add([...streamIds])}::text[])`];
    const sql = `SELECT ${this.eventSelect(params, options.payloadLimit)} FROM ${this.from} WHERE ${where.join(' AND ')} ORDER BY ${this.streamExpr}, ${version} LIMIT ${params.add(options.limit + 1)}`;
    const result = await this.pool.query<EventRow>(sql, params.values);
    return { events: result.rows.slice(0, options.limit).map((r) => this.toEvent(r)), complete: result.rows.length <= options.limit };
  }

  /** Whether the database can encode this layout's events as JSON itself (payloads JSON, timestamps real timestamps). */
  private replayEncodable(): boolean {
    const c = this.mapping.columns;
    const json = (column: string | undefined) => column === undefined || ['json', 'jsonb'].includes(this.schemaInfo.events.get(column)?.udtName ?? '');
    const integer = ['int2', 'int4', 'int8'].includes(this.schemaInfo.events.get(c.version)?.udtName ?? '');
    return integer && json(c.data) && json(c.metadata) && this.tsKind !== 'text';
  }

  async readReplayPage(streamId: string, range: ReplayRange): Promise<ReplayPage | null> {
    if (!this.replayEncodable()) return null;
    const empty: ReplayPage = { streamId, category: null, events: '[]', versions: [], types: [], read: 0, last: null };
    if (this.impossibleStreamId(streamId)) return empty;
    const c = this.mapping.columns;
    const params = new Params();
    const version = this.col(c.version);
    const where = [...this.baseWhere(params), `${this.streamExpr} = ${params.add(streamId)}`, `${version} >= ${params.add(Math.floor(range.fromVersion))}`];
    if (range.toVersion !== undefined) where.push(`${version} <= ${params.add(Math.floor(range.toVersion))}`);
    const limit = Math.min(REPLAY_PAGE_SIZE, Math.max(1, Math.floor(range.limit)));
    const columns = this.replayColumns(params, range.types);
    const sql = `SELECT ${columns} FROM ${this.from} WHERE ${where.join(' AND ')} ORDER BY ${version} LIMIT ${params.add(limit)}`;
    const { rows } = await this.pool.query<ReplayRow>({ text: sql, values: params.values, rowMode: 'array' });
    return rows.length === 0 ? empty : this.replayPage(streamId, rows);
  }

  /**
   * Replay pages of many streams' version ranges in one query (at most REPLAY_PAGE_SIZE rows
   * each: a range cut there is continued with readReplayPage). Bulk snapshot verification
   * reads a hundred short streams per round trip this way. Null where the layout's
   * events cannot be encoded by the database or its stream ids are not text.
   */
  async readReplayRanges(ranges: readonly { streamId: string; fromVersion: number; toVersion: number }[]): Promise<ReplayPage[] | null> {
    const c = this.mapping.columns;
    const textIds = !this.mapping.streamTable?.nameColumn && ['varchar', 'text', 'bpchar'].includes(this.schemaInfo.events.get(c.streamId)?.udtName ?? '');
    if (!this.replayEncodable() || !textIds) return null;
    if (ranges.length === 0) return [];
    const params = new Params();
    const version = this.col(c.version);
    const ids = params.add(ranges.map((r) => r.streamId));
    const froms = params.add(ranges.map((r) => Math.floor(r.fromVersion)));
    const tos = params.add(ranges.map((r) => Math.floor(r.toVersion)));
    const where = [...this.baseWhere(params), `${this.streamExpr} = r.sid`, `${version} >= r.f`, `${version} <= r.t`];
    // One row per range, its tuples joined by PostgreSQL: the host parses 50 rows, not 5000.
    // Each range is aggregated inside its own lateral subquery, fed in version order by its
    // ORDER BY: no sort per aggregate nor a grouping over all ranges (half the database's
    // time of ORDER BY inside each aggregate on PostgreSQL 15). The host checks the order below.
    const kept = 'FILTER (WHERE x.j IS NOT NULL)';
    const sql =
      `SELECT r.i, '[' || coalesce(y.j, '') || ']', coalesce(y.vs, '[]'), coalesce(y.ty, '[]'), y.n, y.lv, y.lt, y.lts, y.cat ` +
      `FROM unnest(${ids}::text[], ${froms}::bigint[], ${tos}::bigint[]) WITH ORDINALITY AS r(sid, f, t, i) ` +
      `CROSS JOIN LATERAL (SELECT string_agg(x.j, ',') ${kept} AS j, (json_agg(x.v) ${kept})::text AS vs, (json_agg(x.t) ${kept})::text AS ty, count(*) AS n, ` +
      `max(x.v)::text AS lv, (array_agg(x.t))[count(*)] AS lt, NULL::text AS lts, (array_agg(x.cat))[1] AS cat ` +
      `FROM (SELECT ${this.replayColumns(params, undefined, false)} FROM ${this.from} WHERE ${where.join(' AND ')} ORDER BY ${version} LIMIT ${REPLAY_PAGE_SIZE}) AS x) AS y ` +
      `WHERE y.n > 0 ORDER BY r.i`;
    type RangeRow = [string, string, string, string, string, string, string, string | null, string | null];
    const { rows } = await this.pool.query<RangeRow>({ text: sql, values: params.values, rowMode: 'array' });
    const pages: ReplayPage[] = ranges.map((r) => ({ streamId: r.streamId, category: null, events: '[]', versions: [], types: [], read: 0, last: null }));
    const keys = this.mapping.metadataKeys;
    const metadataKeys =
      keys && (keys.correlationId || keys.causationId) && c.metadata
        ? {
            ...(keys.correlationId && !c.correlationId ? { correlationId: keys.correlationId } : {}),
            ...(keys.causationId && !c.causationId ? { causationId: keys.causationId } : {}),
          }
        : undefined;
    for (const [i, events, versionsText, types, read, lastVersion, lastType, lastTs, category] of rows) {
      const index = Number(i) - 1;
      const streamId = ranges[index]!.streamId;
      const versions = (JSON.parse(versionsText) as (number | string)[]).map(Number);
      // The aggregates kept the subquery's version order (as PostgreSQL does); should a plan ever not, the range is read page by page instead.
      if (!ascendingTo(versions, Number(lastVersion))) return null;
      pages[index] = {
        streamId,
        category: category ?? this.categoryFromId(streamId),
        events,
        versions,
        types: JSON.parse(types) as string[],
        read: Number(read),
        last: { version: Number(lastVersion), type: lastType, timestamp: lastTs },
        ...(metadataKeys ? { metadataKeys } : {}),
      };
    }
    return pages;
  }

  /**
   * `v, t, j, ts, cat` of a replay read: version, type, the event's whole tuple as JSON text
   * (null for types not wanted), time, category. `withTime: false` leaves `ts` null
   * (formatting a time is a fifth of the query: readers that need only the version skip it).
   */
  private replayColumns(params: Params, types?: readonly string[], withTime = true): string {
    const c = this.mapping.columns;
    const version = this.col(c.version);
    const tuple = this.replayTuple();
    // Rows of other types come back without a tuple: counted, never output as JSON nor shipped.
    const wanted = types ? `${this.col(c.type)}::text = ANY(${params.add([...types])}::text[])` : null;
    return (
      `${version} AS v, ${this.col(c.type)}::text AS t, ${wanted ? `CASE WHEN ${wanted} THEN ${tuple} END` : tuple} AS j, ${withTime ? this.replayTime() : 'NULL::text'} AS ts, ` +
      `${this.categoryExpr ? `${this.categoryExpr}::text` : 'NULL'} AS cat`
    );
  }

  /** The event's time as ISO-8601 text with milliseconds (what readStream gives), or NULL. */
  private replayTime(): string {
    const c = this.mapping.columns;
    const iso = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
    return c.timestamp === undefined || this.tsKind === 'none'
      ? 'NULL::text'
      : this.tsKind === 'timestamptz'
        ? `to_char(${this.col(c.timestamp)} AT TIME ZONE 'UTC', ${iso})`
        : `to_char(${this.col(c.timestamp)}, ${iso})`;
  }

  /** The SQL expression of an event's whole tuple (replay-wire.ts) as one JSON text. */
  private replayTuple(short = false): string {
    const c = this.mapping.columns;
    // PostgreSQL writes each event's whole tuple (replay-wire.ts) as one JSON text,
    // payloads spliced unparsed: the host neither parses nor escapes anything per field
    // (measured: 40% less host CPU than building the tuples in JS), the sandbox parses once.
    // Ids and positions whose text needs no escaping (uuid, integers) are quoted as they are.
    const plain = (name: string) => ['uuid', ...INTEGER_TYPES].includes(this.schemaInfo.events.get(name)?.udtName ?? '');
    const text = (name: string | undefined) =>
      !name ? `'null'` : plain(name) ? `coalesce('"' || ${this.col(name)}::text || '"', 'null')` : `coalesce(to_json(${this.col(name)}::text)::text, 'null')`;
    const json = (name: string | undefined) => (name ? `coalesce(${this.col(name)}::text, 'null')` : `'null'`);
    const head = {
      version: `${this.col(c.version)}::text`,
      type: `to_json(${this.col(c.type)}::text)::text`,
      timestamp: `coalesce('"' || ${this.replayTime()} || '"', 'null')`,
    };
    if (short)
      return replayTupleSql({
        ...head,
        data: `'null'`,
        metadata: `'null'`,
        position: `'null'`,
        eventId: `'null'`,
        correlationId: `'null'`,
        causationId: `'null'`,
      });
    return replayTupleSql({
      ...head,
      data: json(c.data),
      metadata: json(c.metadata),
      position: text(c.position),
      eventId: text(c.eventId),
      correlationId: text(c.correlationId),
      causationId: text(c.causationId),
    });
  }

  /** The metadata keys a replay batch names for ids this layout keeps only in its metadata. */
  private replayMetadataKeys(): ReplayMetadataKeys | undefined {
    const c = this.mapping.columns;
    const keys = this.mapping.metadataKeys;
    if (!keys || !(keys.correlationId || keys.causationId) || !c.metadata) return undefined;
    return {
      ...(keys.correlationId && !c.correlationId ? { correlationId: keys.correlationId } : {}),
      ...(keys.causationId && !c.causationId ? { causationId: keys.causationId } : {}),
    };
  }

  /**
   * A whole version range of one stream as replay pages of every type, by one binary COPY on
   * a connection of its own (copy-tuple-pages.ts): the rows reach the host as bytes framed
   * into batches, read ahead of the caller. COPY takes no bind parameters, so the few values
   * of its WHERE are written as escaped literals. Null where the database cannot encode this
   * layout (as readReplayPage).
   */
  async streamReplayPages(streamId: string, range: StreamReplayRange): Promise<AsyncGenerator<StreamedReplayPage> | null> {
    if (!this.replayEncodable()) return null;
    if (this.impossibleStreamId(streamId)) return (async function* () {})();
    const literals = new Literals();
    const version = this.col(this.mapping.columns.version);
    let where: string;
    try {
      where = [
        ...this.baseWhere(literals),
        `${this.streamExpr} = ${literals.add(streamId)}`,
        `${version} >= ${literals.add(Math.floor(range.fromVersion))}`,
        `${version} <= ${literals.add(Math.floor(range.toVersion))}`,
      ].join(' AND ');
    } catch {
      return null; // a value COPY's literals cannot carry: the paged path reads it
    }
    let category = this.categoryFromId(streamId);
    if (this.categoryExpr) {
      const params = new Params();
      const own = [...this.baseWhere(params), `${this.streamExpr} = ${params.add(streamId)}`].join(' AND ');
      const { rows } = await this.pool.query<{ cat: string | null }>(
        `SELECT ${this.categoryExpr}::text AS cat FROM ${this.from} WHERE ${own} LIMIT 1`,
        params.values,
      );
      category = rows[0]?.cat ?? category;
    }
    const metadataKeys = this.replayMetadataKeys();
    // Events of other types travel as their version, type and time only, marked to be passed:
    // counted by the host, never shipped to the sandbox, and the version and time a page reached stay right.
    let tuple = this.replayTuple();
    if (range.types)
      tuple = `CASE WHEN ${this.col(this.mapping.columns.type)}::text = ANY(${literals.add([...range.types])}::text[]) THEN ${tuple} ELSE '${PASSED_ROW}' || ${this.replayTuple(true)} END`;
    const sql = `COPY (SELECT ${tuple} FROM ${this.from} WHERE ${where} ORDER BY ${version}) TO STDOUT (FORMAT binary)`;
    const pageRows = Math.min(REPLAY_PAGE_SIZE, Math.max(1, Math.floor(range.pageSize)));
    const pool = this.pool;
    // The connection is taken when the first page is asked for, so a replay never iterated holds none.
    return (async function* () {
      const client = await pool.connect();
      // A copy cut short (cancel, an early return) ends the connection, which reports it as an error: this one is discarded, never an uncaught error.
      const ignore = () => undefined;
      client.on('error', ignore);
      // A pool's query_timeout would cut a long replay (the caller's abort bounds it instead). pg
      // clears that timer through the query's callback, which pg-copy-streams never calls: called below.
      const copy = Object.assign(copyTo(sql), { query_timeout: 2_147_483_647 });
      let finished = false;
      const stream = client.query(copy);
      // Ending the connection of a copy cut short fails the copy once more, after the pages stopped listening: not an uncaught error.
      stream.on('error', ignore);
      // Cancelling ends the copy at once, even one still waiting for its first row (a sort, a lock): the connection is then discarded.
      const abort = () => stream.destroy(Object.assign(new Error('The replay was cancelled.'), { name: 'AbortError' }));
      range.signal?.addEventListener('abort', abort, { once: true });
      try {
        if (range.signal?.aborted) abort();
        for await (const page of copyTuplePages(stream, pageRows, Math.max(1, range.readAhead ?? 4))) {
          yield { streamId, category, ...(metadataKeys ? { metadataKeys } : {}), ...page };
        }
        finished = true;
      } finally {
        range.signal?.removeEventListener('abort', abort);
        (copy as { callback?: () => void }).callback?.();
        // A copy stopped halfway leaves the connection inside it: that one is discarded, not pooled.
        if (finished) client.off('error', ignore);
        client.release(finished ? undefined : true);
      }
    })();
  }

  private replayPage(streamId: string, rows: readonly ReplayRow[]): ReplayPage {
    const versions: number[] = [];
    const types: string[] = [];
    const tuples: string[] = [];
    for (const [v, t, j] of rows) {
      if (j === null) continue;
      versions.push(Number(v));
      types.push(t);
      tuples.push(j);
    }
    const metadataKeys = this.replayMetadataKeys();
    const first = rows[0]!;
    const last = rows[rows.length - 1]!;
    return {
      streamId,
      category: first[4] ?? this.categoryFromId(streamId),
      events: `[${tuples.join(',')}]`,
      versions,
      types,
      read: rows.length,
      last: { version: Number(last[0]), type: last[1], timestamp: last[3] },
      ...(metadataKeys ? { metadataKeys } : {}),
    };
  }

  async readFeed(options: ReadFeedOptions = {}): Promise<FeedPage> {
    const limit = clampLimit(options.limit);
    const params = new Params();
    const { sql: feedSql, filtered } = this.feedQuery(options, params);
    const sql = `${feedSql} LIMIT ${params.add(limit + 1)}`;
    const advice = filtered.length ? await this.indexAdvice(filtered) : [];
    const result = await this.pool.query<EventRow>(sql, params.values);
    const events = result.rows.slice(0, limit).map((r) => this.toEvent(r));
    const last = events[events.length - 1];
    return {
      events,
      nextAfterPosition: result.rows.length > limit && last?.position !== undefined ? last.position : null,
      ...(advice.length ? { advice } : {}),
    };
  }

  /** The feed's SELECT in position order, without a LIMIT. */
  private feedQuery(
    options: ReadFeedOptions & { throughPosition?: string },
    params: Params,
  ): { sql: string; filtered: ReturnType<PostgresEventStore['jsonFilters']> } {
    const position = this.mapping.columns.position;
    if (!position)
      throw new StoreCapabilityError(`${qualifiedName(this.mapping.schema, this.mapping.table)} has no global position column: there is no global feed`);
    const pos = this.col(position);
    const where = this.baseWhere(params);
    if (options.afterPosition !== undefined) where.push(`${pos} > ${params.add(checkPosition(options.afterPosition, 'afterPosition'))}::bigint`);
    if (options.throughPosition !== undefined) where.push(`${pos} <= ${params.add(checkPosition(options.throughPosition, 'throughPosition'))}::bigint`);
    if (options.eventTypes && options.eventTypes.length > 0)
      where.push(`${this.col(this.mapping.columns.type)} = ANY(${params.add(options.eventTypes)}::text[])`);
    if (options.category !== undefined) where.push(this.categoryWhere(options.category, params));
    where.push(...this.timeWhere(options.from, options.to, params));
    const filtered = this.jsonFilters(options, params);
    where.push(...filtered.map((f) => f.sql));
    const sql = `SELECT ${this.eventSelect(params, options.payloadLimit)} FROM ${this.from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${pos} ASC`;
    return { sql, filtered };
  }

  private pagesPreferred: Promise<boolean> | undefined;

  /**
   * Whether keyset pages serve the feed: an index of the table (or, partitioned, of its
   * parent) leads with the position column, or the server is PGlite (one transaction at
   * a time across its connections: a cursor's would hold every other query back).
   */
  private feedPagesPreferred(): Promise<boolean> {
    const position = this.mapping.columns.position;
    if (!position) return Promise.resolve(true);
    this.pagesPreferred ??= this.pool
      .query<{ found: boolean; pglite: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
           WHERE i.indrelid = to_regclass($1) AND a.attname = $2) AS found, version() LIKE '%PGlite%' AS pglite`,
        [qualifiedName(this.mapping.schema, this.mapping.table), position],
      )
      .then((r) => r.rows[0]?.found === true || r.rows[0]?.pglite === true);
    return this.pagesPreferred;
  }

  async openFeedCursor(options: FeedCursorOptions): Promise<FeedCursor | null> {
    if (await this.feedPagesPreferred()) return null;
    const params = new Params();
    const { sql } = this.feedQuery(options, params);
    const client = await this.pool.connect();
    let open = true;
    const close = async (err?: unknown): Promise<void> => {
      if (!open) return;
      open = false;
      // A failed transaction cannot be committed: end it, and drop the connection if even that fails.
      try {
        await client.query(err === undefined ? 'COMMIT' : 'ROLLBACK');
        client.release();
      } catch (closeErr) {
        client.release(closeErr as Error);
      }
    };
    try {
      // A read-only snapshot: one sort of the range, then rows fetched as the fold asks.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await client.query(`DECLARE chronoscope_feed NO SCROLL CURSOR FOR ${sql}`, params.values);
    } catch (err) {
      await close(err);
      throw err;
    }
    return {
      next: async (count: number) => {
        if (!open) throw new Error('The feed cursor is closed');
        try {
          const { rows } = await client.query<EventRow>(`FETCH FORWARD ${Math.max(1, Math.floor(count))} FROM chronoscope_feed`);
          return rows.map((r) => this.toEvent(r));
        } catch (err) {
          await close(err);
          throw err;
        }
      },
      close: () => close(),
    };
  }

  /**
   * A range of the feed as JSON text written by PostgreSQL, one array per part of a
   * hash of the stream id: the host forwards each part to a fold worker untouched (no
   * parse, no escaping per field). Null where the layout is not encodable or the
   * position has no index (a LIMIT would sort the rest of the table on every page).
   */
  async readFeedText(options: FeedTextOptions): Promise<FeedTextPage | null> {
    const c = this.mapping.columns;
    if (!c.position || !this.replayEncodable() || !(await this.feedPagesPreferred())) return null;
    const parts = Math.max(1, Math.floor(options.parts));
    const params = new Params();
    const pos = this.col(c.position);
    const where = this.baseWhere(params);
    where.push(`${pos} > ${params.add(checkPosition(options.afterPosition, 'afterPosition'))}::bigint`);
    where.push(`${pos} <= ${params.add(checkPosition(options.throughPosition, 'throughPosition'))}::bigint`);
    const wanted: string[] = [];
    if (options.eventTypes?.length) wanted.push(`${this.col(c.type)}::text = ANY(${params.add(options.eventTypes)}::text[])`);
    for (const category of options.categories ?? []) wanted.push(this.categoryWhere(category, params));
    if (wanted.length) where.push(`(${wanted.join(' OR ')})`);
    const limit = params.add(Math.max(1, Math.floor(options.limit)));
    const sql =
      `WITH page AS (SELECT ${pos} AS p, ${this.streamExpr}::text AS s, ${this.feedEventJson()} AS j FROM ${this.from} WHERE ${where.join(' AND ')} ` +
      `ORDER BY ${pos} LIMIT ${limit}) ` +
      `SELECT (hashtext(s) & 2147483647) % ${params.add(parts)}::int AS part, count(*)::int AS n, max(p)::text AS last, ` +
      `'[' || string_agg(j, ',' ORDER BY p) || ']' AS events FROM page GROUP BY 1`;
    const { rows } = await this.pool.query<[number, number, string, string]>({ text: sql, values: params.values, rowMode: 'array' });
    const keys = this.mapping.metadataKeys;
    // Ids kept in the metadata are read from it by the fold (cheaper there than per row here).
    const metadataKeys =
      keys && c.metadata
        ? {
            ...(keys.correlationId && !c.correlationId ? { correlationId: keys.correlationId } : {}),
            ...(keys.causationId && !c.causationId ? { causationId: keys.causationId } : {}),
          }
        : undefined;
    const page: FeedTextPage = {
      parts: new Array<string>(parts).fill('[]'),
      counts: new Array<number>(parts).fill(0),
      end: options.throughPosition,
      ...(metadataKeys && (metadataKeys.correlationId || metadataKeys.causationId) ? { metadataKeys } : {}),
    };
    let read = 0;
    let last = 0n;
    for (const [part, n, lastPosition, events] of rows) {
      page.parts[part] = events;
      page.counts[part] = n;
      read += n;
      if (BigInt(lastPosition) > last) last = BigInt(lastPosition);
    }
    if (read >= Math.floor(options.limit)) page.end = last.toString();
    return page;
  }

  /** One event of the feed as a JSON object (FeedTextPage's shape), built by PostgreSQL. */
  private feedEventJson(): string {
    const c = this.mapping.columns;
    const integer = (name: string | undefined) => INTEGER_TYPES.includes(this.schemaInfo.events.get(name ?? '')?.udtName ?? '');
    const text = (name: string | undefined) =>
      !name ? `'null'` : integer(name) ? `coalesce('"' || ${this.col(name)}::text || '"', 'null')` : `coalesce(to_json(${this.col(name)}::text)::text, 'null')`;
    const json = (name: string | undefined) => (name ? `coalesce(${this.col(name)}::text, 'null')` : `'null'`);
    const iso = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
    const ts =
      c.timestamp === undefined || this.tsKind === 'none'
        ? `'null'`
        : `coalesce('"' || to_char(${this.col(c.timestamp)}${this.tsKind === 'timestamptz' ? ` AT TIME ZONE 'UTC'` : ''}, ${iso}) || '"', 'null')`;
    const sep = this.mapping.categoryFromStreamId?.separator;
    const category = this.categoryExpr
      ? `coalesce(to_json(${this.categoryExpr}::text)::text, 'null')`
      : sep !== undefined
        ? sep === ''
          ? `'""'`
          : `to_json(split_part(${this.streamExpr}::text, ${sqlString(sep)}, 1))::text`
        : `'null'`;
    const fields: [string, string][] = [
      ['streamId', `to_json(${this.streamExpr}::text)::text`],
      ['category', category],
      ['version', `${this.col(c.version)}::text`],
      ['type', `to_json(${this.col(c.type)}::text)::text`],
      ['data', json(c.data)],
      ['metadata', json(c.metadata)],
      ['timestamp', ts],
      ['position', text(c.position)],
      ['eventId', text(c.eventId)],
      ['correlationId', text(c.correlationId)],
      ['causationId', text(c.causationId)],
    ];
    return `'{' || ${fields.map(([name, value], i) => `'${i ? ',' : ''}"${name}":' || ${value}`).join(' || ')} || '}'`;
  }

  /** Correlation, causation and JSON-field conditions, each with the expression an index would need. */
  private jsonFilters(options: ReadFeedOptions, params: Params): { sql: string; expression: string; equality: boolean; label: string }[] {
    const c = this.mapping.columns;
    const keys = this.mapping.metadataKeys;
    const out: { sql: string; expression: string; equality: boolean; label: string }[] = [];
    const byId = (value: string | undefined, column: string | undefined, key: string | undefined, label: string) => {
      if (value === undefined) return;
      if (column) {
        out.push({ sql: `${this.col(column)}::text = ${params.add(value)}`, expression: quoteIdent(column), equality: true, label });
        return;
      }
      if (!key || !c.metadata) throw new StoreCapabilityError(`this store records no ${label}`);
      out.push(this.jsonCondition(c.metadata, [key], 'equals', value, params, label));
    };
    byId(options.correlationId, c.correlationId, keys?.correlationId, 'correlation id');
    byId(options.causationId, c.causationId, keys?.causationId, 'causation id');
    if (options.field) {
      const column = options.field.in === 'data' ? c.data : c.metadata;
      if (!column) throw new StoreCapabilityError(`this store has no ${options.field.in} column`);
      if (options.field.path.length === 0) throw new StoreInputError('field path is empty');
      out.push(
        this.jsonCondition(column, options.field.path, options.field.op, options.field.value, params, `${options.field.in}.${options.field.path.join('.')}`),
      );
    }
    return out;
  }

  private jsonCondition(column: string, path: string[], op: 'equals' | 'contains', value: string, params: Params, label: string) {
    const type = this.schemaInfo.events.get(column)?.udtName;
    if (type !== 'jsonb' && type !== 'json') throw new StoreCapabilityError(`${column} is ${type ?? 'not'} JSON: its fields cannot be filtered`);
    // A literal path keeps the expression matchable by an expression index; it is quoted as a SQL string literal.
    const literalPath = sqlString(`{${path.map((p) => `"${p.replace(/["\\]/g, (ch) => `\\${ch}`)}"`).join(',')}}`);
    const expression = `(${this.col(column)} #>> ${literalPath})`;
    const sql = op === 'equals' ? `${expression} = ${params.add(value)}` : `${expression} ILIKE ${params.add(`%${likeEscape(value)}%`)}`;
    return { sql, expression: `(${quoteIdent(column)} #>> ${literalPath})`, equality: op === 'equals', label };
  }

  /** Checks the table's indexes for each filtered expression; says what is missing and how to add it. */
  private async indexAdvice(filters: { expression: string; equality: boolean; label: string }[]): Promise<IndexAdvice[]> {
    const { rows } = await this.pool.query<{ indexdef: string }>('SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2', [
      this.mapping.schema ?? 'public',
      this.mapping.table,
    ]);
    const normalise = (text: string) =>
      text
        .replace(/[\s()"]/g, '')
        .replace(/::text(\[\])?/g, '')
        .toLowerCase();
    const defs = rows.map((r) => normalise(r.indexdef));
    const table = qualifiedName(this.mapping.schema, this.mapping.table);
    const advice: IndexAdvice[] = [];
    for (const filter of filters) {
      if (defs.some((d) => d.includes(normalise(filter.expression)))) continue;
      if (!filter.equality) {
        advice.push({ message: `Filtering on ${filter.label} by substring scans ${table}; narrow it with a type, category or time range on large stores.` });
        continue;
      }
      const name = `${this.mapping.table}_${filter.label.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}_idx`.slice(0, 63);
      const position = this.mapping.columns.position ? `, ${quoteIdent(this.mapping.columns.position)}` : '';
      advice.push({
        message: `No index on ${table} serves the ${filter.label} filter: this read scans the table in position order until it fills a page.`,
        ddl: `CREATE INDEX CONCURRENTLY ${quoteIdent(name)} ON ${table} (${filter.expression}${position});`,
      });
    }
    return advice;
  }

  async histogram(options: HistogramOptions): Promise<HistogramResult> {
    const ts = this.mapping.columns.timestamp;
    if (!ts || this.tsKind === 'none') throw new StoreCapabilityError('this store has no timestamp column: there is no timeline');
    const params = new Params();
    const where = [...this.baseWhere(params), ...this.timeWhere(options.from, options.to, params)];
    if (options.eventTypes?.length) where.push(`${this.col(this.mapping.columns.type)} = ANY(${params.add(options.eventTypes)}::text[])`);
    const instant =
      this.tsKind === 'timestamptz' ? this.col(ts) : this.tsKind === 'timestamp-utc' ? `(${this.col(ts)} AT TIME ZONE 'UTC')` : `${this.col(ts)}::timestamptz`;
    // date_trunc in UTC, so buckets do not depend on the server's time zone.
    const bucket = `date_trunc(${params.add(options.bucket)}, ${instant} AT TIME ZONE 'UTC')`;
    const sql = `SELECT to_char(${bucket}, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS at, ${this.col(this.mapping.columns.type)}::text AS type, count(*)::bigint AS count
      FROM ${qualifiedName(this.mapping.schema, this.mapping.table)} AS e WHERE ${where.join(' AND ')} GROUP BY 1, 2`;
    const { rows } = await this.pool.query<{ at: string; type: string; count: string }>(sql, params.values);
    return summariseHistogram(
      rows.map((r) => ({ at: r.at, type: r.type, count: Number(r.count) })),
      false,
    );
  }

  async largestStreams(limit: number): Promise<LargestStream[]> {
    const params = new Params();
    const where = this.baseWhere(params);
    const sql = `SELECT ${this.streamExpr}::text AS stream_id, ${this.categoryExpr ? `min(${this.categoryExpr}::text)` : 'NULL'} AS category, count(*)::bigint AS n
      FROM ${this.from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} GROUP BY 1 ORDER BY n DESC, 1 LIMIT ${params.add(Math.min(Math.max(1, limit), 100))}`;
    const { rows } = await this.pool.query<{ stream_id: string; category: string | null; n: string }>(sql, params.values);
    return rows.map((r) => ({ streamId: r.stream_id, category: r.category ?? this.categoryFromId(r.stream_id), eventCount: Number(r.n) }));
  }

  /**
   * Events and streams counted within the scan budget; past it (or on a table the planner
   * puts over COUNT_AT_MOST rows, not worth trying) the planner's estimate of the events.
   */
  async counts(): Promise<StoreCounts> {
    const { rows: stats } = await this.pool.query<{ n: string | null }>(`SELECT reltuples::bigint::text AS n FROM pg_class WHERE oid = $1::regclass`, [
      qualifiedName(this.mapping.schema, this.mapping.table),
    ]);
    // reltuples is -1 on a table never analysed (PostgreSQL 14+) and 0 or -1 on a partitioned parent: no estimate, not "0".
    const planned = Number(stats[0]?.n ?? -1);
    const estimate = Math.max(0, planned);
    if (estimate <= COUNT_AT_MOST) {
      const params = new Params();
      const where = this.baseWhere(params);
      const sql = `SELECT count(*)::text AS events, count(DISTINCT ${this.streamExpr})::text AS streams FROM ${this.from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`;
      const counted = await this.withinScanBudget<{ events: string; streams: string }>(sql, params.values);
      const row = counted?.rows[0];
      if (row) return { events: { count: Number(row.events), exact: true }, streams: { count: Number(row.streams), exact: true } };
    }
    return { events: planned < 0 ? null : { count: estimate, exact: false }, streams: null };
  }

  positionRanges(): PositionRanges | null {
    const position = this.mapping.columns.position;
    return position ? new PostgresPositionRanges(this.pool, { ...this.mapping, columns: { ...this.mapping.columns, position } }, this.tsKind) : null;
  }

  async headPosition(): Promise<string | null> {
    const position = this.mapping.columns.position;
    if (!position) throw new StoreCapabilityError(`${qualifiedName(this.mapping.schema, this.mapping.table)} has no global position column`);
    const params = new Params();
    const where = this.baseWhere(params);
    const pos = this.col(position);
    const sql = `SELECT ${pos}::text AS position FROM ${qualifiedName(this.mapping.schema, this.mapping.table)} AS e${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${pos} DESC LIMIT 1`;
    const result = await this.pool.query<{ position: string }>(sql, params.values);
    return result.rows[0]?.position ?? null;
  }

  watchTransactions(): Promise<TransactionWatch | null> {
    return watchTransactions(this.pool);
  }

  async listenForAppends(): Promise<AppendSignal | null> {
    return this.notifyChannel === null ? null : listen(this.pool, this.notifyChannel);
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }
}

/** Versions strictly ascending, the last one `last` (every row of the range encoded). */
function ascendingTo(versions: readonly number[], last: number): boolean {
  for (let i = 1; i < versions.length; i++) if (!(versions[i]! > versions[i - 1]!)) return false;
  return versions.length === 0 || versions[versions.length - 1] === last;
}
