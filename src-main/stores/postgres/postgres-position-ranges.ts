import type pg from 'pg';
import { checkPosition, StoreCapabilityError } from '../event-store';
import { extrapolateCategoryLag, extrapolateLag, type PositionLag, type PositionRanges, type RangeEvent, type RangeSummary } from '../position-ranges';
import { qualifiedName, quoteIdent, type PostgresEventMapping } from './mapping';

/** How the events table keeps time, as the event store found it. */
export type RangeTimestampKind = 'timestamptz' | 'timestamp-utc' | 'text' | 'none';

class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

interface EdgeRow {
  position: string;
  stream_id: string;
  type: string;
  ts: Date | string | null;
}

/**
 * Position-range reads over a mapped PostgreSQL events table. Every count is an
 * index range scan on the position column bounded by the window, so the cost of
 * a lag does not grow with how far behind a projector is.
 */
export class PostgresPositionRanges implements PositionRanges {
  private readonly table: string;
  private readonly pos: string;

  constructor(
    private readonly pool: pg.Pool,
    private readonly mapping: PostgresEventMapping & { columns: { position: string } },
    private readonly tsKind: RangeTimestampKind,
  ) {
    this.table = `${qualifiedName(mapping.schema, mapping.table)} AS e`;
    this.pos = `e.${quoteIdent(mapping.columns.position)}`;
  }

  private baseWhere(params: Params): string[] {
    return (this.mapping.where ?? []).map((w) => `e.${quoteIdent(w.column)} = ${params.add(w.equals)}`);
  }

  /** The timestamp as an instant, or null where the store keeps none. */
  private instant(): string | null {
    const ts = this.mapping.columns.timestamp;
    if (!ts || this.tsKind === 'none') return null;
    const col = `e.${quoteIdent(ts)}`;
    if (this.tsKind === 'timestamp-utc') return `(${col} AT TIME ZONE 'UTC')`;
    if (this.tsKind === 'text') return `(${col}::text)::timestamptz`;
    return col;
  }

  async lagBehind(positions: readonly string[], head: string, window: number, category?: string): Promise<Map<string, PositionLag>> {
    checkPosition(head, 'the head position');
    const distinct = [...new Set(positions.map((p) => checkPosition(p, 'a checkpoint position')))];
    const out = new Map<string, PositionLag>();
    if (distinct.length === 0) return out;
    if (category !== undefined) return this.categoryLagBehind(distinct, head, window, category);
    const params = new Params();
    const base = this.baseWhere(params);
    const extra = base.length ? ` AND ${base.join(' AND ')}` : '';
    const headParam = params.add(head);
    const windowParam = params.add(window);
    const instant = this.instant();
    const oldest = instant
      ? `(SELECT ${instant} FROM ${this.table} WHERE ${this.pos} > p.pos AND ${this.pos} <= ${headParam}::bigint${extra} ORDER BY ${this.pos} LIMIT 1)`
      : 'NULL::timestamptz';
    const sql = `SELECT p.pos::text AS pos,
        (SELECT count(*) FROM ${this.table} WHERE ${this.pos} > p.pos AND ${this.pos} <= LEAST(${headParam}::bigint, p.pos + ${windowParam}::bigint)${extra})::int AS n,
        ${oldest} AS oldest
      FROM unnest(${params.add(distinct)}::bigint[]) AS p(pos)`;
    const { rows } = await this.pool.query<{ pos: string; n: number; oldest: Date | string | null }>(sql, params.values);
    for (const row of rows) {
      const lag = extrapolateLag(BigInt(row.pos), BigInt(head), row.n, window);
      out.set(row.pos, { ...lag, oldestUnprocessedAt: isoOf(row.oldest) });
    }
    return out;
  }

  /**
   * Counts the category's own events after each position, at most `window` + 1 of
   * them: a category that is a small share of the store is counted exactly however
   * far apart its events are, and the rate up to the last counted one estimates more.
   */
  private async categoryLagBehind(positions: string[], head: string, window: number, category: string): Promise<Map<string, PositionLag>> {
    const categoryOf = await this.categoryExpression();
    const params = new Params();
    const base = this.baseWhere(params);
    const after = `${categoryOf(params)} = ${params.add(category)} AND ${this.pos} > p.pos AND ${this.pos} <= ${params.add(head)}::bigint${base.length ? ` AND ${base.join(' AND ')}` : ''}`;
    const windowParam = params.add(window);
    const instant = this.instant();
    const sql = `SELECT p.pos::text AS pos,
        (SELECT count(*) FROM (SELECT 1 FROM ${this.table} WHERE ${after} LIMIT ${windowParam}::int + 1) AS counted)::int AS n,
        (SELECT ${this.pos}::text FROM ${this.table} WHERE ${after} ORDER BY ${this.pos} OFFSET ${windowParam}::int LIMIT 1) AS reached,
        ${instant ? `(SELECT ${instant} FROM ${this.table} WHERE ${after} ORDER BY ${this.pos} LIMIT 1)` : 'NULL::timestamptz'} AS oldest
      FROM unnest(${params.add(positions)}::bigint[]) AS p(pos)`;
    const { rows } = await this.pool.query<{ pos: string; n: number; reached: string | null; oldest: Date | string | null }>(sql, params.values);
    const out = new Map<string, PositionLag>();
    for (const row of rows) {
      const lag = extrapolateCategoryLag(BigInt(row.pos), BigInt(head), row.n, window, row.reached === null ? null : BigInt(row.reached));
      out.set(row.pos, { ...lag, oldestUnprocessedAt: isoOf(row.oldest) });
    }
    return out;
  }

