import type { Db } from 'mongodb';
import type { ProductEvent } from '../domain/products';
import type { DomainEvent } from '../events';
import type { PostgresViewSpec, ViewBatchResult } from './postgres-view';
import { foldIntoRows } from './view-reducer';

/** The product read model; Mongo `products_view` documents and Postgres `products_view` rows hold the same fields. */
export interface ProductView {
  productId: string;
  name: string;
  sku: string;
  priceCents: number;
  stock: number;
  status: 'active' | 'discontinued';
  version: number;
  updatedAt: string;
}

/** Stock is summed from the deltas, so a duplicate application would show. */
export function reduceProductView(row: ProductView | undefined, raw: DomainEvent): ProductView | undefined {
  const event = raw as unknown as ProductEvent & DomainEvent;
  const touched = { version: raw.version, updatedAt: raw.timestamp };
  if (event.type === 'ProductCreated') {
    const d = event.data;
    return { productId: raw.aggregateId, name: d.name, sku: d.sku, priceCents: d.priceCents, stock: d.stock, status: 'active', ...touched };
  }
  if (!row) return undefined;
  switch (event.type) {
    case 'ProductRenamed':
      return { ...row, name: event.data.name, ...touched };
    case 'PriceChanged':
      return { ...row, priceCents: event.data.priceCents, ...touched };
    case 'StockAdjusted':
      return { ...row, stock: row.stock + event.data.delta, ...touched };
    case 'ProductDiscontinued':
      return { ...row, status: 'discontinued', ...touched };
    default:
      return { ...row, ...touched };
  }
}

export const PRODUCTS_VIEW = 'products_view';

interface ProductDocument extends Omit<ProductView, 'productId' | 'updatedAt'> {
  _id: string;
  updatedAt: Date;
}

const fromDocument = (d: ProductDocument): ProductView => ({
  productId: d._id,
  name: d.name,
  sku: d.sku,
  priceCents: d.priceCents,
  stock: d.stock,
  status: d.status,
  version: d.version,
  updatedAt: d.updatedAt.toISOString(),
});

/**
 * Applies a batch to Mongo `products_view`. FerretDB has no transactions, so
 * the view and its checkpoint cannot change together; instead every write is
 * conditional on the stored version being older, which makes redelivery harmless.
 */
export async function applyToMongoProductsView(db: Db, events: readonly DomainEvent[]): Promise<ViewBatchResult> {
  const relevant = events.filter((e) => e.aggregateType === 'Product');
  if (relevant.length === 0) return { applied: 0, duplicates: 0 };
  const collection = db.collection<ProductDocument>(PRODUCTS_VIEW);
  const ids = [...new Set(relevant.map((e) => e.aggregateId))];
  const docs = await collection.find({ _id: { $in: ids } }).toArray();
  const current = new Map(docs.map((d) => [d._id, fromDocument(d)]));
  const outcome = foldIntoRows(PRODUCTS_VIEW, reduceProductView, current, relevant);
  for (const view of outcome.changed.values()) {
    const { productId, updatedAt, ...fields } = view;
    const doc = { ...fields, updatedAt: new Date(updatedAt) };
    if (current.has(productId)) {
      await collection.updateOne({ _id: productId, version: { $lt: view.version } }, { $set: doc });
    } else {
      // First sighting: insert; if a concurrent/earlier run inserted it meanwhile, fall back to the guarded update.
      await collection.insertOne({ _id: productId, ...doc }).catch(async (err: unknown) => {
        if ((err as { code?: number }).code !== 11000) throw err;
        await collection.updateOne({ _id: productId, version: { $lt: view.version } }, { $set: doc });
      });
    }
  }
  return { applied: outcome.applied, duplicates: outcome.duplicates };
}

export async function readMongoProductView(db: Db, productId: string): Promise<ProductView | null> {
  const doc = await db.collection<ProductDocument>(PRODUCTS_VIEW).findOne({ _id: productId });
  return doc ? fromDocument(doc) : null;
}

/** Postgres `products_view`, for Postgres-only setups such as the demo workspace. */
export interface ProductViewRow {
  product_id: string;
  name: string;
  sku: string;
  price_cents: number;
  stock: number;
  status: string;
  version: number;
  updated_at: string;
}

const toRow = (v: ProductView): ProductViewRow => ({
  product_id: v.productId,
  name: v.name,
  sku: v.sku,
  price_cents: v.priceCents,
  stock: v.stock,
  status: v.status,
  version: v.version,
  updated_at: v.updatedAt,
});
const fromRow = (r: ProductViewRow): ProductView => ({
  productId: r.product_id,
  name: r.name,
  sku: r.sku,
  priceCents: r.price_cents,
  stock: r.stock,
  status: r.status as ProductView['status'],
  version: r.version,
  updatedAt: r.updated_at,
});

export const productsViewSpec: PostgresViewSpec<ProductViewRow> = {
  name: 'products_view',
  table: 'products_view',
  keyColumn: 'product_id',
  columns: ['product_id', 'name', 'sku', 'price_cents', 'stock', 'status', 'version', 'updated_at'],
  aggregateType: 'Product',
  reduce: (row, event) => {
    const next = reduceProductView(row ? fromRow(row) : undefined, event);
    return next ? toRow(next) : undefined;
  },
  fromDb: (r) => ({
    product_id: String(r.product_id),
    name: String(r.name),
    sku: String(r.sku),
    price_cents: Number(r.price_cents),
    stock: Number(r.stock),
    status: String(r.status),
    version: Number(r.version),
    updated_at: r.updated_at instanceof Date ? r.updated_at.toISOString() : String(r.updated_at),
  }),
};
