import type pg from 'pg';
import { clampLimit, decodePayload, parseInstant, StoreInputError } from '../../event-store';
import type { StreamColumnSnapshotLayout, TableSnapshotLayout } from '../../ports/layouts';
import {
  decodeSnapshotCursor,
  encodeSnapshotCursor,
  snapshotRefusals,
  type ListSnapshotsOptions,
  type SnapshotStatePage,
  type SnapshotFilter,
  type SnapshotKey,
  type SnapshotPage,
  type SnapshotStore,
  type SnapshotView,
  type StoredSnapshot,
} from '../../ports/snapshot-store';
import { qualifiedName, quoteIdent } from '../mapping';
import {
  JSON_OR_TEXT_TYPES,
  POSITION_TYPES,
  TIME_OR_TEXT_TYPES,
  checkColumns,
  companionColumns,
  instantColumn,
  instantText,
  isTextType,
  nowFor,
  type ColumnTypes,
} from './table-columns';

interface Row {
  snap_stream_id: string;
  snap_stream_type: string | null;
  snap_version: string;
  snap_taken_at: unknown;
  snap_schema_version: string | null;
  snap_size_bytes: string;
  snap_state?: unknown;
}

/**
 * Snapshots in PostgreSQL: a table of their own, one row per stream and version
 * (reference, Eventuous, Axon), or a column of the stream's row (Marten's
 * `mt_streams.snapshot`, deleted by clearing it). Listed in keyset pages on
 * (stream id, version); sizes are the bytes of the stored JSON text (or bytea).
 */
