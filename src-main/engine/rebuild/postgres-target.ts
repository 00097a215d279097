/**
 * The shadow of a PostgreSQL read model: a table created next to the live one
 * (`<name>__shadow_<id>`, same columns, defaults, checks and primary key; its
 * secondary indexes built once after the bulk load), written in one statement per
 * batch, with the rebuild's own checkpoint in `chronoscope_rebuilds` committed in
 * the same transaction as the rows. A crash loses at most the batch in flight.
 */
import type pg from 'pg';
import { ChronoError } from '../../../src-shared/errors';
import { qualifiedName, quoteIdent } from '../../stores/postgres/mapping';
import { inTransaction } from '../../stores/postgres/transaction';
import type { ModelRow, RowChanges } from './read-model';
import { RowWriteFailure } from './rebuild-errors';
import { encodeRowGroups, type EncodedRowGroups } from './row-groups';

type Queryable = Pick<pg.Pool | pg.PoolClient | pg.Client, 'query'>;

export const REBUILDS_TABLE = 'chronoscope_rebuilds';

export const REBUILDS_DDL = `
CREATE TABLE IF NOT EXISTS ${REBUILDS_TABLE} (
  id           text PRIMARY KEY,
  schema_name  text NOT NULL,
  model        text NOT NULL,
  shadow       text NOT NULL,
  definition   text NOT NULL,
  definition_source text,
  position     bigint NOT NULL DEFAULT 0,
  horizon      bigint,
  events       bigint NOT NULL DEFAULT 0,
  phase        text NOT NULL DEFAULT 'loading',
  indexes      jsonb NOT NULL DEFAULT '[]'::jsonb,
  before_table text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
)`;

/** `loading` → `indexed` (indexes built, following the head) → `swapped` → `rolled_back`; `discarded` when the shadow is dropped. */
export type RebuildPhase = 'loading' | 'indexed' | 'swapped' | 'rolled_back' | 'discarded';

export interface RebuildRecord {
  id: string;
  schema: string;
  model: string;
  shadow: string;
  definition: string;
  /** A user definition's source (built-ins are named `builtin:<model>`). */
  definitionSource: string | null;
  position: string;
  horizon: string | null;
  events: number;
  phase: RebuildPhase;
  /** Secondary indexes of the live table: name and definition with a placeholder for the table. */
  indexes: { name: string; shadowName: string; sql: string }[];
  beforeTable: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface TableShape {
  keyColumn: string;
  keyType: string;
  /** Columns written (generated ones left out). */
  columns: string[];
  /** Column name → type as PostgreSQL prints it (to name the column of a refused value). */
  types?: Record<string, string>;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Names of read models are plain identifiers: they are put into derived names (`__shadow_`, `__before_`). */
export function checkModelName(name: string): string {
  if (!IDENT.test(name)) throw new ChronoError('invalid_input', `"${name}" is not a plain table name (letters, digits and _ only, at most 63 characters).`);
  if (name.length > 38)
    throw new ChronoError(
      'invalid_input',
      `"${name}" is too long for a rebuild: its shadow and backup names must fit PostgreSQL's 63 characters (at most 38).`,
    );
  return name;
}

export function shadowName(model: string, id: string): string {
  return `${model}__shadow_${id}`;
}

/** `20261201_032859` (UTC): lowercase-safe, so derived table names need no quoting. */
export function stamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').slice(0, 15).replace('T', '_');
}

/**
 * `<model>__before_<stamp>` that no table holds yet: the stamp has one-second
 * resolution (the 63-character limit leaves no room for more), so a second swap of
 * the same model within that second waits for the next one rather than collide.
 */
export async function freeBeforeName(db: Queryable, schema: string, model: string, now: () => Date = () => new Date()): Promise<string> {
  for (let attempt = 0; ; attempt += 1) {
    const at = now();
    const name = `${model}__before_${stamp(at)}`;
    const { rows } = await db.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [qualifiedName(schema, name)]);
    if (!rows[0]?.t) return name;
    if (attempt === 2) throw new ChronoError('conflict', `${name} already exists: wait a second and swap again.`);
    await new Promise((resolve) => setTimeout(resolve, 1000 - at.getUTCMilliseconds() + 5));
  }
}

function recordFrom(r: Record<string, unknown>): RebuildRecord {
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));
  return {
    id: String(r['id']),
    schema: String(r['schema_name']),
    model: String(r['model']),
    shadow: String(r['shadow']),
    definition: String(r['definition']),
    definitionSource: (r['definition_source'] as string | null) ?? null,
    position: String(r['position']),
    horizon: r['horizon'] === null ? null : String(r['horizon']),
    events: Number(r['events']),
    phase: r['phase'] as RebuildPhase,
    indexes: r['indexes'] as RebuildRecord['indexes'],
    beforeTable: (r['before_table'] as string | null) ?? null,
    createdAt: iso(r['created_at']),
    updatedAt: iso(r['updated_at']),
  };
}