  private categoryExpressionFound?: Promise<(params: Params) => string>;

  /**
   * The category of an event row: its stream type column, or the stream id up to the
   * separator. Where an index is built on the schema's own `category(<stream id>)`
   * (Message DB's install), that very expression, so the count walks the index.
   */
  private categoryExpression(): Promise<(params: Params) => string> {
    this.categoryExpressionFound ??= (async () => {
      const { streamType, streamId } = this.mapping.columns;
      if (streamType) return () => `e.${quoteIdent(streamType)}`;
      const separator = this.mapping.categoryFromStreamId?.separator;
      if (separator === undefined) throw new StoreCapabilityError('this store has no stream type / category: lag cannot be counted within a category');
      const schema = this.mapping.schema ?? 'public';
      const { rows } = await this.pool.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2`, [
        schema,
        this.mapping.table,
      ]);
      const column = `e.${quoteIdent(streamId)}`;
      if (separator === '-' && rows.some((r) => indexesCategoryOf(r.indexdef, schema, streamId))) return () => `${quoteIdent(schema)}.category(${column})`;
      return (params: Params) => `split_part(${column}::text, ${params.add(separator)}, 1)`;
    })();
    // A failed look-up (the server was away) is tried again next time.
    this.categoryExpressionFound.catch(() => (this.categoryExpressionFound = undefined));
    return this.categoryExpressionFound;
  }

  async summarize(after: string, upTo: string): Promise<RangeSummary> {
    checkPosition(after, 'the range start');
    checkPosition(upTo, 'the range end');
    const params = new Params();
    const where = [`${this.pos} > ${params.add(after)}::bigint`, `${this.pos} <= ${params.add(upTo)}::bigint`, ...this.baseWhere(params)].join(' AND ');
    const type = `e.${quoteIdent(this.mapping.columns.type)}`;
    const { rows } = await this.pool.query<{ type: string; n: string }>(
      `SELECT ${type}::text AS type, count(*)::bigint AS n FROM ${this.table} WHERE ${where} GROUP BY 1 ORDER BY 2 DESC, 1`,
      params.values,
    );
    const byType = rows.map((r) => ({ type: r.type, count: Number(r.n) }));
    const edge = async (order: 'ASC' | 'DESC'): Promise<RangeEvent | null> => {
      const instant = this.instant() ?? 'NULL::timestamptz';
      const { rows: found } = await this.pool.query<EdgeRow>(
        `SELECT ${this.pos}::text AS position, e.${quoteIdent(this.mapping.columns.streamId)}::text AS stream_id, ${type}::text AS type, ${instant} AS ts
           FROM ${this.table} WHERE ${where} ORDER BY ${this.pos} ${order} LIMIT 1`,
        params.values,
      );
      const row = found[0];
      return row ? { position: row.position, streamId: row.stream_id, type: row.type, timestamp: isoOf(row.ts) } : null;
    };
    // One after the other: PGlite's socket server serves one statement at a time anyway.
    const first = byType.length ? await edge('ASC') : null;
    const last = byType.length ? await edge('DESC') : null;
    return { count: byType.reduce((n, t) => n + t.count, 0), byType, first, last };
  }

  async lastPositionBefore(at: Date): Promise<string | null> {
    const instant = this.instant();
    if (!instant) return null;
    const params = new Params();
    const where = [`${instant} < ${params.add(at.toISOString())}::timestamptz`, ...this.baseWhere(params)].join(' AND ');
    const { rows } = await this.pool.query<{ p: string | null }>(`SELECT max(${this.pos})::text AS p FROM ${this.table} WHERE ${where}`, params.values);
    return rows[0]?.p ?? null;
  }
}

/** Message DB's index reads `<schema>.category((stream_name)::character varying)`: the cast and quotes vary. */
export function indexesCategoryOf(indexdef: string, schema: string, streamId: string): boolean {
  const name = (text: string) => `"?${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?`;
  return new RegExp(`${name(schema)}\\.category\\(\\(?${name(streamId)}\\)?(::[a-z ]+)?\\)`).test(indexdef);
}

function isoOf(value: Date | string | null): string | null {
  if (value === null) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
}
