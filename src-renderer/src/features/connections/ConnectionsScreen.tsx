import { useState } from 'react';
import type { ConnectionView } from '../../../../src-shared/schemas/connections';
import { confirmationOf } from '../../client/confirmation';
import { useMutationOp, useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Button } from '../../ui/Button';
import { Panel } from '../../ui/Panel';
import { ConnectionForm } from './ConnectionForm';
import { ConnectionList } from './ConnectionList';
import { RemoveConnectionDialog } from './RemoveConnectionDialog';
import './connections.css';
import { useDismiss } from '../../ui/use-dismiss';

type Editor = { mode: 'add' } | { mode: 'edit'; profile: ConnectionView };
interface PendingRemoval {
  profile: ConnectionView;
  confirmation: string;
}

export function ConnectionsScreen() {
  const { data: profiles, error, isPending } = useOperation('connections.list', {});
  const [editor, setEditor] = useState<Editor>();
  useDismiss(editor !== undefined, () => setEditor(undefined));
  const [removal, setRemoval] = useState<PendingRemoval>();
  const preview = useMutationOp('connections.remove');

  const previewRemoval = (profile: ConnectionView) =>
    preview.mutate({ id: profile.id, dryRun: true }, { onSuccess: (result) => setRemoval({ profile: result.profile, confirmation: confirmationOf(result) }) });

  return (
    <div className={editor ? 'connections connections--editing' : 'connections'}>
      <div className="connections__main">
        <div className="page-toolbar">
          <p className="page-toolbar__intro">
            Event stores and Kafka clusters this console can reach. Passwords stay in the main process; this window never sees them.
          </p>
          <Button variant="primary" onClick={() => setEditor({ mode: 'add' })} data-testid="add-connection">
            Add connection
          </Button>
        </div>
        {error && (
          <Alert tone="danger" title="Could not list the connections">
            {error.message}
          </Alert>
        )}
        {preview.error && (
          <Alert tone="danger" title="Could not prepare the removal">
            {preview.error.message}
          </Alert>
        )}
        <Panel title={`Connection profiles${profiles ? ` (${profiles.length})` : ''}`} flush>
          {isPending && <div className="empty-state">Loading…</div>}
          {profiles && (
            <ConnectionList
              profiles={profiles}
              editingId={editor?.mode === 'edit' ? editor.profile.id : undefined}
              previewingId={preview.isPending ? preview.variables?.id : undefined}
              onEdit={(profile) => setEditor({ mode: 'edit', profile })}
              onRemove={previewRemoval}
            />
          )}
        </Panel>
      </div>
      {editor && (
        <aside className="connections__editor" aria-label={editor.mode === 'add' ? 'Add connection' : 'Edit connection'}>
          <Panel
            title={editor.mode === 'add' ? 'Add connection' : `Edit “${editor.profile.name}”`}
            actions={
              <Button variant="ghost" size="sm" onClick={() => setEditor(undefined)} aria-label="Close">
                ✕
              </Button>
            }
            flush
          >
            <ConnectionForm
              key={editor.mode === 'edit' ? editor.profile.id : 'new'}
              saved={editor.mode === 'edit' ? editor.profile : undefined}
              onSaved={() => setEditor(undefined)}
              onCancel={() => setEditor(undefined)}
            />
          </Panel>
        </aside>
      )}
      {removal && (
        <RemoveConnectionDialog
          profile={removal.profile}
          confirmation={removal.confirmation}
          onClose={() => setRemoval(undefined)}
          onRemoved={(id) => {
            if (editor?.mode === 'edit' && editor.profile.id === id) setEditor(undefined);
            setRemoval(undefined);
          }}
        />
      )}
    </div>
  );
}
