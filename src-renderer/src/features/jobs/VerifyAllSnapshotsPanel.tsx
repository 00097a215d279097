import { messageOf } from '../../client/errors';
import { useMutationOp } from '../../client/operation-hooks';
import { useActiveConnection } from '../../app/active-connection';
import { Button } from '../../ui/Button';
import { Panel } from '../../ui/Panel';

/** Starts a job that checks every stored snapshot of the active connection; the jobs tray follows it. */
export function VerifyAllSnapshotsPanel() {
  const { active } = useActiveConnection();
  const verify = useMutationOp('snapshots.verifyAll');
  if (!active || active.kind === 'kafka') return null;
  return (
    <Panel title="Snapshots" testId="verify-all-snapshots">
      <p className="jobs-tray__hint">
        Compare every stored snapshot with a replay of its stream and report those that differ. It runs as a job: follow it in the Jobs tray; it goes on if this
        window closes. The Snapshots screen lists, inspects, deletes and regenerates them.
      </p>
      <Button size="sm" busy={verify.isPending} onClick={() => verify.mutate({ connectionId: active.id })} data-testid="verify-all-snapshots-start">
        Verify all snapshots
      </Button>
      {verify.data && <span className="jobs-tray__hint"> Started: see the Jobs tray.</span>}
      {verify.error && <div className="jobs-tray__error">{messageOf(verify.error)}</div>}
    </Panel>
  );
}
