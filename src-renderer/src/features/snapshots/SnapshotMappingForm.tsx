import { useState } from 'react';
import type { SnapshotMapping } from '../../../../src-shared/schemas/snapshots';
import { useMutationOp, useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { TextField } from '../../ui/inputs';
import { Panel } from '../../ui/Panel';

interface Draft {
  schema: string;
  table: string;
  streamId: string;
  version: string;
  state: string;
  streamType: string;
  takenAt: string;
  schemaVersion: string;
}

const EMPTY: Draft = { schema: '', table: '', streamId: '', version: '', state: '', streamType: '', takenAt: '', schemaVersion: '' };

function draftOf(mapping: SnapshotMapping | null | undefined): Draft {
  if (!mapping) return EMPTY;
  const names = mapping.backend === 'postgres' ? mapping.columns : mapping.fields;
  return {
    schema: mapping.backend === 'postgres' ? (mapping.schema ?? '') : '',
    table: mapping.backend === 'postgres' ? mapping.table : mapping.collection,
    streamId: names.streamId,
    version: names.version,
    state: names.state,
    streamType: names.streamType ?? '',
    takenAt: names.takenAt ?? '',
    schemaVersion: names.schemaVersion ?? '',
  };
}

function mappingOf(draft: Draft, backend: 'postgres' | 'mongo'): SnapshotMapping {
  const optional = (value: string) => (value.trim() ? value.trim() : undefined);
  const names = {
    streamId: draft.streamId.trim(),
    version: draft.version.trim(),
    state: draft.state.trim(),
    streamType: optional(draft.streamType),
    takenAt: optional(draft.takenAt),
    schemaVersion: optional(draft.schemaVersion),
  };
  const clean = Object.fromEntries(Object.entries(names).filter(([, v]) => v !== undefined)) as typeof names;
  return backend === 'postgres'
    ? { backend, table: draft.table.trim(), columns: clean, ...(optional(draft.schema) ? { schema: optional(draft.schema) } : {}) }
    : { backend, collection: draft.table.trim(), fields: clean };
}

/** Maps snapshots kept where no preset knows: a table (collection) with a stream id, a version and the state as JSON. */
export function SnapshotMappingForm({ connectionId, backend, onDone }: { connectionId: string; backend: 'postgres' | 'mongo'; onDone?: () => void }) {
  const current = useOperation('snapshots.mapping', { connectionId }, { retry: false });
  const [draft, setDraft] = useState<Draft | undefined>();
  const shown = draft ?? draftOf(current.data?.mapping);
  const configure = useMutationOp('snapshots.configure', { onSuccess: () => onDone?.() });
  const set = (field: keyof Draft) => (value: string) => setDraft({ ...shown, [field]: value });
  const container = backend === 'postgres' ? 'Table' : 'Collection';
  const part = backend === 'postgres' ? 'column' : 'field';
  return (
    <Panel title={`Custom snapshot ${container.toLowerCase()}`} testId="snapshot-mapping">
      <p className="muted">
        Where your application keeps its snapshots, when no preset knows: one {backend === 'postgres' ? 'row' : 'document'} per stream and version, the version
        a whole number and the state as JSON
        {backend === 'mongo' ? ' (dotted paths reach nested fields, e.g. payload.state)' : ''}.
      </p>
      <div className="snapshots__mapping">
        {backend === 'postgres' && (
          <TextField label="Schema (optional)" value={shown.schema} placeholder="public" testId="snapshot-mapping-schema" onChange={set('schema')} />
        )}
        <TextField label={container} value={shown.table} testId="snapshot-mapping-table" onChange={set('table')} />
        <TextField label={`Stream id ${part}`} value={shown.streamId} testId="snapshot-mapping-stream" onChange={set('streamId')} />
        <TextField label={`Version ${part}`} value={shown.version} testId="snapshot-mapping-version" onChange={set('version')} />
        <TextField label={`State ${part} (JSON)`} value={shown.state} testId="snapshot-mapping-state" onChange={set('state')} />
        <TextField label={`Stream type ${part} (optional)`} value={shown.streamType} testId="snapshot-mapping-type" onChange={set('streamType')} />
        <TextField label={`Taken-at ${part} (optional)`} value={shown.takenAt} testId="snapshot-mapping-taken-at" onChange={set('takenAt')} />
        <TextField
          label={`Schema version ${part} (optional)`}
          value={shown.schemaVersion}
          testId="snapshot-mapping-schema-version"
          onChange={set('schemaVersion')}
        />
      </div>
      {configure.error && (
        <Alert tone="danger" title="Not mapped" testId="snapshot-mapping-error">
          {configure.error.message}
        </Alert>
      )}
      {configure.data && (
        <Alert tone="success" title="Mapped" testId="snapshot-mapping-done">
          {configure.data.mapping
            ? `${configure.data.snapshots} snapshots found in ${configure.data.source ?? 'the mapped place'}.`
            : 'The custom mapping is forgotten.'}
        </Alert>
      )}
      <div className="snapshots__actions">
        <Button
          variant="primary"
          busy={configure.isPending}
          onClick={() => configure.mutate({ connectionId, mapping: mappingOf(shown, backend) })}
          data-testid="snapshot-mapping-save"
        >
          Check and use
        </Button>
        {current.data?.mapping && (
          <Button onClick={() => configure.mutate({ connectionId, mapping: null })} data-testid="snapshot-mapping-forget">
            Forget the mapping
          </Button>
        )}
      </div>
    </Panel>
  );
}
