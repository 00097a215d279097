/**
 * The reference system's read models as rebuild built-ins: its projectors' own
 * reducers and table DDL, given to the engine's rebuilds by engine.ts (and by the
 * scale-out worker process). They live here because the Local workspace is the one
 * part of the engine that runs the reference system.
 */
import { ChronoError } from '../../../src-shared/errors';
import type { StoredEventView } from '../../stores/event-store';
import { qualifiedName, quoteIdent } from '../../stores/postgres/mapping';
import { REFERENCE_SUPPORT_DDL } from '../../reference/postgres/schema';
import type { DomainEvent } from '../../reference/events';
import { accountsViewSpec } from '../../reference/projectors/accounts-view';
import { ordersViewSpec } from '../../reference/projectors/orders-view';
import type { PostgresViewSpec } from '../../reference/projectors/postgres-view';
import { productsViewSpec, reduceProductView, type ProductView } from '../../reference/projectors/products-view';
import type { VersionedRow } from '../../reference/projectors/view-reducer';
import type { BuiltinReadModels } from '../rebuild/builtin-read-models';
import type { ModelRow, ReadModelDefinition } from '../rebuild/read-model';
import { ReducerFolder } from '../rebuild/reducer-folder';

function asDomainEvent(event: StoredEventView): DomainEvent {
  return {
    eventId: event.eventId ?? '',
    type: event.type,
    aggregateId: event.streamId,
    aggregateType: (event.category ?? '') as DomainEvent['aggregateType'],
    version: event.version,
    timestamp: event.timestamp ?? '',
    data: event.data as Record<string, unknown>,
    metadata: event.metadata as DomainEvent['metadata'],
  };
}

function fromSpec<Row extends VersionedRow>(spec: PostgresViewSpec<Row>): ReadModelDefinition {
  const name = `builtin:${spec.name}`;
  const reduce = spec.reduce as unknown as (row: ModelRow | undefined, event: DomainEvent) => ModelRow | undefined;
  return {
    name,
    handles: { categories: [spec.aggregateType] },
    keyColumn: spec.keyColumn,
    keyedByStream: true, // ReducerFolder keys every row by the event's stream id
    versioned: true,
    projector: spec.name, // the reference projectors checkpoint under their view's name
    workerFold: { model: spec.name }, // REFERENCE_POSTGRES_MODELS' key, as fold-worker-main.ts is given them
    open: async (options) => new ReducerFolder(name, (row, event) => reduce(row, asDomainEvent(event)), options?.cacheRows),
  };
}

/** Mongo `products_view` documents: `_id` is the product id, `updatedAt` a Date (converted by the Mongo target). */
const mongoProductsView: ReadModelDefinition = {
  name: 'builtin:products_view@mongo',
  handles: { categories: ['Product'] },
  keyColumn: '_id',
  versioned: true,
  open: async () =>
    new ReducerFolder('builtin:products_view@mongo', (row, event) => {
      const current = row ? ({ ...row, productId: row['_id'] } as unknown as ProductView) : undefined;
      const next = reduceProductView(current, asDomainEvent(event));
      if (!next) return undefined;
      const { productId, ...fields } = next;
      return { _id: productId, ...fields };
    }),
};

/** The reference PostgreSQL views, by table. */
export const REFERENCE_POSTGRES_MODELS: Readonly<Record<string, ReadModelDefinition>> = {
  accounts_view: fromSpec(accountsViewSpec),
  orders_view: fromSpec(ordersViewSpec),
  products_view: fromSpec(productsViewSpec),
};

/** The reference Mongo views, by collection. */
export const REFERENCE_MONGO_MODELS: Readonly<Record<string, ReadModelDefinition>> = {
  products_view: mongoProductsView,
};

/** Mongo fields the reference views keep as dates. */
export const REFERENCE_MONGO_DATE_FIELDS: Readonly<Record<string, readonly string[]>> = { products_view: ['updatedAt'] };

/** The reference system's own statements for one of its views (its table and indexes), in the chosen schema. */
export function referenceTableSql(schema: string, model: string): string {
  const table = new RegExp(`CREATE TABLE IF NOT EXISTS ${model} \\(\\n([\\s\\S]*?)\\n\\);`).exec(REFERENCE_SUPPORT_DDL);
  if (!table) throw new ChronoError('not_found', `The reference system has no table ${model}.`);
  const indexes = [...REFERENCE_SUPPORT_DDL.matchAll(new RegExp(`CREATE INDEX IF NOT EXISTS (\\w+) ON ${model} \\(([\\w, ]+)\\);`, 'g'))];
  return [
    `CREATE TABLE ${qualifiedName(schema, model)} (\n${table[1]}\n);`,
    ...indexes.map((m) => `CREATE INDEX ${quoteIdent(m[1]!)} ON ${qualifiedName(schema, model)} (${m[2]});`),
  ].join('\n');
}

export const REFERENCE_READ_MODELS: BuiltinReadModels = {
  postgres: REFERENCE_POSTGRES_MODELS,
  mongo: REFERENCE_MONGO_MODELS,
  mongoDateFields: REFERENCE_MONGO_DATE_FIELDS,
  tableSql: referenceTableSql,
};
