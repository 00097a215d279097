import { describe, expect, it } from 'vitest';
import { buildHash, parseHash, registerRoutes } from '../../../src-renderer/src/app/routes';
import { feedFilterFromQuery, feedFilterToQuery, NO_FILTER, type FeedFilter } from '../../../src-renderer/src/features/browse/feed-filter';

// Screens register their routes in app/features.ts; these tests parse without the screens.
registerRoutes(['feed', 'streams']);

const viaAddress = (filter: FeedFilter) => feedFilterFromQuery(parseHash(buildHash('feed', undefined, feedFilterToQuery(filter))).query);

describe('feed filters in the address', () => {
  it('come back unchanged from the address', () => {
    const filter: FeedFilter = {
      types: 'OrderPlaced, OrderShipped',
      category: 'Order & Co',
      from: '2025-03-01T00:00',
      to: '2025-03-02T10:30:15',
      seek: '25000',
      correlation: 'c0ffee',
      field: { in: 'metadata', path: 'user.id', op: 'contains', value: 'a=b?c' },
    };
    expect(viaAddress(filter)).toEqual(filter);
    expect(viaAddress(NO_FILTER)).toEqual(NO_FILTER);
    expect(buildHash('feed', undefined, feedFilterToQuery(NO_FILTER))).toBe('#/feed');
  });

  it('ignore values that could not have been typed', () => {
    expect(feedFilterFromQuery({ from: 'yesterday', seek: '-3', fieldIn: 'body', fieldOp: 'regex' })).toEqual(NO_FILTER);
  });
});
