import { useMemo } from 'react';
import { useOperation } from '../../client/operation-hooks';
import type { StreamRow } from './stream-list-view';

/**
 * Categories to pick from, as the store spells them. No operation lists them all, so these are the ones
 * seen: in the 100 largest streams, the first 500 events of the feed and the streams loaded.
 */
export function useKnownCategories(connectionId: string | undefined, loaded: readonly StreamRow[]): string[] {
  const options = { enabled: connectionId !== undefined, retry: false, staleTime: 60_000 } as const;
  const largest = useOperation('stats.largestStreams', { connectionId: connectionId ?? '', limit: 100 }, options);
  const feed = useOperation('feed.read', { connectionId: connectionId ?? '', limit: 500 }, options);
  return useMemo(() => {
    const seen = [...(largest.data?.streams ?? []), ...(feed.data?.events ?? []), ...loaded].flatMap((row) => (row.category ? [row.category] : []));
    return [...new Set(seen)].sort((a, b) => a.localeCompare(b));
  }, [largest.data, feed.data, loaded]);
}
