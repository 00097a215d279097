import type { QueryClient } from '@tanstack/react-query';
import { staleAfter, type CallOutcome, type OperationName } from '../../../src-shared/operations';

/** Whether a call's input asked for a dry run, which changes nothing. */
export function isDryRun(input: unknown): boolean {
  return typeof input === 'object' && input !== null && (input as { dryRun?: unknown }).dryRun === true;
}

/**
 * Refetches what a call made stale, as the contract table declares it. Query
 * keys start with the operation name, so one invalidation reaches every input.
 */
export async function refreshAfter(queryClient: QueryClient, op: OperationName, outcome: CallOutcome): Promise<void> {
  await Promise.all(staleAfter(op, outcome).map((name) => queryClient.invalidateQueries({ queryKey: [name] })));
}
