import type { z } from 'zod';
import { ChronoError } from './errors';

export interface FieldProblem {
  field: string;
  message: string;
}

/** Formats zod issues so every message names the field it is about. */
export function describeIssues(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => {
    const field = issue.path.length ? issue.path.map(String).join('.') : '(input)';
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') message = `unknown field(s): ${issue.keys.join(', ')}`;
    return { field, message };
  });
}

/** Parses an operation's input; throws `invalid_input` listing each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, operation: string): z.output<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = describeIssues(parsed.error);
  const summary = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  throw new ChronoError('invalid_input', `Invalid input for ${operation}: ${summary}`, { problems });
}
