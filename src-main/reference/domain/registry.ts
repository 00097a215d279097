import type { AggregateType } from '../events';
import { accountDecider, type AccountCommand, type AccountEvent, type AccountState } from './accounts';
import { customerDecider, type CustomerCommand, type CustomerEvent, type CustomerState } from './customers';
import type { Decider, EventDraft } from './decider';
import { orderDecider, type OrderCommand, type OrderEvent, type OrderState } from './orders';
import { productDecider, type ProductCommand, type ProductEvent, type ProductState } from './products';

export interface AggregateTypes {
  Product: { command: ProductCommand; event: ProductEvent; state: ProductState };
  Account: { command: AccountCommand; event: AccountEvent; state: AccountState };
  Order: { command: OrderCommand; event: OrderEvent; state: OrderState };
  Customer: { command: CustomerCommand; event: CustomerEvent; state: CustomerState };
}

export type CommandOf<T extends AggregateType> = AggregateTypes[T]['command'];
export type StateOf<T extends AggregateType> = AggregateTypes[T]['state'];

export const DECIDERS: { [T in AggregateType]: Decider<AggregateTypes[T]['command'], AggregateTypes[T]['event'], AggregateTypes[T]['state']> } = {
  Product: productDecider,
  Account: accountDecider,
  Order: orderDecider,
  Customer: customerDecider,
};

/** The decider as seen by generic code (repositories, replay), which handles events as untyped drafts. */
export type AnyDecider = Decider<{ type: string }, EventDraft, unknown>;

export function deciderFor(aggregateType: AggregateType): AnyDecider {
  return DECIDERS[aggregateType] as unknown as AnyDecider;
}

/**
 * Aggregates whose state may be snapshotted. Customers are left out on purpose:
 * their state is personal data in clear, and a plaintext snapshot would survive
 * crypto-shredding of the events. Their streams are short anyway.
 */
export function isSnapshottable(aggregateType: AggregateType): boolean {
  return aggregateType !== 'Customer';
}
