import type { InputOf } from '../../../../src-shared/operations';
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
