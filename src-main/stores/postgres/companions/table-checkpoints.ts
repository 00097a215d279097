import type pg from 'pg';
import { checkPosition } from '../../event-store';
import type { CheckpointKey, CheckpointStore, CheckpointTransaction, CheckpointView, SetPositionResult } from '../../ports/checkpoint-store';
import { CompanionLayoutError } from '../../ports/errors';
import type { TableCheckpointLayout } from '../../ports/layouts';
import { qualifiedName, quoteIdent } from '../mapping';
import { joinedSession, poolSession, sessionTransaction, type SqlSession } from './sql-session';
import {
  POSITION_TYPES,
  POSITION_WHAT,
  TIME_OR_TEXT_TYPES,
  checkColumns,
  companionColumns,
  instantColumn,
  instantText,
  isTextType,
  nowFor,
} from './table-columns';

interface Row {
  n: string;
  s: string | null;
  p: string | null;
  u: unknown;
  e: unknown[] | null;
}

const DIGITS = /^\d{1,20}$/;

/**
 * Checkpoints kept one row per projector (and source) in a table. Positions are
 * compared and written where they are: `UPDATE ... WHERE position IS NOT DISTINCT
 * FROM $expected` is the compare-and-set.
 */
export class TableCheckpoints implements CheckpointStore {
  readonly atomic = true;
  private constructor(
    private readonly session: SqlSession,
    private readonly layout: TableCheckpointLayout,
    private readonly schema: string,
    /** Positions kept as text (Emmett): compared and written zero-padded. */
    private readonly padTo: number | null,
    /** Type of the updated-at column, written in its own kind. */
    private readonly updatedAtType: string | undefined,
  ) {}

  static async open(pool: pg.Pool, layout: TableCheckpointLayout, schema: string): Promise<TableCheckpoints> {
    const source = qualifiedName(schema, layout.table);
    const columns = await companionColumns(pool, schema, layout.table, `${layout.kind} checkpoints`);
    const c = layout.columns;
    const positionType = columns.get(c.position);
    const textAllowed = layout.textPositions !== undefined && isTextType(positionType);
    checkColumns(source, columns, {
      name: { column: c.name },
      source: { column: c.source },
      position: { column: c.position, ...(textAllowed ? {} : { types: POSITION_TYPES, what: POSITION_WHAT }) },
      'updated at': { column: c.updatedAt, types: TIME_OR_TEXT_TYPES, what: 'a timestamp type or ISO-8601 text' },
      version: { column: c.version, types: POSITION_TYPES, what: 'an integer type' },
      ...Object.fromEntries((c.extras ?? []).map((e) => [e, { column: e }])),
    });
    return new TableCheckpoints(
      poolSession(pool),
      layout,
      schema,
      textAllowed ? layout.textPositions!.padTo : null,
      c.updatedAt ? columns.get(c.updatedAt) : undefined,
    );
  }

  private get table(): string {
    return qualifiedName(this.schema, this.layout.table);
  }

  sources(): string[] {
    return [this.table];
  }

  stores(): string[] {
    return [this.layout.table];
  }

  transaction<T>(work: (store: CheckpointStore) => Promise<T>): Promise<T> {
    return sessionTransaction<CheckpointStore, T>(this.session, this, (client) => this.joining(client), work);
  }

  joining(client: CheckpointTransaction): CheckpointStore {
    return new TableCheckpoints(joinedSession(client), this.layout, this.schema, this.padTo, this.updatedAtType);
  }

  async list(): Promise<CheckpointView[]> {
    const { rows } = await this.session.db.query<Row>(`${this.select()} ORDER BY 1, 2`);
    return rows.map((r) => this.view(r));
  }

  async read(key: CheckpointKey): Promise<CheckpointView | null> {
    if (!this.owns(key)) return null;
    const [where, params] = this.whereKey(key);
    const { rows } = await this.session.db.query<Row>(`${this.select(where)}`, params);
    return rows[0] ? this.view(rows[0]) : null;
  }

  async setPosition(key: CheckpointKey, expected: string | null, next: string): Promise<SetPositionResult> {
    checkPosition(next, 'the new position');
    if (expected !== null) checkPosition(expected, 'the expected position');
    if (!this.owns(key)) throw new CompanionLayoutError(`${this.table} holds no checkpoint of ${JSON.stringify(key.store)}.`);
    const current = await this.read(key);
    if (current?.role === 'mark') throw new CompanionLayoutError(`${key.projector} is the store's own mark, not a projector: it is not reset.`);
    if (current?.extras?.unreadablePosition !== undefined) {
      throw new CompanionLayoutError(
        `${this.table} holds position ${JSON.stringify(current.extras.unreadablePosition)} for ${key.projector}, which is not a number: it is not reset.`,
      );
    }
    const c = this.layout.columns;
    const [where, params] = this.whereKey(key);
    if (expected !== null && next === expected) {
      // A hold (a swap keeping the projector where it is): the row lock only; writing would stamp the updated-at column
      // and make a stalled projector look alive.
      const held = await this.session.db.query(`SELECT 1 FROM ${this.table} WHERE ${where} AND ${quoteIdent(c.position)} = $${params.length + 1} FOR UPDATE`, [
        ...params,
        this.stored(expected),
      ]);
      const now = await this.read(key);
      return (held.rowCount ?? 0) > 0 && now ? { outcome: 'applied', checkpoint: now } : { outcome: 'moved', checkpoint: now };
    }
    const set = [`${quoteIdent(c.position)} = $${params.length + 1}`];
    if (c.updatedAt) set.push(`${quoteIdent(c.updatedAt)} = ${nowFor(this.updatedAtType)}`);
    const { rowCount } = await this.session.db.query(
      `UPDATE ${this.table} SET ${set.join(', ')} WHERE ${where} AND ${quoteIdent(c.position)} IS NOT DISTINCT FROM $${params.length + 2}`,
      [...params, this.stored(next), expected === null ? null : this.stored(expected)],
    );
    const applied = (rowCount ?? 0) > 0 || (expected === null && current === null && (await this.insert(key, next)));
    const after = await this.read(key);
    return applied && after ? { outcome: 'applied', checkpoint: after } : { outcome: 'moved', checkpoint: after };
  }

