import { useState } from 'react';
import type { CheckpointMapping } from '../../../../src-shared/schemas/checkpoints';
import { useMutationOp, useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { TextField } from '../../ui/inputs';
import { Panel } from '../../ui/Panel';

interface Draft {
  schema: string;
  table: string;
  name: string;
  source: string;
  position: string;
  updatedAt: string;
}

const EMPTY: Draft = { schema: '', table: '', name: '', source: '', position: '', updatedAt: '' };

function draftOf(mapping: CheckpointMapping | null | undefined): Draft {
  if (!mapping) return EMPTY;
  const names = mapping.backend === 'postgres' ? mapping.columns : mapping.fields;
  return {
    schema: mapping.backend === 'postgres' ? (mapping.schema ?? '') : '',
    table: mapping.backend === 'postgres' ? mapping.table : mapping.collection,
    name: names.name,
    source: names.source ?? '',
    position: names.position,
    updatedAt: names.updatedAt ?? '',
  };
}

function mappingOf(draft: Draft, backend: 'postgres' | 'mongo'): CheckpointMapping {
  const optional = (value: string) => (value.trim() ? value.trim() : undefined);
  const names = { name: draft.name.trim(), position: draft.position.trim(), source: optional(draft.source), updatedAt: optional(draft.updatedAt) };
  const clean = Object.fromEntries(Object.entries(names).filter(([, v]) => v !== undefined)) as typeof names;
  return backend === 'postgres'
    ? { backend, table: draft.table.trim(), columns: clean, ...(optional(draft.schema) ? { schema: optional(draft.schema) } : {}) }
    : { backend, collection: draft.table.trim(), fields: clean };
}

/** Maps checkpoints kept where no preset knows: a table (collection) with a name, a position and maybe an update time. */
export function CheckpointMappingForm({ connectionId, backend, onDone }: { connectionId: string; backend: 'postgres' | 'mongo'; onDone?: () => void }) {
  const current = useOperation('checkpoints.mapping', { connectionId }, { retry: false });
  const [draft, setDraft] = useState<Draft | undefined>();
  const shown = draft ?? draftOf(current.data?.mapping);
  const configure = useMutationOp('checkpoints.configure', { onSuccess: () => onDone?.() });
  const set = (field: keyof Draft) => (value: string) => setDraft({ ...shown, [field]: value });
  const container = backend === 'postgres' ? 'Table' : 'Collection';
  const part = backend === 'postgres' ? 'column' : 'field';
  return (
    <Panel title="Custom checkpoint mapping" testId="checkpoint-mapping">
      <p className="muted">
        Where your projectors keep their positions, when no preset knows: one row per projector (and source) with its position as a whole number.
      </p>
      <div className="checkpoints__mapping">
        {backend === 'postgres' && (
          <TextField label="Schema (optional)" value={shown.schema} placeholder="public" testId="mapping-schema" onChange={set('schema')} />
        )}
        <TextField label={container} value={shown.table} testId="mapping-table" onChange={set('table')} />
        <TextField label={`Projector name ${part}`} value={shown.name} testId="mapping-name" onChange={set('name')} />
        <TextField label={`Source ${part} (optional)`} value={shown.source} testId="mapping-source" onChange={set('source')} />
        <TextField label={`Position ${part}`} value={shown.position} testId="mapping-position" onChange={set('position')} />
        <TextField label={`Updated-at ${part} (optional)`} value={shown.updatedAt} testId="mapping-updated-at" onChange={set('updatedAt')} />
      </div>
      {configure.error && (
        <Alert tone="danger" title="Not mapped" testId="mapping-error">
          {configure.error.message}
        </Alert>
      )}
      {configure.data && (
        <Alert tone="success" title="Mapped">
          {configure.data.mapping
            ? `${configure.data.checkpoints} checkpoints found in ${configure.data.sources.join(', ')}.`
            : 'The custom mapping is forgotten.'}
        </Alert>
      )}
      <div className="checkpoints__mapping-actions">
        <Button
          variant="primary"
          busy={configure.isPending}
          onClick={() => configure.mutate({ connectionId, mapping: mappingOf(shown, backend) })}
          data-testid="mapping-save"
        >
          Check and use
        </Button>
        {current.data?.mapping && (
          <Button onClick={() => configure.mutate({ connectionId, mapping: null })} data-testid="mapping-forget">
            Forget the mapping
          </Button>
        )}
      </div>
    </Panel>
  );
}
