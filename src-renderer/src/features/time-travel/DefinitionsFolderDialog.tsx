import { useState, type FormEvent } from 'react';
import type { ResultOf } from '../../../../src-shared/operations';
import type { DefinitionEntry } from '../../../../src-shared/schemas/time-travel';
import { useMutationOp, useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Badge } from '../../ui/Badge';
import { Button } from '../../ui/Button';
import { Dialog } from '../../ui/Dialog';
import { TextField } from '../../ui/inputs';

type Listing = ResultOf<'timeTravel.definitions'>;

interface DefinitionsFolderDialogProps {
  listing: Listing | undefined;
  onClose: () => void;
}

/**
 * Where the user's own definitions come from, and how each file fared. The
 * path is one on the host running the engine (in browser mode: typed, not picked).
 */
export function DefinitionsFolderDialog({ listing, onClose }: DefinitionsFolderDialogProps) {
  const folder = listing?.folder ?? null;
  // The desktop app picks the folder in the system dialog of the main process; browser mode types it.
  const desktop = useOperation('app.info', {}).data?.mode === 'desktop';
  const [path, setPath] = useState(folder?.path ?? '');
  const [reason, setReason] = useState('');
  const set = useMutationOp('timeTravel.setDefinitionsFolder');
  const clear = useMutationOp('timeTravel.clearDefinitionsFolder');
  const why = reason.trim() ? { reason: reason.trim() } : {};
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (path.trim()) set.mutate({ path: path.trim(), ...why });
  };
  const mine = (listing?.definitions ?? []).filter((d) => d.source === 'user');
  const error = set.error ?? clear.error;

  return (
    <Dialog
      title="Definitions folder"
      onClose={onClose}
      testId="tt-folder-dialog"
      footer={
        <>
          {folder && (
            <Button variant="ghost-danger" busy={clear.isPending} onClick={() => clear.mutate(why, { onSuccess: () => setPath('') })} data-testid="tt-folder-clear">
              Stop using this folder
            </Button>
          )}
          <Button onClick={onClose} data-testid="tt-folder-close">
            Close
          </Button>
        </>
      }
    >
      <p className="dialog__lead">
        Every <span className="mono">*.js</span> file in this folder is a projection definition (see resources/projections/README.md), listed as{' '}
        <span className="mono">user:&lt;file&gt;</span> and reloaded when it is saved. Definitions run in the sandbox, never in the app itself.
      </p>
      {desktop ? (
        <div className="tt-folder__form">
          <TextField label="Reason (optional, recorded in the audit log)" value={reason} testId="tt-folder-reason" onChange={setReason} />
          <div>
            <Button variant="primary" busy={set.isPending} onClick={() => set.mutate(why)} data-testid="tt-folder-choose">
              Choose folder…
            </Button>
          </div>
        </div>
      ) : (
        <form className="tt-folder__form" onSubmit={submit}>
          <TextField label="Folder on the host running Chronoscope" value={path} placeholder="/home/me/projections" testId="tt-folder-path" onChange={setPath} />
          <TextField label="Reason (optional, recorded in the audit log)" value={reason} testId="tt-folder-reason" onChange={setReason} />
          <div>
            <Button type="submit" variant="primary" busy={set.isPending} disabled={!path.trim()} data-testid="tt-folder-set">
              Use this folder
            </Button>
          </div>
        </form>
      )}
      {error && (
        <Alert tone="danger" title="Folder not changed" testId="tt-folder-error">
          {error.message}
        </Alert>
      )}
      {folder?.state === 'missing' && (
        <Alert tone="warning" title="Folder not found" testId="tt-folder-missing">
          {folder.message}
        </Alert>
      )}
      {folder && (
        <div className="tt-folder__list" data-testid="tt-user-definitions">
          <div className="tt__muted">
            Watching <span className="mono">{folder.path}</span>: {mine.length === 0 ? 'no definition files yet.' : `${mine.length} file${mine.length === 1 ? '' : 's'}.`}
          </div>
          <ul>
            {mine.map((d) => (
              <UserDefinitionRow key={d.name} definition={d} />
            ))}
          </ul>
        </div>
      )}
    </Dialog>
  );
}

function UserDefinitionRow({ definition }: { definition: DefinitionEntry }) {
  const loaded = definition.status === 'loaded';
  return (
    <li className="tt-folder__item" data-testid="tt-user-definition" data-name={definition.name} data-status={definition.status}>
      <div className="tt-folder__head">
        <span className="mono">{definition.name}</span>
        <Badge tone={loaded ? 'success' : 'danger'}>{loaded ? 'loaded' : definition.error?.line !== undefined ? `error, line ${definition.error.line}` : 'error'}</Badge>
      </div>
      {loaded ? (
        <div className="tt__muted">
          {definition.appliesToSummary}
          {definition.handlerTypes.length > 0 ? ` · handles ${definition.handlerTypes.join(', ')}` : ''}
        </div>
      ) : (
        <div className="tt-folder__error mono" data-testid="tt-user-definition-error">
          {definition.error?.message}
        </div>
      )}
    </li>
  );
}
