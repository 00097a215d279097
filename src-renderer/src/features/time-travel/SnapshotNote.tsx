import { Alert } from '../../ui/Alert';
import type { StateResult } from './use-replay';

const CHECKED_BY: Record<NonNullable<NonNullable<StateResult['snapshot']>['checkedBy']>, string> = {
  quickCheck: 'a quick check',
  verifySnapshot: 'Verify snapshot',
  inspect: 'the Snapshots screen',
  verifyAll: 'a snapshot verification job',
};

/**
 * Where a state started: from the start, a cached state, or a stored snapshot and whether that
 * snapshot matches a replay. A snapshot known wrong was skipped: that is said as a warning. The
 * user may replay from the start, ignoring snapshots, whenever one was in play.
 */
export function SnapshotNote({ shown, ignoringSnapshots, onIgnoreSnapshots }: { shown: StateResult; ignoringSnapshots: boolean; onIgnoreSnapshots(ignore: boolean): void }) {
  const snapshot = shown.snapshot;
  const origin =
    shown.fromSnapshotVersion === 0
      ? ignoringSnapshots
        ? 'From the start (snapshots ignored), '
        : 'From the start, '
      : shown.fromCache
        ? `From a state met by an earlier replay at v${shown.fromSnapshotVersion}, `
        : `From snapshot v${shown.fromSnapshotVersion}${snapshot?.used ? (snapshot.verification === 'ok' ? ` (matches a replay, checked by ${CHECKED_BY[snapshot.checkedBy!]})` : ' (not verified)') : ''}, `;
  return (
    <>
      {shown.warning && (
        <Alert tone="warning" title="Snapshot skipped" testId="tt-snapshot-warning">
          {shown.warning}
        </Alert>
      )}
      <div className="tt-note__row">
        <div className="tt-note" data-testid="tt-replay-note" data-snapshot={snapshot?.verification}>
          {origin}
          replayed {shown.applied.toLocaleString('en-US')} event{shown.applied === 1 ? '' : 's'}
        </div>
        {(snapshot?.used || ignoringSnapshots) && (
          <button type="button" className="json-tree__action" onClick={() => onIgnoreSnapshots(!ignoringSnapshots)} data-testid="tt-ignore-snapshots">
            {ignoringSnapshots ? 'Use snapshots again' : 'Replay from the start, ignore snapshots'}
          </button>
        )}
      </div>
    </>
  );
}

