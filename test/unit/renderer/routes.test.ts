import { describe, expect, it } from 'vitest';
import { buildHash, parseHash, registerRoutes, versionParam } from '../../../src-renderer/src/app/routes';
import { parseStreamHash, streamHref } from '../../../src-renderer/src/features/browse/browse-routes';
import { parseTimeTravelHash, timeTravelHref } from '../../../src-renderer/src/features/time-travel/time-travel-routes';

// The screens register their routes in app/features.ts; these tests parse without the screens.
registerRoutes(['feed', 'stream', 'streams', 'time-travel']);

describe('route helper', () => {
  it('builds and parses back a route with an id and query parameters', () => {
    const hash = buildHash('feed', undefined, { types: 'OrderPlaced, OrderShipped', category: 'Order', from: '2026-01-01T10:00' });
    expect(hash.startsWith('#/feed?')).toBe(true);
    expect(parseHash(hash)).toEqual({ route: 'feed', query: { types: 'OrderPlaced, OrderShipped', category: 'Order', from: '2026-01-01T10:00' } });

    const odd = 'order/42?x=1&y=#é %';
    const streamHash = buildHash('stream', odd, { version: 0 });
    expect(parseHash(streamHash)).toEqual({ route: 'stream', id: odd, query: { version: '0' } });
  });

  it('leaves out empty and undefined values, and one address has one hash whatever the key order', () => {
    expect(buildHash('audit', undefined, { text: '', outcome: undefined })).toBe('#/audit');
    expect(buildHash('audit', undefined, { b: '2', a: '1' })).toBe(buildHash('audit', undefined, { a: '1', b: '2' }));
  });

  it('falls back to the overview for unknown or empty routes', () => {
    expect(parseHash('')).toEqual({ route: 'overview', query: {} });
    expect(parseHash('#/')).toEqual({ route: 'overview', query: {} });
    expect(parseHash('#/nowhere/x?version=3')).toEqual({ route: 'overview', query: {} });
    expect(parseHash('#/__proto__')).toEqual({ route: 'overview', query: {} });
  });

  it('drops a malformed id or version instead of throwing', () => {
    expect(parseHash('#/stream/%E0%A4%A?version=2')).toEqual({ route: 'stream', query: { version: '2' } });
    expect(parseStreamHash('#/stream/a?version=-1')).toEqual({ streamId: 'a', version: undefined });
    expect(parseStreamHash('#/stream/a?version=1e3')).toEqual({ streamId: 'a', version: undefined });
    expect(versionParam('99999999999999999999')).toBeUndefined();
    expect(versionParam('7')).toBe(7);
  });

  it('keeps the screen helpers on the same format', () => {
    expect(parseStreamHash(streamHref('order-1', 5))).toEqual({ streamId: 'order-1', version: 5 });
    expect(parseStreamHash(streamHref('order-1'))).toEqual({ streamId: 'order-1', version: undefined });
    expect(parseTimeTravelHash(timeTravelHref('acct 1', 0))).toEqual({ streamId: 'acct 1', version: 0 });
    expect(timeTravelHref()).toBe('#/time-travel');
    // A stream address is not a time travel one.
    expect(parseTimeTravelHash(streamHref('order-1', 5))).toEqual({ streamId: undefined, version: undefined });
  });
});
