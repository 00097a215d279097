import { Button } from '../../ui/Button';
import type { Progress } from '../../../../src-shared/wire';

/** A long replay's progress, with a way to stop it. */
export function ReplayProgress({ progress, onCancel }: { progress: Progress | undefined; onCancel: () => void }) {
  return (
    <div className="tt-progress" data-testid="tt-progress">
      <div className="tt-progress__row">
        <span>{progress?.message ?? 'Replaying events…'}</span>
        <Button size="sm" onClick={onCancel} data-testid="tt-cancel">
          Cancel
        </Button>
      </div>
      <progress max={progress?.total ?? undefined} value={progress?.total ? progress.done : undefined} />
      {progress?.total ? (
        <span className="tt__muted">
          {progress.done.toLocaleString('en-US')} / {progress.total.toLocaleString('en-US')} events
        </span>
      ) : null}
    </div>
  );
}
