import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { isDryRun, refreshAfter } from '../../../src-renderer/src/client/refresh';

/** A query client holding fresh results for these keys. */
function cacheOf(keys: unknown[][]): QueryClient {
  const client = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity } } });
  for (const key of keys) client.setQueryData(key, { cached: true });
  return client;
}
const isStale = (client: QueryClient, key: unknown[]) => client.getQueryState(key)?.isInvalidated === true;

describe('refreshing after a call, from the contract table', () => {
  it('confirming a preset makes the charts stale, for every input, and leaves unrelated results alone', async () => {
    const histogram = ['stats.histogram', { connectionId: 'a', bucket: 'hour' }];
    const largest = ['stats.largestStreams', { connectionId: 'a' }];
    const profiles = ['connections.list', {}];
    const client = cacheOf([histogram, largest, profiles]);
    await refreshAfter(client, 'stores.configure', { succeeded: true });
    expect(isStale(client, histogram)).toBe(true);
    expect(isStale(client, largest)).toBe(true);
    expect(isStale(client, profiles)).toBe(false);
  });

  it('an export makes the audit chain check stale', async () => {
    const verify = ['audit.verify'];
    const list = ['audit.list', { limit: 50 }];
    const client = cacheOf([verify, list]);
    await refreshAfter(client, 'events.export', { succeeded: false });
    expect(isStale(client, verify)).toBe(true);
    expect(isStale(client, list)).toBe(true);
  });

  it('tells a dry run by its input', () => {
    expect(isDryRun({ id: 'x', dryRun: true })).toBe(true);
    expect(isDryRun({ id: 'x' })).toBe(false);
    expect(isDryRun(undefined)).toBe(false);
  });
});
