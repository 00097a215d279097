/** Errors of the reference system, each telling what to do about it. */

/** Another writer appended to the aggregate first; reload and retry the command. */
export class ConcurrencyConflictError extends Error {
  override readonly name = 'ConcurrencyConflictError';
  constructor(
    readonly aggregateType: string,
    readonly aggregateId: string,
    readonly expectedVersion: number,
  ) {
    super(
      `Concurrency conflict on ${aggregateType} ${aggregateId}: expected version ${expectedVersion}, ` +
        `but another writer appended first. Reload the aggregate and retry the command.`,
    );
  }
}

/** A command broke a business rule (e.g. withdrawing more than the balance). Not retryable. */
export class DomainRuleViolation extends Error {
  override readonly name = 'DomainRuleViolation';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A command's input is malformed (missing field, wrong type). Not retryable. */
export class InvalidCommandError extends Error {
  override readonly name = 'InvalidCommandError';
}

/** True when a pg error is a unique violation of the named constraint (or of any, when none is named). */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string } | null;
  return !!e && e.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

/** True when a MongoDB error is a duplicate-key error (code 11000), also inside bulk write errors. */
export function isMongoDuplicateKey(err: unknown): boolean {
  const e = err as { code?: number; writeErrors?: { code?: number }[] } | null;
  if (!e) return false;
  if (e.code === 11000) return true;
  return Array.isArray(e.writeErrors) && e.writeErrors.some((w) => w.code === 11000);
}
