import type { InspectedTable } from '../../../../../src-shared/schemas/browse';
import { SelectField } from '../../../ui/inputs';
import { rolesFor, type Backend, type Role } from './mapping-draft';

interface RoleSelectsProps {
  table: InspectedTable;
  backend: Backend;
  columns: Partial<Record<Role, string>>;
  errors: Partial<Record<Role, string[]>>;
  onChange: (role: Role, column: string) => void;
}

/** One select per role of the mapping, offering the table's columns with their types. */
export function RoleSelects({ table, backend, columns, errors, onChange }: RoleSelectsProps) {
  // For a collection "always set" means: in every sampled document.
  const always = backend === 'mongo' ? 'always set' : 'not null';
  const known = table.columns.map((c) => ({ value: c.name, label: `${c.name} · ${c.dataType}${c.nullable ? '' : ` · ${always}`}` }));
  return (
    <div className="mapping-roles">
      {rolesFor(backend).map(({ role, label, required }) => {
        const value = columns[role] ?? '';
        // A column of a confirmed mapping that has since gone stays visible, marked.
        const gone = value && !known.some((o) => o.value === value) ? [{ value, label: `${value} (not found)` }] : [];
        const options = [{ value: '', label: required ? 'Choose…' : '— not mapped —' }, ...gone, ...known];
        return (
          <SelectField
            key={role}
            label={required ? `${label} *` : label}
            value={value}
            options={options}
            errors={errors[role] ?? []}
            testId={`mapping-role-${role}`}
            onChange={(column) => onChange(role, column)}
          />
        );
      })}
    </div>
  );
}