  /** A projector seen for the first time: its row is created, unless another writer created it first. */
  private async insert(key: CheckpointKey, next: string): Promise<boolean> {
    const c = this.layout.columns;
    if (this.padTo !== null) {
      throw new CompanionLayoutError(`${this.table} has no row for ${key.projector}: its processor creates it on first run; start it once before resetting.`);
    }
    const columns = [c.name, c.position, ...(c.source ? [c.source] : []), ...(c.updatedAt ? [c.updatedAt] : [])];
    const values = ['$1', '$2', ...(c.source ? ['$3'] : []), ...(c.updatedAt ? [nowFor(this.updatedAtType)] : [])];
    const { rowCount } = await this.session.db.query(
      `INSERT INTO ${this.table} (${columns.map(quoteIdent).join(', ')}) VALUES (${values.join(', ')}) ON CONFLICT DO NOTHING`,
      [this.nameOf(key), this.stored(next), ...(c.source ? [key.source] : [])],
    );
    return (rowCount ?? 0) > 0;
  }

  private owns(key: CheckpointKey): boolean {
    return key.store === this.layout.table && (this.layout.columns.source !== undefined || key.source === '' || this.layout.shardSeparator !== undefined);
  }

  private select(where?: string): string {
    const c = this.layout.columns;
    const q = quoteIdent;
    const extras = c.extras?.length ? `ARRAY[${c.extras.map((e) => `${q(e)}::text`).join(', ')}]` : 'NULL::text[]';
    const distinct = c.version ? `DISTINCT ON (${q(c.name)}${c.source ? `, ${q(c.source)}` : ''}) ` : '';
    const order = c.version ? ` ORDER BY ${q(c.name)}${c.source ? `, ${q(c.source)}` : ''}, ${q(c.version)} DESC` : '';
    const inner = `SELECT ${distinct}${q(c.name)}::text AS n, ${c.source ? `${q(c.source)}::text` : 'NULL::text'} AS s, ${q(c.position)}::text AS p,
      ${c.updatedAt ? instantColumn(c.updatedAt, this.updatedAtType) : 'NULL'} AS u, ${extras} AS e${c.version ? `, ${q(c.version)}::text AS v` : ''}
      FROM ${this.table}${where ? ` WHERE ${where}` : ''}${order}`;
    return `SELECT * FROM (${inner}) AS checkpoints`;
  }

  /** The row of a key (for Emmett: the processor's highest version). */
  private whereKey(key: CheckpointKey): [string, unknown[]] {
    const c = this.layout.columns;
    const params: unknown[] = [this.nameOf(key)];
    const parts = [`${quoteIdent(c.name)} = $1`];
    if (c.source) {
      params.push(key.source);
      parts.push(`${quoteIdent(c.source)} = $2`);
    }
    if (c.version) {
      const same = parts.join(' AND ');
      parts.push(`${quoteIdent(c.version)} = (SELECT max(${quoteIdent(c.version)}) FROM ${this.table} WHERE ${same})`);
    }
    return [parts.join(' AND '), params];
  }

  private nameOf(key: CheckpointKey): string {
    const sep = this.layout.shardSeparator;
    return sep !== undefined && key.source !== '' ? `${key.projector}${sep}${key.source}` : key.projector;
  }

  private stored(position: string): string {
    return this.padTo === null ? position : position.padStart(this.padTo, '0');
  }

  private view(row: Row & { v?: string }): CheckpointView {
    const sep = this.layout.shardSeparator;
    let projector = row.n;
    let source = row.s ?? '';
    if (sep !== undefined && row.s === null) {
      const at = row.n.indexOf(sep);
      if (at > 0) [projector, source] = [row.n.slice(0, at), row.n.slice(at + sep.length)];
    }
    const extras: Record<string, unknown> = {};
    (this.layout.columns.extras ?? []).forEach((name, i) => (extras[name] = row.e?.[i] ?? null));
    if (row.v !== undefined) extras.version = Number(row.v);
    let position: string | null = null;
    if (row.p !== null) {
      const trimmed = this.padTo === null ? row.p : row.p.replace(/^0+(?=\d)/, '');
      if (DIGITS.test(trimmed)) position = trimmed;
      else extras.unreadablePosition = row.p;
    }
    return {
      store: this.layout.table,
      kind: this.layout.kind,
      projector,
      source,
      role: this.layout.marks?.includes(row.n) ? 'mark' : 'projector',
      position,
      updatedAt: instantText(row.u),
      ...(Object.keys(extras).length > 0 ? { extras } : {}),
    };
  }
}