export async function ensureRebuildsTable(db: Queryable): Promise<void> {
  await db.query(REBUILDS_DDL);
}

export async function readRebuild(db: Queryable, id: string, lock = false): Promise<RebuildRecord | null> {
  const exists = await db.query(`SELECT to_regclass($1) AS t`, [REBUILDS_TABLE]);
  if (!exists.rows[0]?.t) return null;
  const { rows } = await db.query(`SELECT * FROM ${REBUILDS_TABLE} WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ? recordFrom(rows[0] as Record<string, unknown>) : null;
}

export async function listRebuilds(db: Queryable): Promise<RebuildRecord[]> {
  const exists = await db.query(`SELECT to_regclass($1) AS t`, [REBUILDS_TABLE]);
  if (!exists.rows[0]?.t) return [];
  const { rows } = await db.query(`SELECT * FROM ${REBUILDS_TABLE} ORDER BY created_at DESC LIMIT 200`);
  return rows.map((r) => recordFrom(r as Record<string, unknown>));
}

export async function updateRebuild(
  db: Queryable,
  id: string,
  fields: Partial<Pick<RebuildRecord, 'position' | 'horizon' | 'events' | 'phase' | 'beforeTable' | 'shadow'>>,
): Promise<void> {
  const columns: Record<string, string> = {
    position: 'position',
    horizon: 'horizon',
    events: 'events',
    phase: 'phase',
    beforeTable: 'before_table',
    shadow: 'shadow',
  };
  const sets: string[] = ['updated_at = now()'];
  const values: unknown[] = [id];
  for (const [field, column] of Object.entries(columns)) {
    const value = fields[field as keyof typeof fields];
    if (value === undefined) continue;
    values.push(value);
    sets.push(`${column} = $${values.length}`);
  }
  await db.query(`UPDATE ${REBUILDS_TABLE} SET ${sets.join(', ')} WHERE id = $1`, values);
}

/** The live table's key, columns and secondary indexes; a clear error when it is missing or has no single-column key. */
export async function tableShape(db: Queryable, schema: string, table: string): Promise<TableShape & { indexes: { name: string; sql: string }[] }> {
  const rel = await db.query<{ oid: number }>(
    `SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    [schema, table],
  );
  const oid = rel.rows[0]?.oid;
  if (oid === undefined)
    throw new ChronoError('not_found', `There is no table ${schema}.${table}: create the read model's table first (a rebuild copies its columns).`);
  const cols = await db.query<{ name: string; generated: string; type: string }>(
    `SELECT attname AS name, attgenerated AS generated, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
    [oid],
  );
  const key = await db.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
      WHERE i.indrelid = $1 AND i.indisprimary`,
    [oid],
  );
  if (key.rows.length !== 1)
    throw new ChronoError('invalid_input', `${schema}.${table} needs a single-column primary key to be rebuilt (rows are replaced by key).`);
  const indexes = await db.query<{ name: string; sql: string }>(
    `SELECT ci.relname AS name, pg_get_indexdef(i.indexrelid) AS sql
       FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid
      WHERE i.indrelid = $1 AND NOT i.indisprimary ORDER BY ci.relname`,
    [oid],
  );
  return {
    keyColumn: key.rows[0]!.name,
    keyType: key.rows[0]!.type,
    columns: cols.rows.filter((c) => c.generated === '').map((c) => c.name),
    types: Object.fromEntries(cols.rows.map((c) => [c.name, c.type])),
    indexes: indexes.rows,
  };
}

/** An index name of at most 63 characters, unique per rebuild. */
function derivedIndexName(name: string, suffix: string): string {
  return `${name.slice(0, 63 - suffix.length)}${suffix}`;
}

/** Creates the shadow table and its rebuild record (one transaction). */
export async function createShadow(
  pool: pg.Pool,
  options: { id: string; schema: string; model: string; definition: string; definitionSource?: string },
): Promise<RebuildRecord> {
  const { id, schema, model, definition } = options;
  checkModelName(model);
  const shadow = shadowName(model, id);
  return inTransaction(pool, async (client) => {
    await client.query(REBUILDS_DDL);
    const shape = await tableShape(client, schema, model);
    const live = qualifiedName(schema, model);
    const target = qualifiedName(schema, shadow);
    // Not INCLUDING INDEXES: only the key is needed while loading; the others are built after the bulk load.
    await client.query(
      `CREATE TABLE ${target} (LIKE ${live} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMMENTS)`,
    );
    await client.query(
      `ALTER TABLE ${target} ADD CONSTRAINT ${quoteIdent(derivedIndexName(`${model}_pkey`, `__s${id}`))} PRIMARY KEY (${quoteIdent(shape.keyColumn)})`,
    );
    const indexes = shape.indexes.map((index) => {
      const head = /^CREATE (UNIQUE )?INDEX (\S+) ON (ONLY )?(\S+) /.exec(index.sql);
      if (!head) throw new ChronoError('invalid_input', `The index ${index.name} of ${model} has a definition the rebuild cannot copy: ${index.sql}`);
      const shadowIndex = derivedIndexName(index.name, `__s${id}`);
      // The table is left as a placeholder, filled in when the index is built.
      return {
        name: index.name,
        shadowName: shadowIndex,
        sql: `CREATE ${head[1] ?? ''}INDEX ${quoteIdent(shadowIndex)} ON {table} ${index.sql.slice(head[0].length)}`,
      };
    });
    const { rows } = await client.query(
      `INSERT INTO ${REBUILDS_TABLE} (id, schema_name, model, shadow, definition, definition_source, indexes) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING *`,
      [id, schema, model, shadow, definition, options.definitionSource ?? null, JSON.stringify(indexes)],
    );
    return recordFrom(rows[0] as Record<string, unknown>);
  });
}

