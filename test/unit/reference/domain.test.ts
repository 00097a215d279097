import { describe, expect, it } from 'vitest';
import { accountDecider, type AccountEvent, type AccountState } from '../../../src-main/reference/domain/accounts';
import { customerDecider } from '../../../src-main/reference/domain/customers';
import { orderDecider, type OrderEvent, type OrderState } from '../../../src-main/reference/domain/orders';
import { productDecider } from '../../../src-main/reference/domain/products';
import { DomainRuleViolation } from '../../../src-main/reference/errors';
import { splitFullName, upcast, type DomainEvent } from '../../../src-main/reference/events';

function fold<S, E>(evolve: (s: S, e: E) => S, initial: S, events: E[]): S {
  return events.reduce(evolve, initial);
}

function violation(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainRuleViolation) return err.code;
    throw err;
  }
  throw new Error('expected a DomainRuleViolation');
}

describe('bank account', () => {
  const open = (): AccountState =>
    fold(
      accountDecider.evolve,
      accountDecider.initialState(),
      accountDecider.decide({ type: 'OpenAccount', ownerId: 'c1', currency: 'EUR' }, accountDecider.initialState()),
    );

  it('tracks the balance through deposits, withdrawals and transfers', () => {
    let state = open();
    const run = (cmd: Parameters<typeof accountDecider.decide>[0]): AccountEvent[] => {
      const events = accountDecider.decide(cmd, state);
      state = fold(accountDecider.evolve, state, events);
      return events;
    };
    run({ type: 'DepositMoney', amountCents: 10_000 });
    run({ type: 'WithdrawMoney', amountCents: 2_500 });
    const [sent] = run({ type: 'SendTransfer', transferId: 't1', toAccountId: 'a2', amountCents: 500 });
    run({ type: 'ReceiveTransfer', transferId: 't2', fromAccountId: 'a3', amountCents: 1_000 });
    expect(sent).toEqual({ type: 'TransferSent', data: { transferId: 't1', toAccountId: 'a2', amountCents: 500, balanceCents: 7_000 } });
    expect(state.balanceCents).toBe(8_000);
  });

  it('never lets the balance go negative', () => {
    const state = fold(accountDecider.evolve, open(), accountDecider.decide({ type: 'DepositMoney', amountCents: 100 }, open()));
    expect(violation(() => accountDecider.decide({ type: 'WithdrawMoney', amountCents: 101 }, state))).toBe('insufficient_funds');
    expect(violation(() => accountDecider.decide({ type: 'SendTransfer', transferId: 't', toAccountId: 'x', amountCents: 101 }, state))).toBe(
      'insufficient_funds',
    );
    expect(accountDecider.decide({ type: 'WithdrawMoney', amountCents: 100 }, state)[0]?.data).toEqual({ amountCents: 100, balanceCents: 0 });
  });

  it('rejects bad amounts, closing with money left, and use after closing', () => {
    const state = open();
    expect(violation(() => accountDecider.decide({ type: 'DepositMoney', amountCents: 0 }, state))).toBe('invalid_amount');
    expect(violation(() => accountDecider.decide({ type: 'DepositMoney', amountCents: 1.5 }, state))).toBe('invalid_amount');
    const funded = fold(accountDecider.evolve, state, accountDecider.decide({ type: 'DepositMoney', amountCents: 5 }, state));
    expect(violation(() => accountDecider.decide({ type: 'CloseAccount', reason: 'x' }, funded))).toBe('balance_not_zero');
    const closed = fold(accountDecider.evolve, state, accountDecider.decide({ type: 'CloseAccount', reason: 'x' }, state));
    expect(violation(() => accountDecider.decide({ type: 'DepositMoney', amountCents: 5 }, closed))).toBe('account_closed');
    expect(violation(() => accountDecider.decide({ type: 'OpenAccount', ownerId: 'c', currency: 'EUR' }, closed))).toBe('already_exists');
    expect(violation(() => accountDecider.decide({ type: 'DepositMoney', amountCents: 5 }, accountDecider.initialState()))).toBe('not_found');
  });
});

