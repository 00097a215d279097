import { useInfiniteQuery } from '@tanstack/react-query';
import type { InputOf } from '../../../../src-shared/operations';
import { useClient } from '../../client/host-context';
import { operationKey } from '../../client/operation-hooks';

const PAGE_SIZE = 100;

/** Audit records newest first, a page at a time: each page continues below the last one's `nextBeforeSeq`. */
export function useAuditRecords(input: InputOf<'audit.list'>) {
  const client = useClient();
  return useInfiniteQuery({
    queryKey: [...operationKey('audit.list', input), 'pages'],
    initialPageParam: undefined as number | undefined,
    queryFn: ({ pageParam, signal }) =>
      client.call('audit.list', { ...input, limit: PAGE_SIZE, ...(pageParam !== undefined ? { beforeSeq: pageParam } : {}) }, { signal }),
    getNextPageParam: (lastPage) => lastPage.nextBeforeSeq,
  });
}
