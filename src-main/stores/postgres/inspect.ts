import type pg from 'pg';

/** Most tables listed at once; a database with more says so (`truncated`). */
export const MAX_INSPECTED_TABLES = 500;

export interface InspectedColumn {
  name: string;
  dataType: string;
  nullable: boolean;
}

export interface InspectedPostgresTable {
  schema: string;
  name: string;
  kind: 'table' | 'view';
  approximateRows: number | null;
  columns: InspectedColumn[];
}

export interface PostgresInspection {
  database: string;
  tables: InspectedPostgresTable[];
  truncated: boolean;
}

/**
 * The tables and views this user may read, with their columns, from the catalog
 * only: row counts are the planner's estimate (`reltuples`), never a scan.
 * Materialized views are left out: the mapping is validated through
 * information_schema, which does not list them.
 */
export async function inspectPostgres(pool: pg.Pool | pg.PoolClient, maxTables = MAX_INSPECTED_TABLES): Promise<PostgresInspection> {
  const { rows: tables } = await pool.query<{ oid: number; schema: string; name: string; relkind: string; reltuples: number; database: string }>(
    `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind, c.reltuples::float8 AS reltuples, current_database() AS database
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'f')
        AND NOT c.relispartition
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        AND n.nspname NOT LIKE 'pg\\_%'
        AND has_table_privilege(c.oid, 'SELECT')
      ORDER BY n.nspname = current_schema() DESC, n.nspname, c.relname
      LIMIT $1`,
    [maxTables + 1],
  );
  const listed = tables.slice(0, maxTables);
  const database = tables[0]?.database ?? (await pool.query<{ database: string }>('SELECT current_database() AS database')).rows[0]?.database ?? '';
  const { rows: columns } = listed.length
    ? await pool.query<{ oid: number; name: string; data_type: string; not_null: boolean }>(
        `SELECT a.attrelid::int AS oid, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS data_type, a.attnotnull AS not_null
           FROM pg_catalog.pg_attribute a
          WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
          ORDER BY a.attrelid, a.attnum`,
        [listed.map((t) => t.oid)],
      )
    : { rows: [] };
  const byTable = new Map<number, InspectedColumn[]>();
  for (const c of columns) {
    let list = byTable.get(c.oid);
    if (!list) byTable.set(c.oid, (list = []));
    list.push({ name: c.name, dataType: c.data_type, nullable: !c.not_null });
  }
  return {
    database,
    truncated: tables.length > maxTables,
    tables: listed.map((t) => ({
      schema: t.schema,
      name: t.name,
      kind: t.relkind === 'v' ? 'view' : 'table',
      // -1 (PostgreSQL 14+): never analysed, so unknown rather than "empty".
      approximateRows: t.reltuples >= 0 ? Math.round(t.reltuples) : null,
      columns: byTable.get(t.oid) ?? [],
    })),
  };
}
