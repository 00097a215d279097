import { messageOf } from '../../client/errors';
import { useMutationOp } from '../../client/operation-hooks';
import { Button } from '../../ui/Button';

/** The last part of a path the main process reported (its exports folder holds the file under that name). */
export function fileNameOf(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/**
 * A finished file of the exports folder, taken away: downloaded in browser mode (the host
 * serves /downloads/<name>), saved where the system dialog says in the desktop app.
 */
export function FileOffer({ path, label, testId }: { path: string; label: string; testId: string }) {
  const name = fileNameOf(path);
  const save = useMutationOp('exports.saveCopy');
  if (window.chronoscope === undefined) {
    return (
      <a className="btn btn--sm" href={`/downloads/${encodeURIComponent(name)}`} download={name} data-testid={testId} title={name}>
        {label}
      </a>
    );
  }
  const cancelled = save.error && (save.error as { code?: string }).code === 'cancelled';
  return (
    <span className="file-offer">
      <Button size="sm" busy={save.isPending} onClick={() => save.mutate({ fileName: name })} data-testid={testId} title={name}>
        {label}…
      </Button>
      {save.data && <span className="muted">Saved to {save.data.path}</span>}
      {save.error && !cancelled && <span className="compliance__error">{messageOf(save.error)}</span>}
    </span>
  );
}
