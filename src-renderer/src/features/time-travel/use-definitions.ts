import { useEffect } from 'react';
import { useOperation, useRefreshAfter } from '../../client/operation-hooks';
import { useStream } from '../../client/stream-hooks';

/**
 * The definitions list, kept current by the `timeTravel.definitionsChanged`
 * stream: each new revision (a file saved, added, removed; the folder set)
 * refetches the list and every replayed result. `revision` lets callers key
 * their own caches on it.
 */
export function useDefinitions() {
  const refreshAfter = useRefreshAfter();
  const list = useOperation('timeTravel.definitions', {}, { retry: false });
  const revision = useStream('timeTravel.definitionsChanged', {}).latest?.revision;
  useEffect(() => {
    if (revision === undefined) return;
    // The first revision seen may already match the list; refetching once is cheap.
    // The table's `invalidates` of the stream: the list and every result replayed with a definition's code.
    void refreshAfter('timeTravel.definitionsChanged', { succeeded: true });
  }, [refreshAfter, revision]);
  return { ...list, revision: revision ?? list.data?.revision ?? 0 };
}
