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
type FolderListing = ResultOf<'timeTravel.setDefinitionsFolder'>['listing'];

interface DefinitionsFolderDialogProps {
  listing: Listing | undefined;
  onClose: () => void;
}

/**
 * Where the user's own definitions come from, and how each file fared. The
 * path is one on the host running the engine (in browser mode: typed, not
 * picked). Nothing in a folder runs before the user has seen its files (name,
 * size, hash) and confirmed them; a file added or saved later waits for the
 * same confirmation.
 */
export function DefinitionsFolderDialog({ listing, onClose }: DefinitionsFolderDialogProps) {
  const folder = listing?.folder ?? null;
  // The desktop app picks the folder in the system dialog of the main process; browser mode types it.
  const desktop = useOperation('app.info', {}).data?.mode === 'desktop';
  const [path, setPath] = useState(folder?.path ?? '');
  const [reason, setReason] = useState('');
  /** The files of the typed folder, shown for confirmation; nothing has run. */
  const [looked, setLooked] = useState<FolderListing | null>(null);
  const look = useMutationOp('timeTravel.setDefinitionsFolder');
  const set = useMutationOp('timeTravel.setDefinitionsFolder');
  const confirm = useMutationOp('timeTravel.confirmDefinitions');
  const clear = useMutationOp('timeTravel.clearDefinitionsFolder');
  const why = reason.trim() ? { reason: reason.trim() } : {};
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setLooked(null);
    if (path.trim()) look.mutate({ path: path.trim() }, { onSuccess: (result) => setLooked(result.listing) });
  };
  const confirmLooked = (shown: FolderListing) =>
    set.mutate({ path: shown.path, listingHash: shown.listingHash, ...why }, { onSuccess: () => setLooked(null) });
  const mine = (listing?.definitions ?? []).filter((d) => d.source === 'user');
  const awaiting = mine.filter((d) => d.status === 'unconfirmed');
  const error = look.error ?? set.error ?? confirm.error ?? clear.error;

  return (
    <Dialog
      title="Definitions folder"
      onClose={onClose}
      testId="tt-folder-dialog"
      footer={
        <>
          {folder && (
            <Button
              variant="ghost-danger"
              busy={clear.isPending}
              onClick={() => clear.mutate(why, { onSuccess: () => setPath('') })}
              data-testid="tt-folder-clear"
            >
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
        <span className="mono">user:&lt;file&gt;</span>. Files run in the sandbox, never in the app itself, and only once you have confirmed them: a file added
        or saved later waits for your confirmation.
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
          <TextField
            label="Folder on the host running Chronoscope"
            value={path}
            placeholder="/home/me/projections"
            testId="tt-folder-path"
            onChange={setPath}
          />
          <TextField label="Reason (optional, recorded in the audit log)" value={reason} testId="tt-folder-reason" onChange={setReason} />
          <div>
            <Button type="submit" variant={looked ? 'secondary' : 'primary'} busy={look.isPending} disabled={!path.trim()} data-testid="tt-folder-set">
              List its files
            </Button>
          </div>
        </form>
      )}
      {error && (
        <Alert tone="danger" title="Folder not changed" testId="tt-folder-error">
          {error.message}
        </Alert>
      )}
      {looked && (
        <div className="tt-folder__list" data-testid="tt-folder-listing">
          <div className="tt__muted">
            <span className="mono">{looked.path}</span> holds{' '}
            {looked.files.length === 0 ? 'no definition files yet' : `${looked.files.length} definition file${looked.files.length === 1 ? '' : 's'}`}. None has
            run. Confirm to use this folder and run {looked.files.length === 1 ? 'this file' : 'these files'}.
          </div>
          <ul>
            {looked.files.map((file) => (
              <ListedFileRow key={file.name} name={file.name} size={file.size} sha256={file.sha256} />
            ))}
          </ul>
          <div className="tt-folder__actions">
            <Button variant="primary" busy={set.isPending} onClick={() => confirmLooked(looked)} data-testid="tt-folder-confirm">
              Confirm and use this folder
            </Button>
            <Button onClick={() => setLooked(null)} data-testid="tt-folder-cancel">
              Cancel
            </Button>
          </div>
        </div>
      )}
      {folder?.state === 'missing' && (
        <Alert tone="warning" title="Folder not found" testId="tt-folder-missing">
          {folder.message}
        </Alert>
      )}
      {folder && awaiting.length > 0 && (
        <Alert tone="warning" title={`${awaiting.length} file${awaiting.length === 1 ? '' : 's'} awaiting confirmation`} testId="tt-folder-awaiting">
          <p>
            {awaiting.length === 1 ? 'This file was' : 'These files were'} added or changed since you confirmed the folder and will not run until you confirm{' '}
            {awaiting.length === 1 ? 'it' : 'them'}:
          </p>
          <ul className="tt-folder__awaiting">
            {awaiting.map((d) => (
              <ListedFileRow
                key={d.name}
                name={d.file ? baseName(d.file) : d.name}
                size={d.size}
                sha256={d.sha256}
                note={d.awaiting === 'new' ? 'new' : 'changed'}
              />
            ))}
          </ul>
          <div className="tt-folder__actions">
            <Button
              variant="primary"
              busy={confirm.isPending}
              disabled={!folder.listingHash}
              onClick={() => folder.listingHash && confirm.mutate({ listingHash: folder.listingHash, ...why })}
              data-testid="tt-folder-confirm-changes"
            >
              Confirm {awaiting.length === 1 ? 'this file' : 'these files'}
            </Button>
          </div>
        </Alert>
      )}
      {folder && (
        <div className="tt-folder__list" data-testid="tt-user-definitions">
          <div className="tt__muted">
            Watching <span className="mono">{folder.path}</span>:{' '}
            {mine.length === 0 ? 'no definition files yet.' : `${mine.length} file${mine.length === 1 ? '' : 's'}.`}
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

function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

function formatSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** One file as the user confirms it: name, size and the start of its SHA-256 (the whole hash on hover). */
function ListedFileRow({ name, size, sha256, note }: { name: string; size: number | undefined; sha256: string | undefined; note?: string }) {
  return (
    <li className="tt-folder__item" data-testid="tt-listed-file" data-name={name}>
      <div className="tt-folder__head">
        <span className="mono">{name}</span>
        {note && <Badge tone="warning">{note}</Badge>}
      </div>
      <div className="tt__muted">
        {size !== undefined ? formatSize(size) : 'size unknown'} · SHA-256{' '}
        <span className="mono" title={sha256} data-testid="tt-listed-file-hash">
          {sha256 ? sha256.slice(0, 12) : 'unreadable'}
        </span>
      </div>
    </li>
  );
}

function UserDefinitionRow({ definition }: { definition: DefinitionEntry }) {
  if (definition.status === 'unconfirmed') {
    return (
      <li className="tt-folder__item" data-testid="tt-user-definition" data-name={definition.name} data-status={definition.status}>
        <div className="tt-folder__head">
          <span className="mono">{definition.name}</span>
          <Badge tone="warning">awaiting confirmation</Badge>
        </div>
        <div className="tt__muted">
          {definition.awaiting === 'new' ? 'New since you confirmed the folder' : 'Changed since you confirmed it'}: not run until you confirm.
        </div>
      </li>
    );
  }
  const loaded = definition.status === 'loaded';
  return (
    <li className="tt-folder__item" data-testid="tt-user-definition" data-name={definition.name} data-status={definition.status}>
      <div className="tt-folder__head">
        <span className="mono">{definition.name}</span>
        <Badge tone={loaded ? 'success' : 'danger'}>
          {loaded ? 'loaded' : definition.error?.line !== undefined ? `error, line ${definition.error.line}` : 'error'}
        </Badge>
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
