import { SelectField, TextField } from '../../ui/inputs';
import { AUDITED_OPERATIONS, type AuditFilter, type Outcome } from './audit-filter';

const OPERATION_OPTIONS = [{ value: '', label: 'Any operation' }, ...AUDITED_OPERATIONS.map((name) => ({ value: name, label: name }))];
const OUTCOME_OPTIONS: { value: Outcome | ''; label: string }[] = [
  { value: '', label: 'Any outcome' },
  { value: 'ok', label: 'ok' },
  { value: 'error', label: 'error' },
  { value: 'refused', label: 'refused' },
  { value: 'cancelled', label: 'cancelled' },
  { value: 'unknown', label: 'outcome unknown' },
];
const RUN_OPTIONS: { value: AuditFilter['runs']; label: string }[] = [
  { value: 'all', label: 'Real runs and dry runs' },
  { value: 'real', label: 'Real runs only' },
  { value: 'dry', label: 'Dry runs only' },
];

export function AuditFilters({ value, onChange }: { value: AuditFilter; onChange: (next: AuditFilter) => void }) {
  return (
    <div className="audit-filters" role="search" data-testid="audit-filters">
      <SelectField
        label="Operation"
        value={value.operation}
        options={OPERATION_OPTIONS}
        testId="audit-filter-operation"
        onChange={(operation) => onChange({ ...value, operation })}
      />
      <SelectField
        label="Outcome"
        value={value.outcome}
        options={OUTCOME_OPTIONS}
        testId="audit-filter-outcome"
        onChange={(outcome) => onChange({ ...value, outcome })}
      />
      <SelectField label="Dry run" value={value.runs} options={RUN_OPTIONS} testId="audit-filter-runs" onChange={(runs) => onChange({ ...value, runs })} />
      <TextField
        className="audit-filters__text"
        label="Search"
        value={value.text}
        placeholder="operation, target (e.g. a stream id), reason, user or input"
        testId="audit-filter-text"
        onChange={(text) => onChange({ ...value, text })}
      />
    </div>
  );
}
