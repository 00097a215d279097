import { describe, expect, it } from 'vitest';
import { fingerprintOf, historyModeOf, mergedQuery, PUSH_BURST_MS } from '../../../src-renderer/src/app/query-sync';
import { pointFromQuery, pointToQuery, comparedFromQuery, tabFromQuery, tabToQuery } from '../../../src-renderer/src/features/time-travel/time-travel-routes';

describe('keeping a screen and its address in step', () => {
  it('gives two addresses the same fingerprint only when the subject and the owned keys agree', () => {
    const at = (version: string, other = 'x') => ({ route: 'time-travel', id: 'acct-1', query: { version, other } });
    expect(fingerprintOf(at('2800'), ['version'])).toBe(fingerprintOf(at('2800', 'y'), ['version']));
    // Back from v2799 to v2800, or v2801 typed by hand: another state.
    expect(fingerprintOf(at('2800'), ['version'])).not.toBe(fingerprintOf(at('2799'), ['version']));
    expect(fingerprintOf(at('2800'), ['version'])).not.toBe(fingerprintOf({ ...at('2800'), id: 'acct-2' }, ['version']));
    expect(fingerprintOf({ route: 'feed', query: {} }, ['types'])).toBe(fingerprintOf({ route: 'feed', query: {} }, ['types']));
    expect(fingerprintOf({ route: 'feed', query: { a: '1', b: '2' } }, ['b', 'a'])).toBe(
      fingerprintOf({ route: 'feed', query: { a: '1', b: '2' } }, ['a', 'b']),
    );
  });

  it('merges an edit into the address: owned keys replaced or removed, the others kept', () => {
    expect(mergedQuery({ version: '2800', tab: 'compare' }, { version: 2799, time: undefined })).toEqual({ version: 2799, time: '', tab: 'compare' });
    expect(mergedQuery({ types: 'A', category: 'Order' }, { types: '' })).toEqual({ types: '', category: 'Order' });
  });

  it('pushes a committed choice, but a burst of them (a slider dragged) makes one entry', () => {
    expect(historyModeOf('replace', undefined, 0, '#/a')).toBe('replace');
    expect(historyModeOf('push', undefined, 0, '#/a')).toBe('push');
    const last = { at: 1_000, hash: '#/tt?version=5' };
    expect(historyModeOf('push', last, 1_000 + PUSH_BURST_MS - 1, '#/tt?version=5')).toBe('replace');
    expect(historyModeOf('push', last, 1_000 + PUSH_BURST_MS, '#/tt?version=5')).toBe('push');
    // After Back (or any other change of address) the next choice opens an entry again.
    expect(historyModeOf('push', last, 1_001, '#/tt?version=4')).toBe('push');
  });
});

describe("the time travel screen's address", () => {
  it('names a version, or else a time, or else the latest', () => {
    expect(pointFromQuery({ version: '2800' })).toEqual({ version: 2800 });
    expect(pointFromQuery({ version: '2800', time: '2026-01-01T00:00:00Z' })).toEqual({ version: 2800 });
    expect(pointFromQuery({ time: '2026-01-01T00:00:00Z' })).toEqual({ time: '2026-01-01T00:00:00Z' });
    expect(pointFromQuery({ time: 'soon', version: '-1' })).toEqual({});
    // A version written drops the time (the time resolved to it).
    expect(pointToQuery({ version: 12 })).toEqual({ version: 12, time: undefined });
    expect(pointToQuery({ time: '2026-01-01T00:00:00Z' })).toEqual({ version: undefined, time: '2026-01-01T00:00:00Z' });
  });

  it('keeps the tab and the compared points', () => {
    expect(tabFromQuery({ tab: 'compare' })).toBe('compare');
    expect(tabFromQuery({ tab: 'bogus' })).toBe('history');
    expect(tabToQuery('history')).toEqual({ tab: undefined });
    expect(comparedFromQuery({ a: '1', b: '2026-01-31 14:05' })).toEqual({ a: '1', b: '2026-01-31 14:05' });
    expect(comparedFromQuery({ a: '1' })).toBeUndefined();
  });
});
