import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import type { OperationName } from '../../../../src-shared/operations';
import { useOperation } from '../../client/operation-hooks';
import { useStream } from '../../client/stream-hooks';

/** Results that depend on a definition's code: refetched when user definition files change. */
const REPLAYED: OperationName[] = ['timeTravel.definitions', 'timeTravel.steps', 'timeTravel.fieldHistory', 'timeTravel.compare'];

/**
 * The definitions list, kept current by the `timeTravel.definitionsChanged`
 * stream: each new revision (a file saved, added, removed; the folder set)
 * refetches the list and every replayed result. `revision` lets callers key
 * their own caches on it.
 */
export function useDefinitions() {
  const queryClient = useQueryClient();
  const list = useOperation('timeTravel.definitions', {}, { retry: false });
  const revision = useStream('timeTravel.definitionsChanged', {}).latest?.revision;
  useEffect(() => {
    if (revision === undefined) return;
    // The first revision seen may already match the list; refetching once is cheap.
    for (const op of REPLAYED) void queryClient.invalidateQueries({ queryKey: [op] });
  }, [queryClient, revision]);
  return { ...list, revision: revision ?? list.data?.revision ?? 0 };
}
