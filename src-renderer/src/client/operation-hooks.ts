import { useMutation, useQuery, useQueryClient, type UseMutationOptions, type UseQueryOptions } from '@tanstack/react-query';
import { useCallback } from 'react';
import type { ChronoError } from '../../../src-shared/errors';
import type { CallOutcome, InputOf, OperationName, ResultOf } from '../../../src-shared/operations';
import { useClient } from './host-context';
import { isDryRun, refreshAfter } from './refresh';

declare module '@tanstack/react-query' {
  interface Register {
    defaultError: ChronoError;
  }
}

/** Query keys start with the operation name, so `invalidateQueries({queryKey: [op]})` reaches every input. */
export function operationKey<N extends OperationName>(op: N, input?: InputOf<N>): readonly unknown[] {
  return input === undefined ? [op] : [op, input];
}

type QueryOptions<N extends OperationName> = Omit<UseQueryOptions<ResultOf<N>, ChronoError>, 'queryKey' | 'queryFn'>;

/** A read operation as a cached query; unmounting or refetching cancels the call on the host. */
export function useOperation<N extends OperationName>(op: N, input: InputOf<N>, options?: QueryOptions<N>) {
  const client = useClient();
  return useQuery<ResultOf<N>, ChronoError>({
    ...options,
    queryKey: operationKey(op, input),
    queryFn: ({ signal }) => client.call(op, input, { signal }),
  });
}

type MutationOptions<N extends OperationName> = Omit<UseMutationOptions<ResultOf<N>, ChronoError, InputOf<N>>, 'mutationFn'>;

/**
 * A state-changing operation. What it makes stale is refetched after the call,
 * as the contract table's `invalidates` declares (see `staleAfter`).
 */
export function useMutationOp<N extends OperationName>(op: N, options: MutationOptions<N> = {}) {
  const client = useClient();
  const refresh = useRefreshAfter();
  const { onSettled, ...rest } = options;
  return useMutation<ResultOf<N>, ChronoError, InputOf<N>>({
    ...rest,
    mutationFn: (input) => client.call(op, input),
    onSettled: async (...args) => {
      await refresh(op, { succeeded: args[1] === null, dryRun: isDryRun(args[2]) });
      return onSettled?.(...args);
    },
  });
}

/** For calls made without `useMutationOp` (streams, started calls): refetches what the table says `op` made stale. */
export function useRefreshAfter(): (op: OperationName, outcome: CallOutcome) => Promise<void> {
  const queryClient = useQueryClient();
  return useCallback((op, outcome) => refreshAfter(queryClient, op, outcome), [queryClient]);
}