/** Rows of the given keys, as JSON objects. */
export async function loadRows(db: Queryable, schema: string, table: string, shape: TableShape, keys: readonly string[]): Promise<Map<string, ModelRow>> {
  if (keys.length === 0) return new Map();
  const key = quoteIdent(shape.keyColumn);
  const { rows } = await db.query<{ k: string; r: ModelRow }>(
    `SELECT t.${key}::text AS k, to_jsonb(t) AS r FROM ${qualifiedName(schema, table)} t WHERE t.${key} = ANY($1::${shape.keyType}[])`,
    [keys],
  );
  return new Map(rows.map((r) => [r.k, r.r]));
}

/** Rows of the given keys as one JSON object text `{key: row}` (for fold workers: the main process never parses them). */
export async function loadRowsText(db: Queryable, schema: string, table: string, shape: TableShape, keys: readonly string[]): Promise<string> {
  if (keys.length === 0) return '{}';
  const key = quoteIdent(shape.keyColumn);
  const { rows } = await db.query<{ j: string | null }>(
    `SELECT json_object_agg(t.${key}::text, to_jsonb(t))::text AS j FROM ${qualifiedName(schema, table)} t WHERE t.${key} = ANY($1::${shape.keyType}[])`,
    [keys],
  );
  return rows[0]?.j ?? '{}';
}

/**
 * Writes a batch's changes: deletes, then one upsert per row shape (the set of
 * columns the rows carry). A column a row leaves out gets the column's DEFAULT,
 * on insert and on update alike, never a NULL the definition did not write.
 */
export async function writeChanges(db: Queryable, schema: string, table: string, shape: TableShape, changes: RowChanges): Promise<void> {
  await writeRowGroups(db, schema, table, shape, [encodeRowGroups(shape, changes)]);
}

/** Writes changes already grouped and encoded (by fold workers, or by writeChanges), in order. */
export async function writeRowGroups(db: Queryable, schema: string, table: string, shape: TableShape, batches: readonly EncodedRowGroups[]): Promise<void> {
  const target = qualifiedName(schema, table);
  const key = quoteIdent(shape.keyColumn);
  const deleted = batches.flatMap((b) => b.deleted);
  try {
    if (deleted.length > 0) await db.query(`DELETE FROM ${target} WHERE ${key} = ANY($1::${shape.keyType}[])`, [deleted]);
    for (const { columns, json } of batches.flatMap((b) => b.upserts)) {
      const cols = columns.map(quoteIdent).join(', ');
      const updates = shape.columns
        .filter((c) => c !== shape.keyColumn)
        .map((c) => (columns.includes(c) ? `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}` : `${quoteIdent(c)} = DEFAULT`));
      await db.query(
        `INSERT INTO ${target} (${cols}) SELECT ${cols} FROM jsonb_populate_recordset(NULL::${target}, $1::jsonb)
         ON CONFLICT (${key}) DO ${updates.length > 0 ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`,
        [json],
      );
    }
  } catch (err) {
    // The refused rows are parsed back only now, to name the value PostgreSQL refused.
    throw new RowWriteFailure(
      err,
      table,
      batches.flatMap((b) => b.upserts.flatMap((g) => JSON.parse(g.json) as ModelRow[])),
      shape.types ?? {},
    );
  }
}

/** Builds the live table's secondary indexes on the shadow (after the bulk load: one sort each instead of per-row maintenance). */
export async function buildShadowIndexes(pool: pg.Pool, record: RebuildRecord): Promise<void> {
  await inTransaction(pool, async (client) => {
    for (const index of record.indexes) await client.query(index.sql.replace('{table}', qualifiedName(record.schema, record.shadow)));
    await client.query('ANALYZE ' + qualifiedName(record.schema, record.shadow));
    await updateRebuild(client, record.id, { phase: 'indexed' });
  });
}
