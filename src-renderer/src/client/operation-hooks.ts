import {
  useMutation,
  useQuery,
  useQueryClient,
  type UseMutationOptions,
  type UseQueryOptions,
} from '@tanstack/react-query';
import type { ChronoError } from '../../../src-shared/errors';
import { operations, type InputOf, type OperationName, type ResultOf } from '../../../src-shared/operations';
import { useClient } from './host-context';

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

type MutationOptions<N extends OperationName> = Omit<UseMutationOptions<ResultOf<N>, ChronoError, InputOf<N>>, 'mutationFn'> & {
  /** Queries to refresh after the call, besides the audit log (refreshed for every audited operation). */
  invalidates?: OperationName[];
  /** Queries to refresh only after a successful call: a refused change changed nothing, and refetching could unmount the form showing why. */
  invalidatesOnSuccess?: OperationName[];
};

/** A state-changing operation. Failed calls are audited too, so the audit log refreshes either way. */
export function useMutationOp<N extends OperationName>(op: N, options: MutationOptions<N> = {}) {
  const client = useClient();
  const queryClient = useQueryClient();
  const { invalidates = [], invalidatesOnSuccess = [], onSettled, ...rest } = options;
  const audited = operations[op].effect !== 'none';
  const stale: OperationName[] = audited ? [...invalidates, 'audit.list', 'audit.verify'] : invalidates;
  return useMutation<ResultOf<N>, ChronoError, InputOf<N>>({
    ...rest,
    mutationFn: (input) => client.call(op, input),
    onSettled: async (...args) => {
      const succeeded = args[1] === null;
      await Promise.all([...stale, ...(succeeded ? invalidatesOnSuccess : [])].map((name) => queryClient.invalidateQueries({ queryKey: [name] })));
      return onSettled?.(...args);
    },
  });
}
