import type { Db } from 'mongodb';
import type pg from 'pg';
import type { ReadModelLayout } from './layouts';
import type { ReadModelStore, ReadModelView } from './read-model-store';
import { qualifiedName } from '../postgres/mapping';

/** PostgreSQL read models: the planner's row estimate (`reltuples`), never a count. */
export function postgresReadModels(pool: pg.Pool, layouts: readonly ReadModelLayout[], defaultSchema: string): ReadModelStore {
  return {
    async list() {
      const views: ReadModelView[] = [];
      for (const layout of layouts) {
        const schema = layout.schema ?? defaultSchema;
        const { rows } = await pool.query<{ reltuples: number }>(
          `SELECT c.reltuples::float8 AS reltuples FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm')`,
          [schema, layout.table],
        );
        const row = rows[0];
        views.push({
          name: layout.name,
          source: qualifiedName(schema, layout.table),
          key: layout.key,
          projector: layout.projector ?? null,
          exists: row !== undefined,
          // -1 (PostgreSQL 14+): never analysed, so unknown rather than empty.
          approximateRows: row && row.reltuples >= 0 ? Math.round(row.reltuples) : null,
        });
      }
      return views;
    },
  };
}

/** MongoDB read models: the collection's metadata count (`estimatedDocumentCount`). */
export function mongoReadModels(db: Db, layouts: readonly ReadModelLayout[]): ReadModelStore {
  return {
    async list() {
      const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
      return Promise.all(
        layouts.map(async (layout) => {
          const exists = existing.has(layout.table);
          return {
            name: layout.name,
            source: `${db.databaseName}.${layout.table}`,
            key: layout.key,
            projector: layout.projector ?? null,
            exists,
            approximateRows: exists ? await db.collection(layout.table).estimatedDocumentCount() : null,
          };
        }),
      );
    },
  };
}
