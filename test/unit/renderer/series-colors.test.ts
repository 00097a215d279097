import { describe, expect, it } from 'vitest';
import { colorOf, OTHER_COLOR, SERIES_PALETTE, seriesColors } from '../../../src-renderer/src/ui/series-colors';

const TYPES = ['OrderPlaced', 'OrderShipped', 'PaymentCaptured', 'AccountOpened', 'MoneyDeposited', 'MoneyWithdrawn', 'OrderCancelled', 'ItemAdded'];

describe('event type colours', () => {
  it('gives a type the same colour whatever its place among the types of the range', () => {
    const wide = seriesColors(TYPES, 'other');
    const narrow = seriesColors(['OrderShipped', 'OrderPlaced'], 'other');
    const reversed = seriesColors([...TYPES].reverse(), 'other');
    // The old chart coloured by index: the first type of any range was blue.
    expect(narrow.get('OrderShipped')).toBe(colorOf('OrderShipped'));
    expect(narrow.get('OrderPlaced')).toBe(colorOf('OrderPlaced'));
    for (const type of TYPES) expect(reversed.get(type)).toBe(wide.get(type));
    expect(colorOf('OrderPlaced')).not.toBe(colorOf('OrderShipped'));
  });

  it('keeps the series drawn together apart, and "other" grey', () => {
    const colors = seriesColors([...TYPES, 'other'], 'other');
    expect(colors.get('other')).toBe(OTHER_COLOR);
    const drawn = TYPES.map((type) => colors.get(type));
    expect(new Set(drawn).size).toBe(TYPES.length);
    for (const color of drawn) expect(SERIES_PALETTE).toContain(color);
  });
});
