/**
 * Built-in read models: the reference projectors' own reducers, folded with the
 * same rules as their workers (a redelivered event is skipped, a missing one stops
 * the rebuild), so a rebuild equals what the running workers produce.
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
import { DefinitionFailure, eventRef, FOLDER_CACHE_ROWS, type ModelFolder, type ModelRow, type ReadModelDefinition, type RowChanges } from './read-model';

/** Events folded between two turns of the event loop. */
const YIELD_EVERY = 2_000;

type Reduce = (row: ModelRow | undefined, event: DomainEvent) => ModelRow | undefined;

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

/** A folder running a reducer in process, with the reference workers' version rules. */
export class ReducerFolder implements ModelFolder {
  /** Rows touched in the current generation, and in the one before (kept until it is replaced). */
  private cache = new Map<string, ModelRow | null>();
  private older = new Map<string, ModelRow | null>();

  constructor(
    private readonly name: string,
    private readonly reduce: Reduce,
    private readonly cacheRows = FOLDER_CACHE_ROWS,
  ) {}

  /**
   * Keys of the batch the cache does not hold. The cache is bounded here, before
   * the keys are chosen, never in `apply`: the rows loaded for this batch are the
   * ones named now, so a cache emptied afterwards would fold against missing rows.
   * Two generations of half the size each: a row used again soon after a new
   * generation starts moves over instead of being read back from the shadow.
   */
  async missingKeys(events: readonly StoredEventView[]): Promise<string[]> {
    if (this.cache.size > this.cacheRows / 2) {
      this.older = this.cache;
      this.cache = new Map();
    }
    const missing = new Set<string>();
    for (const e of events) {
      if (this.cache.has(e.streamId)) continue;
      if (this.older.has(e.streamId)) this.cache.set(e.streamId, this.older.get(e.streamId)!);
      else missing.add(e.streamId);
    }
    return [...missing];
  }

  async apply(events: readonly StoredEventView[], loaded: Map<string, ModelRow>): Promise<RowChanges> {
    for (const event of events) if (!this.cache.has(event.streamId)) this.cache.set(event.streamId, loaded.get(event.streamId) ?? null);
    const changes: RowChanges = new Map();
    let sinceYield = 0;
    for (const event of events) {
      // The fold runs in the main process: let the UI's calls through every few thousand events.
      if (++sinceYield === YIELD_EVERY) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const row = this.cache.get(event.streamId) ?? undefined;
      const version = Number(row?.['version'] ?? 0);
      if (event.version <= version) continue; // already in the row (a resumed batch)
      if (event.version !== version + 1) {
        throw new DefinitionFailure(this.name, eventRef(event), `the row is at version ${version}: an earlier event of the stream is missing from the store's feed`);
      }
      let next: ModelRow | undefined;
      try {
        next = this.reduce(row, asDomainEvent(event));
      } catch (err) {
        throw new DefinitionFailure(this.name, eventRef(event), (err as Error).message);
      }
      if (next) {
        this.cache.set(event.streamId, next);
        changes.set(event.streamId, next);
      }
    }
    return changes;
  }

  async reset(): Promise<void> {
    this.cache = new Map();
    this.older = new Map();
  }

  async close(): Promise<void> {
    this.cache.clear();
    this.older.clear();
  }
}

function fromSpec<Row extends VersionedRow>(spec: PostgresViewSpec<Row>): ReadModelDefinition {
  const name = `builtin:${spec.name}`;
  return {
    name,
    handles: { categories: [spec.aggregateType] },
    keyColumn: spec.keyColumn,
    keyedByStream: true, // ReducerFolder keys every row by the event's stream id
    versioned: true,
    projector: spec.name, // the reference projectors checkpoint under their view's name
    open: async () => new ReducerFolder(name, spec.reduce as unknown as Reduce),
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
      const next = reduceProductView(current, event);
      if (!next) return undefined;
      const { productId, ...fields } = next;
      return { _id: productId, ...fields };
    }),
};

/** The built-ins by the model they rebuild: PostgreSQL tables and Mongo collections. */
export const BUILTIN_POSTGRES_MODELS: Readonly<Record<string, ReadModelDefinition>> = {
  accounts_view: fromSpec(accountsViewSpec),
  orders_view: fromSpec(ordersViewSpec),
  products_view: fromSpec(productsViewSpec),
};

export const BUILTIN_MONGO_MODELS: Readonly<Record<string, ReadModelDefinition>> = {
  products_view: mongoProductsView,
};

/** Mongo fields the built-ins keep as dates (rows travel as JSON). */
export const MONGO_DATE_FIELDS: Readonly<Record<string, readonly string[]>> = { products_view: ['updatedAt'] };

/** The reference system's own statements for a built-in view (its table and indexes), in the chosen schema. */
export function builtinTableSql(schema: string, model: string): string {
  const table = new RegExp(`CREATE TABLE IF NOT EXISTS ${model} \\(\\n([\\s\\S]*?)\\n\\);`).exec(REFERENCE_SUPPORT_DDL);
  if (!table) throw new ChronoError('not_found', `The reference system has no table ${model}.`);
  const indexes = [...REFERENCE_SUPPORT_DDL.matchAll(new RegExp(`CREATE INDEX IF NOT EXISTS (\\w+) ON ${model} \\(([\\w, ]+)\\);`, 'g'))];
  return [`CREATE TABLE ${qualifiedName(schema, model)} (\n${table[1]}\n);`, ...indexes.map((m) => `CREATE INDEX ${quoteIdent(m[1]!)} ON ${qualifiedName(schema, model)} (${m[2]});`)].join('\n');
}
