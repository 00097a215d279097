import { useState, type FormEvent } from 'react';
import type { ResultOf } from '../../../../../src-shared/operations';
import type { CustomMapping } from '../../../../../src-shared/schemas/browse';
import { messageOf } from '../../../client/errors';
import { useMutationOp, useOperation } from '../../../client/operation-hooks';
import { Alert } from '../../../ui/Alert';
import { Button } from '../../../ui/Button';
import { MappingOptions } from './MappingOptions';
import { MappingProblemsAlert } from './MappingProblemsAlert';
import { RoleSelects } from './RoleSelects';
import { TablePicker } from './TablePicker';
import { draftForTable, draftFromMapping, likeliestTable, missingRequired, tableLabel, toCustomMapping, type MappingDraft, type Role } from './mapping-draft';
import { mappingProblems } from './mapping-problems';
import './mapping.css';

interface CustomMappingFormProps {
  connectionId: string;
  /** The custom mapping confirmed now, to start from. */
  confirmed?: CustomMapping | undefined;
  onConfigured?: () => void;
}

/** Reads the connection's tables, then lets the user map one onto the event-store roles. */
export function CustomMappingForm({ connectionId, confirmed, onConfigured }: CustomMappingFormProps) {
  const inspection = useOperation('stores.inspect', { connectionId });
  if (inspection.isPending) return <div className="empty-state">Reading the tables…</div>;
  if (inspection.error) {
    return (
      <Alert tone="danger" title="Could not read the tables of this connection" testId="custom-mapping-inspect-error">
        {messageOf(inspection.error)}
      </Alert>
    );
  }
  if (inspection.data.tables.length === 0) {
    return (
      <Alert tone="warning" title="Nothing to map">
        This user can read no {inspection.data.backend === 'mongo' ? 'collection' : 'table'} in {inspection.data.database}.
      </Alert>
    );
  }
  return <MappingEditor connectionId={connectionId} inspection={inspection.data} confirmed={confirmed} onConfigured={onConfigured} />;
}

interface MappingEditorProps {
  connectionId: string;
  inspection: ResultOf<'stores.inspect'>;
  confirmed: CustomMapping | undefined;
  onConfigured: (() => void) | undefined;
}

function initialDraft(inspection: ResultOf<'stores.inspect'>, confirmed: CustomMapping | undefined): MappingDraft {
  const fromConfirmed = confirmed ? draftFromMapping(inspection.tables, confirmed) : undefined;
  return fromConfirmed ?? draftForTable(inspection.tables, likeliestTable(inspection.tables, inspection.backend), inspection.backend);
}

/** The form itself: table, roles, options; submits stores.configure with preset "custom". */
function MappingEditor({ connectionId, inspection, confirmed, onConfigured }: MappingEditorProps) {
  const { backend, tables } = inspection;
  const [draft, setDraft] = useState<MappingDraft>(() => initialDraft(inspection, confirmed));
  const configure = useMutationOp('stores.configure', { onSuccess: () => onConfigured?.() });
  const table = tables[draft.tableIndex];
  const missing = missingRequired(draft);
  const problems = configure.error ? mappingProblems(configure.error, draft) : undefined;

  const change = (next: MappingDraft) => {
    // Edited since the host answered: its verdict no longer applies.
    if (configure.error) configure.reset();
    setDraft(next);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!table || missing.length > 0) return;
    const source = tableLabel(table);
    configure.mutate({
      connectionId,
      preset: 'custom',
      custom: toCustomMapping(draft, table, backend),
      reason: draft.reason.trim() || `Custom mapping of ${source}`,
    });
  };

  return (
    <form className="mapping-form" data-testid="custom-mapping-form" data-backend={backend} onSubmit={submit} noValidate>
      <TablePicker
        tables={tables}
        backend={backend}
        value={draft.tableIndex}
        errors={problems?.table ?? []}
        onChange={(i) => change(draftForTable(tables, i, backend, draft.reason))}
      />
      {table && (
        <>
          <RoleSelects
            table={table}
            backend={backend}
            columns={draft.columns}
            errors={problems?.byRole ?? {}}
            onChange={(role: Role, column) => change({ ...draft, columns: { ...draft.columns, [role]: column || undefined } })}
          />
          <MappingOptions
            draft={draft}
            backend={backend}
            errors={{ separator: problems?.separator ?? [], metadataKeys: problems?.metadataKeys ?? [], reason: problems?.reason ?? [] }}
            onChange={(patch) => change({ ...draft, ...patch })}
          />
        </>
      )}
      {problems && configure.error && (
        <MappingProblemsAlert message={messageOf(configure.error)} problems={problems} source={table ? tableLabel(table) : 'this database'} />
      )}
      <div className="mapping-form__actions">
        <Button type="submit" variant="primary" busy={configure.isPending} disabled={!table || missing.length > 0} data-testid="custom-mapping-save">
          Check and use this mapping
        </Button>
        {table && missing.length > 0 && <span className="muted">Choose a column for: {missing.map((r) => r.label).join(', ')}</span>}
      </div>
    </form>
  );
}
