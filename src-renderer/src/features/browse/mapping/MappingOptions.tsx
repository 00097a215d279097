import { TextField } from '../../../ui/inputs';
import type { Backend, MappingDraft } from './mapping-draft';

interface MappingOptionsProps {
  draft: MappingDraft;
  backend: Backend;
  onChange: (patch: Partial<MappingDraft>) => void;
  errors: { separator: string[]; metadataKeys: string[]; reason: string[] };
}

/** The parts of a mapping that are not columns: category from the stream id, metadata keys, and why. */
export function MappingOptions({ draft, backend, onChange, errors }: MappingOptionsProps) {
  const noMetadata = !draft.columns.metadata;
  return (
    <div className="mapping-options">
      {backend === 'postgres' && (
        <TextField
          label="Category from stream id"
          hint="Separator: “-” makes order-42 category “order”. Leave empty to use the stream type column, if any."
          placeholder="e.g. -"
          value={draft.separator}
          errors={errors.separator}
          testId="mapping-separator"
          onChange={(separator) => onChange({ separator })}
        />
      )}
      <TextField
        label="Correlation id metadata key"
        hint={
          noMetadata
            ? `Map a metadata ${backend === 'mongo' ? 'field' : 'column'} to use keys.`
            : backend === 'mongo'
              ? 'A key of the metadata object.'
              : 'Used when no correlation column is mapped.'
        }
        placeholder="e.g. correlationId"
        value={draft.correlationKey}
        disabled={noMetadata}
        errors={errors.metadataKeys}
        testId="mapping-correlation-key"
        onChange={(correlationKey) => onChange({ correlationKey })}
      />
      <TextField
        label="Causation id metadata key"
        placeholder="e.g. causationId"
        value={draft.causationKey}
        disabled={noMetadata}
        testId="mapping-causation-key"
        onChange={(causationKey) => onChange({ causationKey })}
      />
      <TextField
        label="Reason"
        hint="Recorded in the audit log."
        placeholder="e.g. support ticket 1234"
        value={draft.reason}
        errors={errors.reason}
        testId="mapping-reason"
        onChange={(reason) => onChange({ reason })}
      />
    </div>
  );
}
