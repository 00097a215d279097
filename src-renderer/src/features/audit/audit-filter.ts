import type { InputOf } from '../../../../src-shared/operations';
import type { Query, QueryInput } from '../../app/routes';
import { operations } from '../../../../src-shared/operations';
import type { AuditRecord } from '../../../../src-shared/schemas/audit';
import { ENGINE_AUDIT_RECORDS } from '../../../../src-shared/schemas/audit';

export type Outcome = AuditRecord['outcome'];

export interface AuditFilter {
  operation: string;
  outcome: Outcome | '';
  runs: 'all' | 'real' | 'dry';
  text: string;
}

export const NO_FILTER: AuditFilter = { operation: '', outcome: '', runs: 'all', text: '' };

const OUTCOMES: readonly Outcome[] = ['ok', 'error', 'refused', 'cancelled', 'unknown'];

/** Kept in the address: `#/audit?operation=…&outcome=…&runs=…&text=…`; unknown values are ignored. */
export function auditFilterFromQuery(query: Query): AuditFilter {
  const outcome = OUTCOMES.find((known) => known === query.outcome);
  return {
    operation: query.operation !== undefined && AUDITED_OPERATIONS.includes(query.operation) ? query.operation : '',
    outcome: outcome ?? '',
    runs: query.runs === 'real' || query.runs === 'dry' ? query.runs : 'all',
    text: query.text ?? '',
  };
}

export function auditFilterToQuery(filter: AuditFilter): QueryInput {
  return { operation: filter.operation, outcome: filter.outcome, runs: filter.runs === 'all' ? undefined : filter.runs, text: filter.text };
}

/**
 * Every name the log can hold: operations that change something, views that may open
 * personal data (they record it when they do), and the engine's own records.
 */
export const AUDITED_OPERATIONS: string[] = [
  ...Object.entries(operations)
    .filter(([, spec]) => spec.effect !== 'none' || ('personalData' in spec && spec.personalData === true))
    .map(([name]) => name),
  ...Object.values(ENGINE_AUDIT_RECORDS),
].sort();

export function listInputOf(filter: AuditFilter): InputOf<'audit.list'> {
  return {
    ...(filter.operation ? { operation: filter.operation } : {}),
    ...(filter.outcome ? { outcome: filter.outcome } : {}),
    ...(filter.runs !== 'all' ? { dryRun: filter.runs === 'dry' } : {}),
    ...(filter.text.trim() ? { text: filter.text.trim() } : {}),
  };
}

export function isFiltered(filter: AuditFilter): boolean {
  return Object.keys(listInputOf(filter)).length > 0;
}
