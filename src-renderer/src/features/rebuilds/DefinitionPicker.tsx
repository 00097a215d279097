import { useEffect } from 'react';
import type { InputOf } from '../../../../src-shared/operations';
import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { SegmentedField, SelectField, TextField } from '../../ui/inputs';

export const EXAMPLE_DEFINITION = `definition = {
  name: 'balances',
  handles: { types: ['AccountOpened', 'MoneyDeposited', 'MoneyWithdrawn'] },
  key: (event) => event.streamId,
  // Optional: the checkpoint of the projector that keeps this model (the swap's default).
  projector: 'balances',
  // Optional: the table's columns, so the table can be created from the definition.
  columns: {
    account_id: { type: 'text', primaryKey: true },
    balance_cents: { type: 'bigint', notNull: true, default: 0 },
    metadata: { type: 'jsonb', notNull: true, default: {} },
  },
  apply(row, event) {
    // return the row, null to delete it, or undefined to leave it
    return row;
  },
};`;

export type DefinitionKind = 'builtin' | 'folder' | 'user';

export interface DefinitionDraft {
  kind: DefinitionKind;
  /** `user:<file>` of the definitions folder. */
  folder: string;
  name: string;
  source: string;
}

export const EMPTY_DRAFT: Omit<DefinitionDraft, 'kind'> = { folder: '', name: 'my-definition', source: EXAMPLE_DEFINITION };

/** What `rebuilds.start` and `rebuilds.createTarget` take for the chosen definition. */
export function definitionInput(draft: DefinitionDraft): InputOf<'rebuilds.start'>['definition'] {
  if (draft.kind === 'builtin') return { builtin: true };
  if (draft.kind === 'folder') return { folder: draft.folder };
  return { name: draft.name, source: draft.source };
}

/** The definition of a rebuild or a new table: the built-in, a file of the user's definitions folder, or pasted source. */
export function DefinitionPicker({ draft, onChange, hasBuiltin }: { draft: DefinitionDraft; onChange: (draft: DefinitionDraft) => void; hasBuiltin: boolean }) {
  const listed = useOperation('rebuilds.definitions', {});
  const definitions = listed.data?.definitions ?? [];
  const ready = definitions.filter((d) => d.status === 'ready');
  const chosen = definitions.find((d) => d.name === draft.folder);
  // The folder's first read-model definition is chosen once the list arrives.
  const first = ready[0]?.name;
  useEffect(() => {
    if (draft.kind === 'folder' && !draft.folder && first) onChange({ ...draft, folder: first });
  }, [draft, first, onChange]);
  return (
    <>
      <SegmentedField
        label="Definition"
        value={draft.kind}
        onChange={(kind) => onChange({ ...draft, kind })}
        testId="rebuild-definition-kind"
        options={[
          ...(hasBuiltin ? [{ value: 'builtin' as const, label: 'Built-in (the reference projector)' }] : []),
          { value: 'folder' as const, label: 'From the definitions folder' },
          { value: 'user' as const, label: 'Paste a definition' },
        ]}
      />
      {draft.kind === 'folder' &&
        (listed.data && !listed.data.folder ? (
          <Alert tone="info" title="No definitions folder" testId="rebuild-definition-folder-none">
            Choose a definitions folder on the time travel screen; its read-model definitions are listed here.
          </Alert>
        ) : (
          <>
            <SelectField
              label={`Definition file${listed.data?.folder ? ` (${listed.data.folder})` : ''}`}
              value={draft.folder}
              options={[
                { value: '', label: ready.length ? 'Choose a definition…' : 'No read-model definition in the folder' },
                ...definitions.map((d) => ({
                  value: d.name,
                  label:
                    d.status === 'ready'
                      ? `${d.file}${d.columns ? ' · declares its columns' : ''}`
                      : `${d.file} (${d.status === 'unconfirmed' ? 'not confirmed' : 'not a read-model definition'})`,
                })),
              ]}
              onChange={(folder) => onChange({ ...draft, folder })}
              testId="rebuild-definition-folder"
            />
            {chosen && chosen.status !== 'ready' && (
              <Alert tone="warning" title={`${chosen.file} cannot be used`} testId="rebuild-definition-folder-invalid">
                {chosen.message}
              </Alert>
            )}
            {chosen?.status === 'ready' && (
              <p className="muted" data-testid="rebuild-definition-folder-facts">
                {chosen.columns ? `Columns: ${chosen.columns.join(', ')}.` : 'Declares no columns (the table must exist).'}{' '}
                {chosen.projector ? `Kept by projector ${chosen.projector}.` : ''}
              </p>
            )}
          </>
        ))}
      {draft.kind === 'user' && (
        <>
          <TextField label="Name" value={draft.name} onChange={(name) => onChange({ ...draft, name })} testId="rebuild-definition-name" />
          <TextField
            label="Source (runs in the definitions sandbox)"
            rows={10}
            value={draft.source}
            onChange={(source) => onChange({ ...draft, source })}
            testId="rebuild-definition-source"
          />
        </>
      )}
    </>
  );
}
