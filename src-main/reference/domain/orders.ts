import { type Decider, type EventDraft, nonEmpty, positiveInteger, rule } from './decider';

export const ORDER_PROGRESS_STATUSES = ['confirmed', 'packed'] as const;
export type OrderProgressStatus = (typeof ORDER_PROGRESS_STATUSES)[number];
export type OrderStatus = 'new' | 'placed' | OrderProgressStatus | 'shipped' | 'delivered' | 'cancelled';

export interface OrderLine {
  productId: string;
  quantity: number;
  unitPriceCents: number;
}

export type OrderCommand =
  | { type: 'PlaceOrder'; customerId: string; currency: string; lines: OrderLine[] }
  | { type: 'UpdateOrderStatus'; status: OrderProgressStatus }
  | { type: 'ShipOrder'; carrier: string; trackingNumber: string }
  | { type: 'DeliverOrder' }
  | { type: 'CancelOrder'; reason: string };

export type OrderEvent =
  | EventDraft<'OrderPlaced', { customerId: string; currency: string; lines: OrderLine[]; totalCents: number }>
  | EventDraft<'OrderStatusUpdated', { status: OrderProgressStatus; previousStatus: OrderStatus }>
  | EventDraft<'OrderShipped', { carrier: string; trackingNumber: string }>
  | EventDraft<'OrderDelivered', Record<string, never>>
  | EventDraft<'OrderCancelled', { reason: string; previousStatus: OrderStatus }>;

export interface OrderState {
  status: OrderStatus;
  customerId: string;
  currency: string;
  totalCents: number;
  itemCount: number;
}

const BEFORE_SHIPPING: readonly OrderStatus[] = ['placed', 'confirmed', 'packed'];

export function orderTotal(lines: OrderLine[]): number {
  return lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
}

export const orderDecider: Decider<OrderCommand, OrderEvent, OrderState> = {
  aggregateType: 'Order',
  initialState: () => ({ status: 'new', customerId: '', currency: '', totalCents: 0, itemCount: 0 }),

  decide(command, state) {
    if (command.type !== 'PlaceOrder') rule(state.status !== 'new', 'not_found', 'The order does not exist');
    switch (command.type) {
      case 'PlaceOrder':
        rule(state.status === 'new', 'already_exists', 'The order already exists');
        nonEmpty(command.customerId, 'customerId');
        rule(command.lines.length > 0, 'empty_order', 'An order needs at least one line');
        for (const line of command.lines) {
          nonEmpty(line.productId, 'productId');
          positiveInteger(line.quantity, 'quantity');
          positiveInteger(line.unitPriceCents, 'unitPriceCents');
        }
        return [
          {
            type: 'OrderPlaced',
            data: { customerId: command.customerId, currency: command.currency, lines: command.lines, totalCents: orderTotal(command.lines) },
          },
        ];
      case 'UpdateOrderStatus':
        rule(BEFORE_SHIPPING.includes(state.status), 'invalid_transition', `Cannot move a ${state.status} order to ${command.status}`);
        rule((ORDER_PROGRESS_STATUSES as readonly string[]).includes(command.status), 'invalid_status', `Unknown status ${command.status}`);
        if (command.status === state.status) return [];
        return [{ type: 'OrderStatusUpdated', data: { status: command.status, previousStatus: state.status } }];
      case 'ShipOrder':
        rule(BEFORE_SHIPPING.includes(state.status), 'invalid_transition', `Cannot ship a ${state.status} order`);
        nonEmpty(command.carrier, 'carrier');
        return [{ type: 'OrderShipped', data: { carrier: command.carrier, trackingNumber: command.trackingNumber } }];
      case 'DeliverOrder':
        rule(state.status === 'shipped', 'invalid_transition', `Cannot deliver a ${state.status} order`);
        return [{ type: 'OrderDelivered', data: {} }];
      case 'CancelOrder':
        rule(BEFORE_SHIPPING.includes(state.status), 'invalid_transition', `Cannot cancel a ${state.status} order`);
        return [{ type: 'OrderCancelled', data: { reason: command.reason, previousStatus: state.status } }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'OrderPlaced':
        return {
          status: 'placed',
          customerId: event.data.customerId,
          currency: event.data.currency,
          totalCents: event.data.totalCents,
          itemCount: event.data.lines.reduce((n, l) => n + l.quantity, 0),
        };
      case 'OrderStatusUpdated':
        return { ...state, status: event.data.status };
      case 'OrderShipped':
        return { ...state, status: 'shipped' };
      case 'OrderDelivered':
        return { ...state, status: 'delivered' };
      case 'OrderCancelled':
        return { ...state, status: 'cancelled' };
      default:
        return state;
    }
  },
};
