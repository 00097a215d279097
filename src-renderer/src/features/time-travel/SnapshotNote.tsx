import { useOperation } from '../../client/operation-hooks';
import { Alert } from '../../ui/Alert';
import { Time } from '../../ui/Time';
import type { StateResult } from './use-replay';

const CHECKED_BY: Record<NonNullable<NonNullable<StateResult['snapshot']>['checkedBy']>, string> = {
  quickCheck: 'a quick check',
  verifySnapshot: 'Verify snapshot',
  inspect: 'the Snapshots screen',
  verifyAll: 'a snapshot verification job',
};

interface SnapshotNoteProps {
  connectionId: string;
  streamId: string;
  shown: StateResult;
  ignoringSnapshots: boolean;
  onIgnoreSnapshots(ignore: boolean): void;
}

/**
 * Where a state started: from the start, a cached state, or a stored snapshot and whether that
 * snapshot matches a replay. A snapshot known wrong was skipped: that is said as a warning. The
 * user may replay from the start, ignoring snapshots, whenever one was in play.
 */
export function SnapshotNote({ connectionId, streamId, shown, ignoringSnapshots, onIgnoreSnapshots }: SnapshotNoteProps) {
  const snapshot = shown.snapshot;
  // A snapshot's version says little alone: its time is the time of the event at that version.
  const fromVersion = shown.fromSnapshotVersion;
  const atSnapshot = useOperation(
    'streams.read',
    { connectionId, streamId, fromVersion, direction: 'forward', limit: 1 },
    { enabled: fromVersion > 0 && !shown.fromCache, retry: false, staleTime: Infinity },
  );
  const snapshotTime = atSnapshot.data?.events.find((e) => e.version === fromVersion)?.timestamp;
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
        {snapshotTime && fromVersion > 0 && !shown.fromCache && (
          <span className="tt__muted" data-testid="tt-snapshot-time">
            Snapshot v{fromVersion} is the state at <Time iso={snapshotTime} />
          </span>
        )}
        {snapshot?.used && snapshot.takenAt !== undefined && !shown.fromCache && (
          <span className="tt__muted" data-testid="tt-snapshot-taken">
            {snapshot.takenAt ? (
              <>
                Taken <Time iso={snapshot.takenAt} />
              </>
            ) : (
              'Taken at a time the store does not record'
            )}
          </span>
        )}
        {(snapshot?.used || ignoringSnapshots) && (
          <button type="button" className="json-tree__action" onClick={() => onIgnoreSnapshots(!ignoringSnapshots)} data-testid="tt-ignore-snapshots">
            {ignoringSnapshots ? 'Use snapshots again' : 'Replay from the start, ignore snapshots'}
          </button>
        )}
      </div>
    </>
  );
}
