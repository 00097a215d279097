import type { InputOf } from '../../../../src-shared/operations';
import type { Query, QueryInput } from '../../app/routes';
import { operations } from '../../../../src-shared/operations';
import type { AuditRecord } from '../../../../src-shared/schemas/audit';

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

/** Only operations that change something are audited. */
export const AUDITED_OPERATIONS = Object.entries(operations)
  .filter(([, spec]) => spec.effect !== 'none')
  .map(([name]) => name);

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
