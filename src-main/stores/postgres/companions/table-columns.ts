import type pg from 'pg';
import { CompanionLayoutError, CompanionNotFoundError } from '../../ports/errors';
import { INTEGER_TYPES, TEXT_TYPES } from '../column-types';
import { qualifiedName, quoteIdent } from '../mapping';

export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/** column name -> udt_name of a companion table. */
export type ColumnTypes = Map<string, string>;

/**
 * The columns of a table beside the events, or a not-found sentence naming it
 * and what it should have held (`what`: "Marten's projection progress").
 */
export async function companionColumns(db: Queryable, schema: string, table: string, what: string): Promise<ColumnTypes> {
  const { rows } = await db.query<{ column_name: string; udt_name: string }>(
    'SELECT column_name, udt_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
    [schema, table],
  );
  if (rows.length === 0) {
    throw new CompanionNotFoundError(
      `Table ${qualifiedName(schema, table)} does not exist (or this user may not read it): this database keeps no ${what} there.`,
    );
  }
  return new Map(rows.map((r) => [r.column_name, r.udt_name]));
}

export interface ColumnRule {
  column: string | undefined;
  /** Accepted udt_names; any type when absent. */
  types?: readonly string[];
  what?: string;
}

/** Every named column exists and has a type it can be read as; otherwise one sentence naming each problem. */
export function checkColumns(source: string, columns: ColumnTypes, rules: Record<string, ColumnRule>): void {
  const problems: string[] = [];
  for (const [role, rule] of Object.entries(rules)) {
    if (rule.column === undefined) continue;
    const type = columns.get(rule.column);
    if (type === undefined) problems.push(`${source}.${rule.column} (${role}) does not exist`);
    else if (rule.types && !rule.types.includes(type))
      problems.push(`${source}.${rule.column} (${role}) is ${type}, not ${rule.what ?? rule.types.join(', ')}`);
  }
  if (problems.length > 0) throw new CompanionLayoutError(`${problems.join('; ')}. Check the layout against the table.`, problems);
}

export const POSITION_TYPES = INTEGER_TYPES;
export const POSITION_WHAT = 'an integer type (smallint, integer, bigint, numeric): a checkpoint position must be a number to compare and reset it';
export const JSON_OR_TEXT_TYPES = ['json', 'jsonb', 'bytea', ...TEXT_TYPES];
export const TIME_OR_TEXT_TYPES = ['timestamptz', 'timestamp', 'date', ...TEXT_TYPES];

/** ISO-8601 from a timestamp value (Date) or the store's own text. */
export function instantText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  return String(value);
}

export function isTextType(udt: string | undefined): boolean {
  return udt !== undefined && TEXT_TYPES.includes(udt);
}

/** A time column as an instant: a timestamp without zone is read as UTC (as stores write it), other types as they are. */
export function instantColumn(column: string, udt: string | undefined): string {
  return udt === 'timestamp' ? `(${quoteIdent(column)} AT TIME ZONE 'UTC')` : quoteIdent(column);
}

/** The current instant in the column's own kind: UTC wall time without zone, ISO-8601 text, or timestamptz. */
export function nowFor(udt: string | undefined): string {
  if (udt === 'timestamp') return `(now() AT TIME ZONE 'UTC')`;
  if (isTextType(udt)) return `to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  return 'now()';
}