describe('product catalog', () => {
  const created = productDecider.evolve(
    productDecider.initialState(),
    productDecider.decide({ type: 'CreateProduct', name: 'Lamp', sku: 'L-1', priceCents: 1999, initialStock: 3 }, productDecider.initialState())[0]!,
  );

  it('adjusts stock but never below zero', () => {
    const [adjusted] = productDecider.decide({ type: 'AdjustStock', delta: -3, reason: 'sale' }, created);
    expect(adjusted).toEqual({ type: 'StockAdjusted', data: { delta: -3, stock: 0, reason: 'sale' } });
    expect(violation(() => productDecider.decide({ type: 'AdjustStock', delta: -4, reason: 'sale' }, created))).toBe('insufficient_stock');
  });

  it('records renames and price changes with the previous value, and nothing when unchanged', () => {
    expect(productDecider.decide({ type: 'RenameProduct', name: 'Desk lamp' }, created)).toEqual([
      { type: 'ProductRenamed', data: { name: 'Desk lamp', previousName: 'Lamp' } },
    ]);
    expect(productDecider.decide({ type: 'RenameProduct', name: 'Lamp' }, created)).toEqual([]);
    expect(productDecider.decide({ type: 'ChangePrice', priceCents: 2499 }, created)[0]?.data).toEqual({ priceCents: 2499, previousPriceCents: 1999 });
  });

  it('refuses changes to a discontinued product', () => {
    const gone = productDecider.evolve(created, productDecider.decide({ type: 'DiscontinueProduct', reason: 'eol' }, created)[0]!);
    expect(violation(() => productDecider.decide({ type: 'ChangePrice', priceCents: 1 }, gone))).toBe('product_discontinued');
  });
});

describe('order', () => {
  const placeEvents = orderDecider.decide(
    {
      type: 'PlaceOrder',
      customerId: 'c1',
      currency: 'EUR',
      lines: [
        { productId: 'p1', quantity: 2, unitPriceCents: 500 },
        { productId: 'p2', quantity: 1, unitPriceCents: 250 },
      ],
    },
    orderDecider.initialState(),
  );
  const placed = fold<OrderState, OrderEvent>(orderDecider.evolve, orderDecider.initialState(), placeEvents);

  it('computes the total and follows the status flow to delivery', () => {
    expect(placed).toMatchObject({ status: 'placed', totalCents: 1250, itemCount: 3 });
    let state = placed;
    for (const cmd of [
      { type: 'UpdateOrderStatus', status: 'confirmed' },
      { type: 'ShipOrder', carrier: 'DHL', trackingNumber: 'Z1' },
      { type: 'DeliverOrder' },
    ] as const) {
      state = fold(orderDecider.evolve, state, orderDecider.decide(cmd, state));
    }
    expect(state.status).toBe('delivered');
    expect(violation(() => orderDecider.decide({ type: 'CancelOrder', reason: 'late' }, state))).toBe('invalid_transition');
  });

  it('cannot ship a cancelled order, nor deliver one not shipped, nor place an empty one', () => {
    const cancelled = fold(orderDecider.evolve, placed, orderDecider.decide({ type: 'CancelOrder', reason: 'changed mind' }, placed));
    expect(violation(() => orderDecider.decide({ type: 'ShipOrder', carrier: 'DHL', trackingNumber: 'Z' }, cancelled))).toBe('invalid_transition');
    expect(violation(() => orderDecider.decide({ type: 'DeliverOrder' }, placed))).toBe('invalid_transition');
    expect(violation(() => orderDecider.decide({ type: 'PlaceOrder', customerId: 'c', currency: 'EUR', lines: [] }, orderDecider.initialState()))).toBe(
      'empty_order',
    );
  });
});

describe('customer', () => {
  const address = { street: '1 Main St', city: 'Lyon', postalCode: '69001', country: 'FR' };

  it('registers at schema v2 and validates email', () => {
    const [registered] = customerDecider.decide(
      { type: 'RegisterCustomer', firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.org', address },
      customerDecider.initialState(),
    );
    expect(registered?.data).toEqual({ firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.org', address });
    const state = customerDecider.evolve(customerDecider.initialState(), registered!);
    expect(violation(() => customerDecider.decide({ type: 'ChangeCustomerEmail', email: 'nope' }, state))).toBe('invalid_email');
    expect(customerDecider.decide({ type: 'ChangeCustomerEmail', email: 'ada@example.org' }, state)).toEqual([]);
  });

  it('upcasts CustomerRegistered v1 (full name) to v2 (first/last)', () => {
    const v1: DomainEvent = {
      eventId: 'e1',
      type: 'CustomerRegistered',
      aggregateId: 'c1',
      aggregateType: 'Customer',
      version: 1,
      timestamp: '2024-01-01T00:00:00.000Z',
      data: { name: 'Grace Brewster Hopper', email: 'grace@example.org', address },
      metadata: { correlationId: 'x', causationId: 'x', userId: 'u', schemaVersion: 1 },
    };
    const v2 = upcast(v1);
    expect(v2.data).toEqual({ firstName: 'Grace Brewster', lastName: 'Hopper', email: 'grace@example.org', address });
    expect(v2.metadata.schemaVersion).toBe(2);
    expect(upcast(v2)).toBe(v2);
    expect(splitFullName('Plato')).toEqual({ firstName: 'Plato', lastName: '' });
  });
});