export class TableSnapshots implements SnapshotStore {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly layout: TableSnapshotLayout | StreamColumnSnapshotLayout,
    private readonly schema: string,
    private readonly types: ColumnTypes,
  ) {}

  static async open(pool: pg.Pool, layout: TableSnapshotLayout | StreamColumnSnapshotLayout, schema: string): Promise<TableSnapshots> {
    const types = await companionColumns(pool, schema, layout.table, `${layout.kind} snapshots`);
    const c = layout.columns;
    checkColumns(qualifiedName(schema, layout.table), types, {
      'stream id': { column: c.streamId },
      'stream type': { column: c.streamType },
      version: { column: c.version, types: POSITION_TYPES, what: 'an integer type (smallint, integer, bigint, numeric)' },
      state: { column: c.state, types: JSON_OR_TEXT_TYPES, what: 'json, jsonb, text or bytea' },
      'taken at': { column: c.takenAt, types: TIME_OR_TEXT_TYPES, what: 'a timestamp type or ISO-8601 text' },
      'schema version': { column: 'schemaVersion' in c ? c.schemaVersion : undefined },
    });
    return new TableSnapshots(pool, layout, schema, types);
  }

  private get table(): string {
    return qualifiedName(this.schema, this.layout.table);
  }

  source(): string {
    return this.table;
  }

  async list(options: ListSnapshotsOptions = {}): Promise<SnapshotPage> {
    const { rows, limit } = await this.page(options, false);
    const snapshots = rows.slice(0, limit).map((r) => this.view(r));
    const last = snapshots[snapshots.length - 1];
    return { snapshots, nextCursor: rows.length > limit && last ? encodeSnapshotCursor(last) : null };
  }

  async read(key: SnapshotKey): Promise<StoredSnapshot | null> {
    const [where, params] = this.whereKey(key);
    const { rows } = await this.pool.query<Row>(`${this.select(true)} WHERE ${where}`, params);
    const row = rows[0];
    return row ? this.stored(row) : null;
  }

  async readPage(options: ListSnapshotsOptions = {}): Promise<SnapshotStatePage> {
    const { rows, limit } = await this.page(options, true);
    const snapshots = rows.slice(0, limit).map((r) => this.stored(r));
    const last = snapshots[snapshots.length - 1];
    return { snapshots, nextCursor: rows.length > limit && last ? encodeSnapshotCursor(last) : null };
  }

  async count(filter: SnapshotFilter): Promise<number> {
    const [where, params] = this.where(filter);
    const { rows } = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table} WHERE ${where.join(' AND ')}`, params);
    return Number(rows[0]?.n ?? 0);
  }

  async write(key: SnapshotKey, state: unknown): Promise<boolean> {
    const c = this.layout.columns;
    const type = this.types.get(c.state);
    const current = await this.read(key);
    if (!current) return false;
    snapshotRefusals.notJson(current, this.table);
    const [where, params] = this.whereKey(key);
    params.push(JSON.stringify(state));
    const value = `$${params.length}`;
    const encoded = type === 'jsonb' ? `${value}::jsonb` : type === 'json' ? `${value}::json` : type === 'bytea' ? `convert_to(${value}, 'UTF8')` : value;
    const sets = [`${quoteIdent(c.state)} = ${encoded}`];
    if (c.takenAt) sets.push(`${quoteIdent(c.takenAt)} = ${nowFor(this.types.get(c.takenAt))}`);
    const { rowCount } = await this.pool.query(`UPDATE ${this.table} SET ${sets.join(', ')} WHERE ${where}`, params);
    return (rowCount ?? 0) > 0;
  }

  private stored(row: Row): StoredSnapshot {
    const type = this.types.get(this.layout.columns.state);
    const state = decodePayload(row.snap_state);
    // json/jsonb are JSON by construction; text and bytea are when they parse.
    const isJson = type === 'json' || type === 'jsonb' || row.snap_state === null || !isUndecodable(row.snap_state);
    return { ...this.view(row), state, isJson };
  }

  private async page(options: ListSnapshotsOptions, withState: boolean): Promise<{ rows: Row[]; limit: number }> {
    const limit = clampLimit(options.limit);
    const [where, params] = this.where(options);
    const c = this.layout.columns;
    if (options.after !== undefined) {
      const after = decodeSnapshotCursor(options.after);
      params.push(after.streamId, after.version);
      where.push(`(${quoteIdent(c.streamId)}, ${quoteIdent(c.version)}) > ($${params.length - 1}, $${params.length})`);
    }
    params.push(limit + 1);
    const { rows } = await this.pool.query<Row>(
      // Qualified: a custom table may name a column like one of the select's aliases (`snap_version`), which ORDER BY would prefer.
      `${this.select(withState)} WHERE ${where.join(' AND ')} ORDER BY ${this.table}.${quoteIdent(c.streamId)}, ${this.table}.${quoteIdent(c.version)} LIMIT $${params.length}`,
      params,
    );
    return { rows, limit };
  }

  async delete(key: SnapshotKey): Promise<boolean> {
    const [where, params] = this.whereKey(key);
    const { rowCount } = await this.pool.query(`${this.deleteStatement()} WHERE ${where}`, params);
    return (rowCount ?? 0) > 0;
  }

  async deleteWhere(filter: SnapshotFilter, options: { dryRun: boolean }): Promise<{ count: number }> {
    snapshotRefusals.emptyDeleteFilter(filter);
    const [where, params] = this.where(filter);
    if (options.dryRun) {
      const { rows } = await this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table} WHERE ${where.join(' AND ')}`, params);
      return { count: Number(rows[0]?.n ?? 0) };
    }
    const { rowCount } = await this.pool.query(`${this.deleteStatement()} WHERE ${where.join(' AND ')}`, params);
    return { count: rowCount ?? 0 };
  }

  private deleteStatement(): string {
    const c = this.layout.columns;
    return this.layout.format === 'stream-column'
      ? `UPDATE ${this.table} SET ${quoteIdent(c.state)} = NULL, ${quoteIdent(c.version)} = NULL`
      : `DELETE FROM ${this.table}`;
  }

  private sizeExpression(): string {
    const state = quoteIdent(this.layout.columns.state);
    return this.types.get(this.layout.columns.state) === 'bytea' ? `octet_length(${state})` : `octet_length(${state}::text)`;
  }

  private select(withState: boolean): string {
    const c = this.layout.columns;
    const q = quoteIdent;
    const schemaVersion = 'schemaVersion' in c && c.schemaVersion ? `${q(c.schemaVersion)}::text` : 'NULL::text';
    // WHERE always means the table's columns; ORDER BY names them qualified (see page()).
    return `SELECT ${q(c.streamId)}::text AS snap_stream_id, ${c.streamType ? `${q(c.streamType)}::text` : 'NULL::text'} AS snap_stream_type, ${q(c.version)}::text AS snap_version,
      ${c.takenAt ? instantColumn(c.takenAt, this.types.get(c.takenAt)) : 'NULL'} AS snap_taken_at, ${schemaVersion} AS snap_schema_version, ${this.sizeExpression()}::text AS snap_size_bytes${withState ? `, ${q(c.state)} AS snap_state` : ''}
      FROM ${this.table}`;
  }

  /** Filters as parameterized conditions; a stream-column layout only lists rows that hold a snapshot. */
  private where(filter: SnapshotFilter): [string[], unknown[]] {
    const c = this.layout.columns;
    const q = quoteIdent;
    const where: string[] = [`${q(c.state)} IS NOT NULL`];
    const params: unknown[] = [];
    const add = (sql: (p: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (filter.streamType !== undefined) {
      if (!c.streamType) throw snapshotRefusals.unkeptField(this.table, 'streamType');
      add((p) => `${q(c.streamType!)} = ${p}`, filter.streamType);
    }
    if (filter.streamPrefix !== undefined)
      add((p) => `${q(c.streamId)}::text LIKE ${p} ESCAPE '\\'`, `${filter.streamPrefix.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`);
    if (filter.takenBefore !== undefined) {
      if (!c.takenAt) throw snapshotRefusals.unkeptField(this.table, 'takenAt');
      const before = parseInstant(filter.takenBefore, 'takenBefore');
      // Text times (Axon) are ISO-8601 and compare as text.
      add((p) => `${instantColumn(c.takenAt!, this.types.get(c.takenAt!))} < ${p}`, isTextType(this.types.get(c.takenAt)) ? before.toISOString() : before);
    }
    if (filter.versionBelow !== undefined) add((p) => `${q(c.version)} < ${p}`, wholeNumber(filter.versionBelow, 'versionBelow'));
    if (filter.minSizeBytes !== undefined) add((p) => `${this.sizeExpression()} >= ${p}`, wholeNumber(filter.minSizeBytes, 'minSizeBytes'));
    if (filter.maxSizeBytes !== undefined) add((p) => `${this.sizeExpression()} <= ${p}`, wholeNumber(filter.maxSizeBytes, 'maxSizeBytes'));
    return [where, params];
  }

  private whereKey(key: SnapshotKey): [string, unknown[]] {
    const c = this.layout.columns;
    return [
      `${quoteIdent(c.streamId)}::text = $1 AND ${quoteIdent(c.version)} = $2 AND ${quoteIdent(c.state)} IS NOT NULL`,
      [key.streamId, wholeNumber(key.version, 'version')],
    ];
  }

  private view(row: Row): SnapshotView {
    return {
      streamId: row.snap_stream_id,
      streamType: row.snap_stream_type,
      version: Number(row.snap_version),
      takenAt: instantText(row.snap_taken_at),
      sizeBytes: Number(row.snap_size_bytes),
      schemaVersion: row.snap_schema_version,
    };
  }
}

/** Text or bytes that are not JSON (decodePayload would answer `{text}` or `{hex}` for them). */
function isUndecodable(raw: unknown): boolean {
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : undefined;
  if (text === undefined) return false;
  try {
    JSON.parse(text.trim());
    return false;
  } catch {
    return true;
  }
}

function wholeNumber(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new StoreInputError(`${what} must be a whole number of 0 or more, got ${JSON.stringify(value)}`);
  return value;
}
