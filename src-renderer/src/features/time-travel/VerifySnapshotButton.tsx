import { codeOf, messageOf } from '../../client/errors';
import { useMutationOp } from '../../client/operation-hooks';
import { Button } from '../../ui/Button';
import { ErrorNote } from './ErrorNote';
import { pathText, valueText } from './export-json';

/**
 * Replays up to the latest stored snapshot and says whether the snapshot matches. The engine
 * remembers a mismatch: `onMismatch` lets the screen replay its state again without that snapshot.
 */
export function VerifySnapshotButton({
  connectionId,
  streamId,
  definition,
  onMismatch,
}: {
  connectionId: string;
  streamId: string;
  definition: string;
  onMismatch?: () => void;
}) {
  const verify = useMutationOp('timeTravel.verifySnapshot', { onSuccess: (result) => !result.ok && onMismatch?.() });
  const result = verify.data;
  return (
    <div className="tt-verify">
      <Button size="sm" busy={verify.isPending} onClick={() => verify.mutate({ connectionId, streamId, definition })} data-testid="tt-verify">
        Verify snapshot
      </Button>
      {verify.error && codeOf(verify.error) === 'not_found' && (
        <div className="tt-popover" data-testid="tt-verify-result" data-ok="none">
          <div className="tt__muted">{messageOf(verify.error)} Nothing to verify: every state here is replayed from the first event.</div>
          <button type="button" className="json-tree__action" onClick={() => verify.reset()}>
            Dismiss
          </button>
        </div>
      )}
      {verify.error && codeOf(verify.error) !== 'not_found' && (
        <div className="tt-popover">
          <ErrorNote title="Could not verify the snapshot" error={verify.error} />
          <button type="button" className="json-tree__action" onClick={() => verify.reset()}>
            Dismiss
          </button>
        </div>
      )}
      {result && (
        <div className="tt-popover" data-testid="tt-verify-result" data-ok={result.ok}>
          <div className={result.ok ? 'tt-verify__ok' : 'tt-verify__bad'}>
            {result.streamTooShort
              ? 'No snapshot to check: the stream is too short to have one.'
              : result.snapshotVersion === 0
                ? 'This stream has no stored snapshot.'
                : result.ok
                  ? `Snapshot v${result.snapshotVersion} matches a replay from zero.`
                  : `Snapshot v${result.snapshotVersion} differs from a replay from zero in ${result.diff.length} place${result.diff.length === 1 ? '' : 's'}.`}
          </div>
          {result.diff.length > 0 && (
            <ul className="tt-verify__diff">
              {result.diff.slice(0, 10).map((d) => (
                <li key={pathText(d.path)} className="mono">
                  {pathText(d.path)}: {valueText(d.before)} → {valueText(d.after)}
                </li>
              ))}
            </ul>
          )}
          <button type="button" className="json-tree__action" onClick={() => verify.reset()}>
            Dismiss
          </button>
        </div>
      )}
    </div>
  );
}
