import type { OrderEvent } from '../domain/orders';
import type { PostgresViewSpec } from './postgres-view';

/** Postgres `orders_view`: one row per order with its status and totals. */
export interface OrderViewRow {
  order_id: string;
  customer_id: string;
  status: string;
  currency: string;
  total_cents: number;
  item_count: number;
  carrier: string | null;
  tracking_number: string | null;
  placed_at: string;
  version: number;
  updated_at: string;
}

export function reduceOrderView(
  row: OrderViewRow | undefined,
  raw: { type: string; data: unknown; aggregateId: string; version: number; timestamp: string },
): OrderViewRow | undefined {
  const event = raw as unknown as OrderEvent & typeof raw;
  const touched = { version: raw.version, updated_at: raw.timestamp };
  if (event.type === 'OrderPlaced') {
    return {
      order_id: raw.aggregateId,
      customer_id: event.data.customerId,
      status: 'placed',
      currency: event.data.currency,
      total_cents: event.data.totalCents,
      item_count: event.data.lines.reduce((n, l) => n + l.quantity, 0),
      carrier: null,
      tracking_number: null,
      placed_at: raw.timestamp,
      ...touched,
    };
  }
  if (!row) return undefined;
  switch (event.type) {
    case 'OrderStatusUpdated':
      return { ...row, status: event.data.status, ...touched };
    case 'OrderShipped':
      return { ...row, status: 'shipped', carrier: event.data.carrier, tracking_number: event.data.trackingNumber, ...touched };
    case 'OrderDelivered':
      return { ...row, status: 'delivered', ...touched };
    case 'OrderCancelled':
      return { ...row, status: 'cancelled', ...touched };
    default:
      return { ...row, ...touched };
  }
}

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

export const ordersViewSpec: PostgresViewSpec<OrderViewRow> = {
  name: 'orders_view',
  table: 'orders_view',
  keyColumn: 'order_id',
  columns: ['order_id', 'customer_id', 'status', 'currency', 'total_cents', 'item_count', 'carrier', 'tracking_number', 'placed_at', 'version', 'updated_at'],
  aggregateType: 'Order',
  reduce: reduceOrderView,
  fromDb: (r) => ({
    order_id: String(r.order_id),
    customer_id: String(r.customer_id),
    status: String(r.status),
    currency: String(r.currency),
    total_cents: Number(r.total_cents),
    item_count: Number(r.item_count),
    carrier: (r.carrier as string | null) ?? null,
    tracking_number: (r.tracking_number as string | null) ?? null,
    placed_at: iso(r.placed_at),
    version: Number(r.version),
    updated_at: iso(r.updated_at),
  }),
};
