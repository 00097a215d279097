import { describe, expect, it } from 'vitest';
import { ReplayCache } from '../../../src-main/engine/time-travel/replay-cache';

const waypoint = (version: number, size = 10) => ({ version, state: 'x'.repeat(size), type: 'T', timestamp: null });
const definition = { name: 'account.js', source: 'definition = {}' };

describe('replay cache', () => {
  it('gives the latest waypoint at or before a version', () => {
    const cache = new ReplayCache();
    const key = cache.key('c', 's', definition);
    for (const v of [30_000, 10_000, 20_000]) cache.record(key, waypoint(v));
    expect(cache.best(key, 25_000)?.version).toBe(20_000);
    expect(cache.best(key, 30_000)?.version).toBe(30_000);
    expect(cache.best(key, 9_999)).toBeUndefined();
    expect(cache.best(key, undefined)?.version).toBe(30_000);
  });

  it('keys by the exact definition source, so an edited definition starts afresh', () => {
    const cache = new ReplayCache();
    cache.record(cache.key('c', 's', definition), waypoint(10_000));
    expect(cache.best(cache.key('c', 's', { ...definition, source: 'definition = { changed: 1 }' }), 20_000)).toBeUndefined();
    expect(cache.best(cache.key('c', 'other', definition), 20_000)).toBeUndefined();
  });

  it('evicts the least recently used streams past its byte budget, and refuses one huge state', () => {
    const cache = new ReplayCache(1000);
    const a = cache.key('c', 'a', definition);
    const b = cache.key('c', 'b', definition);
    const c = cache.key('c', 'c', definition);
    cache.record(a, waypoint(1, 100));
    cache.record(b, waypoint(1, 100));
    cache.best(a, 5); // a is now the most recent
    cache.record(c, waypoint(1, 100));
    for (let v = 2; v < 10; v++) cache.record(c, waypoint(v, 100)); // c grows to 900 bytes
    expect(cache.best(b, 5)).toBeUndefined(); // the least recent went first
    expect(cache.size.bytes).toBeLessThanOrEqual(1000);
    cache.record(a, waypoint(50, 500)); // over an eighth of the budget: not kept
    expect(cache.best(a, 60)?.version).not.toBe(50);
  });

  it('forgets a stream whose store no longer matches', () => {
    const cache = new ReplayCache();
    const key = cache.key('c', 's', definition);
    cache.record(key, waypoint(10_000));
    cache.forget(key);
    expect(cache.best(key, 20_000)).toBeUndefined();
    expect(cache.size).toEqual({ streams: 0, bytes: 0 });
  });
});
