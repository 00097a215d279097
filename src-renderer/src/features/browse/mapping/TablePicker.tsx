import type { InspectedTable } from '../../../../../src-shared/schemas/browse';
import { SelectField } from '../../../ui/inputs';
import { tableLabel, type Backend } from './mapping-draft';

interface TablePickerProps {
  tables: readonly InspectedTable[];
  backend: Backend;
  value: number;
  onChange: (index: number) => void;
  errors: string[];
}

function describe(table: InspectedTable): string {
  const rows = table.approximateRows === null ? 'rows unknown' : `~${table.approximateRows.toLocaleString('en-US')} rows`;
  const fields = `${table.columns.length} ${table.kind === 'collection' ? 'fields' : 'columns'}`;
  return `${tableLabel(table)}${table.kind === 'view' ? ' (view)' : ''} — ${rows}, ${fields}`;
}

/** Which table or collection holds the events. */
export function TablePicker({ tables, backend, value, onChange, errors }: TablePickerProps) {
  const what = backend === 'mongo' ? 'collection' : 'table';
  const options = [{ value: '-1', label: `Choose a ${what}…` }, ...tables.map((table, i) => ({ value: String(i), label: describe(table) }))];
  return (
    <SelectField
      label={backend === 'mongo' ? 'Events collection' : 'Events table'}
      hint={backend === 'mongo' ? 'Field names come from a sample of the first documents.' : 'Row counts are the planner’s estimate.'}
      value={String(value)}
      options={options}
      errors={errors}
      testId="mapping-table"
      onChange={(v) => onChange(Number(v))}
    />
  );
}
