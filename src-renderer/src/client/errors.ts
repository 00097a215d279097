import { ChronoError } from '../../../src-shared/errors';
import type { FieldProblem } from '../../../src-shared/validate';

/** Field problems of an `invalid_input` error, e.g. `settings.port`: "port must be between 1 and 65535". */
export function problemsOf(error: unknown): FieldProblem[] {
  // A saved password refused for a changed target belongs next to the password field.
  if (error instanceof ChronoError && error.code === 'secret_required') {
    const field = (error.details as { field?: unknown } | undefined)?.field;
    return [{ field: typeof field === 'string' ? field : 'secret', message: error.message }];
  }
  if (!(error instanceof ChronoError) || error.code !== 'invalid_input') return [];
  const problems = (error.details as { problems?: unknown } | undefined)?.problems;
  if (!Array.isArray(problems)) return [];
  return problems.filter(
    (p): p is FieldProblem =>
      typeof p === 'object' && p !== null && typeof (p as FieldProblem).field === 'string' && typeof (p as FieldProblem).message === 'string',
  );
}

/** One line for a person; never "[object Object]". */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

export function codeOf(error: unknown): string | undefined {
  return error instanceof ChronoError ? error.code : undefined;
}
