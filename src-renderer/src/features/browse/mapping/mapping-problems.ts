import { ChronoError } from '../../../../../src-shared/errors';
import { problemsOf } from '../../../client/errors';
import { ROLES, type MappingDraft, type Role } from './mapping-draft';

/** What the host said about a mapping, sorted onto the parts of the form it concerns. */
export interface MappingProblems {
  /** Every problem, one line each, for the summary next to the form. */
  lines: string[];
  byRole: Partial<Record<Role, string[]>>;
  table: string[];
  separator: string[];
  metadataKeys: string[];
  reason: string[];
}

function add(target: Partial<Record<Role, string[]>>, role: Role, line: string) {
  (target[role] ??= []).push(line);
}

/** Input problems name fields (`custom.columns.version`); schema problems name columns (`public.t.seq`). */
export function mappingProblems(error: unknown, draft: MappingDraft): MappingProblems {
  const out: MappingProblems = { lines: [], byRole: {}, table: [], separator: [], metadataKeys: [], reason: [] };
  const fieldProblems = problemsOf(error);
  if (fieldProblems.length) {
    for (const { field, message } of fieldProblems) {
      out.lines.push(`${field}: ${message}`);
      const [, part, role] = field.split('.');
      if (field === 'reason') out.reason.push(message);
      else if (part === 'columns' && role) add(out.byRole, role as Role, message);
      else if (part === 'table' || part === 'schema') out.table.push(message);
      else if (part === 'categoryFromStreamId') out.separator.push(message);
      else if (part === 'metadataKeys') out.metadataKeys.push(message);
    }
    return out;
  }
  const details = error instanceof ChronoError ? (error.details as { problems?: unknown } | undefined) : undefined;
  const lines = Array.isArray(details?.problems) ? details.problems.filter((p): p is string => typeof p === 'string') : [];
  out.lines = lines;
  for (const line of lines) {
    // A type problem says which role it is about ("the version column must be..."); a missing column fits every role it was picked for.
    const named = ROLES.find((r) => line.includes(`the ${r.role} column`));
    if (named) {
      add(out.byRole, named.role, line);
      continue;
    }
    for (const { role } of ROLES) {
      const column = draft.columns[role];
      if (column && (line.includes(`.${column} `) || line.endsWith(`.${column}`))) add(out.byRole, role, line);
    }
    if (/^(table|collection) /.test(line)) out.table.push(line);
  }
  return out;
}
