import type { FieldProblem } from '../../../../src-shared/validate';

/**
 * Looks up the problems of one form field; `settings.brokers` also collects `settings.brokers.2`.
 * Only the first is shown: an empty host is "required", saying it is also malformed adds nothing.
 */
export interface ProblemLookup {
  for(field: string): string[];
  /** Problems no visible field claims, shown at the top of the form. */
  unclaimed(visibleFields: readonly string[]): FieldProblem[];
}

export function lookupProblems(problems: readonly FieldProblem[]): ProblemLookup {
  const belongsTo = (problem: FieldProblem, field: string) => problem.field === field || problem.field.startsWith(`${field}.`);
  return {
    for: (field) =>
      problems
        .filter((p) => belongsTo(p, field))
        .slice(0, 1)
        .map((p) => p.message),
    unclaimed: (visible) => problems.filter((p) => !visible.some((field) => belongsTo(p, field))),
  };
}
