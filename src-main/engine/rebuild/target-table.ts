/**
 * A rebuild's target table made from its definition: a user definition declares
 * `columns` (name → type, key, NOT NULL, default), a built-in has the DDL of the
 * system it comes from. The DDL is written here from checked parts only (types from a
 * list, names quoted, defaults as escaped literals or a few functions), so the text
 * the dry run shows is exactly what runs.
 */
import type pg from 'pg';
import { ChronoError } from '../../../src-shared/errors';
import { qualifiedName, quoteIdent } from '../../stores/postgres/mapping';
import { inTransaction } from '../../stores/postgres/transaction';
import type { BuiltinReadModels } from './builtin-read-models';
import { checkModelName } from './postgres-target';
import type { ReadModelDefinition } from './read-model';

export interface TargetColumn {
  name: string;
  type: string;
  primaryKey: boolean;
  notNull: boolean;
  /** SQL text of the default, already rendered from a checked value. */
  defaultSql?: string;
}

const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const TYPE =
  /^(text|varchar\(\d{1,5}\)|char\(\d{1,5}\)|smallint|integer|int|bigint|numeric(\(\d{1,3}(, ?\d{1,3})?\))?|real|double precision|boolean|jsonb|json|date|timestamptz|timestamp|uuid|bytea)(\[\])?$/;
const DEFAULT_FUNCTIONS = ['now()', 'current_timestamp', 'current_date', 'gen_random_uuid()'];
const MAX_COLUMNS = 200;

/** A string literal that means the same whatever `standard_conforming_strings` is. */
function stringLiteral(text: string): string {
  if (text.includes('\u0000')) throw new ChronoError('definition_error', 'A column default may not contain a NUL character.');
  return `E'${text.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

function defaultSql(column: string, type: string, value: unknown): string {
  const where = `columns.${column}.default`;
  if (value === null) return 'NULL';
  const json = type === 'json' || type === 'jsonb';
  if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 1 && 'sql' in value) {
    const sql = String((value as { sql: unknown }).sql)
      .trim()
      .toLowerCase();
    if (!DEFAULT_FUNCTIONS.includes(sql)) throw new ChronoError('definition_error', `${where}: { sql } may only be one of ${DEFAULT_FUNCTIONS.join(', ')}`);
    return sql;
  }
  if (json) return `${stringLiteral(JSON.stringify(value))}::${type}`;
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ChronoError('definition_error', `${where} must be a finite number`);
    return String(value);
  }
  if (typeof value === 'string') return `${stringLiteral(value)}::${type}`;
  throw new ChronoError(
    'definition_error',
    `${where}: a ${type} column takes a string, number, boolean or null default (objects and arrays are for json and jsonb columns)`,
  );
}

/** The columns a definition declares, checked one by one; the message names what to fix. */
export function declaredColumns(definition: Pick<ReadModelDefinition, 'name' | 'declaredColumns'>): TargetColumn[] {
  const raw = definition.declaredColumns;
  const fix = (what: string) => new ChronoError('definition_error', `Definition ${definition.name}: ${what}.`);
  if (raw === undefined)
    throw fix(
      "it declares no columns, so no table can be made from it; add `columns: { id: { type: 'text', primaryKey: true }, ... }`, or create the table yourself",
    );
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw fix('`columns` must be an object of column name → type or { type, primaryKey, notNull, default }');
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0 || entries.length > MAX_COLUMNS) throw fix(`\`columns\` must declare between 1 and ${MAX_COLUMNS} columns`);
  const columns = entries.map(([name, spec]): TargetColumn => {
    if (!COLUMN_NAME.test(name)) throw fix(`column "${name}" is not a plain name (letters, digits and _, at most 63 characters)`);
    const decl = (typeof spec === 'string' ? { type: spec } : spec) as Record<string, unknown> | null;
    if (decl === null || typeof decl !== 'object' || Array.isArray(decl)) throw fix(`columns.${name} must be a type or { type, primaryKey, notNull, default }`);
    const unknown = Object.keys(decl).filter((k) => !['type', 'primaryKey', 'notNull', 'default'].includes(k));
    if (unknown.length > 0) throw fix(`columns.${name} has ${unknown.join(', ')}: only type, primaryKey, notNull and default are understood`);
    const type = typeof decl['type'] === 'string' ? decl['type'].trim().toLowerCase().replace(/\s+/g, ' ') : '';
    if (!TYPE.test(type))
      throw fix(
        `columns.${name}.type "${String(decl['type'])}" is not one of text, varchar(n), char(n), smallint, integer, bigint, numeric, real, double precision, boolean, jsonb, json, date, timestamptz, timestamp, uuid, bytea (or an array of one)`,
      );
    const column: TargetColumn = { name, type, primaryKey: decl['primaryKey'] === true, notNull: decl['notNull'] === true };
    if ('default' in decl) column.defaultSql = defaultSql(name, type, decl['default']);
    return column;
  });
  const keys = columns.filter((c) => c.primaryKey);
  if (keys.length !== 1)
    throw fix(
      keys.length === 0
        ? 'mark the key column with `primaryKey: true` (rows are replaced by key)'
        : `only one column can be the key (${keys.map((k) => k.name).join(', ')} are marked primaryKey)`,
    );
  return columns;
}

/** CREATE TABLE for declared columns. */
export function createTableSql(schema: string, model: string, columns: readonly TargetColumn[]): string {
  const lines = columns.map(
    (c) =>
      `  ${quoteIdent(c.name)} ${c.type}${c.primaryKey ? ' PRIMARY KEY' : c.notNull ? ' NOT NULL' : ''}${c.defaultSql !== undefined ? ` DEFAULT ${c.defaultSql}` : ''}`,
  );
  return `CREATE TABLE ${qualifiedName(schema, model)} (\n${lines.join(',\n')}\n);`;
}

/** The DDL that creates `model` for the definition: a built-in's own DDL, or the user definition's declared columns. */
export function targetTableSql(schema: string, model: string, definition: ReadModelDefinition, builtins: BuiltinReadModels): string {
  checkModelName(model);
  if (builtins.postgres[model] === definition) return builtins.tableSql(schema, model);
  return createTableSql(schema, model, declaredColumns(definition));
}

export async function tableExists(db: Pick<pg.Pool, 'query'>, schema: string, model: string): Promise<boolean> {
  const { rows } = await db.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [qualifiedName(schema, model)]);
  return Boolean(rows[0]?.t);
}

/** Creates the table in one transaction (the table and its indexes together, or nothing). */
export async function createTargetTable(pool: pg.Pool, schema: string, model: string, ddl: string): Promise<void> {
  await inTransaction(pool, async (client) => {
    if (await tableExists(client, schema, model)) throw new ChronoError('conflict', `${schema}.${model} already exists: nothing was created.`);
    await client.query(ddl);
  });
}
