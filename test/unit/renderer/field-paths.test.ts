import { describe, expect, it } from 'vitest';
import { fieldPaths, firstScalarPath } from '../../../src-renderer/src/features/time-travel/field-paths';

const order = {
  orderId: 'o-1',
  status: 'placed',
  customer: { id: 'c-1', email: 'a@b.c' },
  lines: [
    { sku: 'A', quantity: 2 },
    { sku: 'B', quantity: 1 },
  ],
  totalCents: 1200,
};

describe('field path suggestions', () => {
  it("come from the state's own fields, nested ones too, never a field it lacks", () => {
    const paths = fieldPaths(order);
    expect(paths).toEqual([
      'orderId',
      'status',
      'customer',
      'customer.id',
      'customer.email',
      'lines',
      'lines.0',
      'lines.0.sku',
      'lines.0.quantity',
      'lines.1',
      'lines.1.sku',
      'lines.1.quantity',
      'totalCents',
    ]);
    expect(paths).not.toContain('balanceCents');
    expect(firstScalarPath(order)).toBe('orderId');
    expect(firstScalarPath({ account: { balanceCents: 5 } })).toBe('account');
  });

  it('offer nothing without a state object, and stop at the limit', () => {
    expect(fieldPaths(undefined)).toEqual([]);
    expect(fieldPaths(42)).toEqual([]);
    expect(firstScalarPath(null)).toBeUndefined();
    expect(fieldPaths({ items: Array.from({ length: 50 }, (_, i) => ({ i })) })).toEqual([
      'items',
      'items.0',
      'items.0.i',
      'items.1',
      'items.1.i',
      'items.2',
      'items.2.i',
    ]);
    expect(fieldPaths(Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}`, i])), 10)).toHaveLength(10);
  });
});
