import { ChronoError } from '../../../src-shared/errors';

/**
 * The token a destructive operation's dry run returns beside its result. The
 * dispatcher adds it, so the operation's declared result type does not name it.
 */
export function confirmationOf(dryRunResult: unknown): string {
  const token = (dryRunResult as { confirmation?: unknown } | null)?.confirmation;
  if (typeof token !== 'string' || token === '') throw new ChronoError('internal', 'The dry run returned no confirmation token.');
  return token;
}
