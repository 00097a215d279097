import { describe, expect, it } from 'vitest';
import { buildHash, parseHash, registerRoutes } from '../../../src-renderer/src/app/routes';
import {
  NO_FILTER,
  resolveCategory,
  sortStreams,
  viewFromQuery,
  viewToQuery,
  type StreamRow,
  type StreamsView,
} from '../../../src-renderer/src/features/browse/stream-list-view';

// Screens register their routes in app/features.ts; these tests parse without the screens.
registerRoutes(['feed', 'streams']);

const row = (streamId: string, eventCount: number, lastActivity: string | null): StreamRow => ({
  streamId,
  category: streamId.split('-')[0] ?? null,
  eventCount,
  lastVersion: eventCount,
  lastActivity,
});

describe('stream list view', () => {
  it('matches a typed category to the stored one whatever its case', () => {
    expect(resolveCategory(' order ', ['Account', 'Order'])).toBe('Order');
    expect(resolveCategory('ORDER', ['Account', 'Order'])).toBe('Order');
    // Unknown ones are sent as typed.
    expect(resolveCategory('Invoice', ['Account', 'Order'])).toBe('Invoice');
  });

  it('sorts the loaded rows by a column, either way, ties in store order', () => {
    const rows = [row('a-1', 5, '2025-01-02'), row('b-1', 9, null), row('a-2', 5, '2025-01-03')];
    expect(sortStreams(rows, { key: 'events', descending: true }).map((r) => r.streamId)).toEqual(['b-1', 'a-1', 'a-2']);
    expect(sortStreams(rows, { key: 'activity', descending: true }).map((r) => r.streamId)).toEqual(['a-2', 'a-1', 'b-1']);
    expect(sortStreams(rows, { key: 'id', descending: false })).toBe(rows);
  });

  it('round-trips through the address and ignores an unknown sort', () => {
    const view: StreamsView = { category: 'Order', idPrefix: 'order-1', search: '2', sort: { key: 'events', descending: true } };
    expect(viewFromQuery(parseHash(buildHash('streams', undefined, viewToQuery(view))).query)).toEqual(view);
    expect(buildHash('streams', undefined, viewToQuery(NO_FILTER))).toBe('#/streams');
    expect(viewFromQuery({ sort: 'size-desc' })).toEqual(NO_FILTER);
  });
});
