/**
 * Keeps finished verifications true after snapshots change: a snapshot a verification
 * found to differ (or could not check) and that was regenerated or deleted since is no
 * longer counted as mismatched, in the job's stored result, so the Snapshots screen
 * and the Overview say so, also after a restart.
 */
import type { SnapshotsVerifyAllResult } from '../../../src-shared/schemas/jobs';
import type { SnapshotKey } from '../../stores/ports/snapshot-store';
import type { Jobs } from '../jobs/jobs';
import { VERIFY_ALL_SNAPSHOTS } from '../jobs/verify-all-snapshots';

export type SnapshotChange = 'regenerated' | 'deleted';

/** Called with the snapshots a delete or regenerate changed, once they are changed. */
export type SettleVerifications = (connectionId: string, change: SnapshotChange, keys: readonly SnapshotKey[]) => Promise<void>;

export function settleVerifications(jobs: Pick<Jobs, 'list' | 'amendResult'>): SettleVerifications {
  return async (connectionId, change, keys) => {
    if (!keys.length) return;
    const changed = new Set(keys.map(keyOf));
    const verifications = (await jobs.list()).filter(
      (job) => job.kind === VERIFY_ALL_SNAPSHOTS && job.state === 'done' && job.connectionIds.includes(connectionId),
    );
    for (const job of verifications) await jobs.amendResult(job.id, VERIFY_ALL_SNAPSHOTS, (result) => settled(result, change, changed));
  };
}

/** The result without the changed snapshots, or undefined when it named none of them. */
export function settled(result: SnapshotsVerifyAllResult, change: SnapshotChange, changed: ReadonlySet<string>): SnapshotsVerifyAllResult | undefined {
  const mismatches = result.mismatches.filter((m) => !changed.has(keyOf({ streamId: m.streamId, version: m.snapshotVersion })));
  const failures = result.failures.filter((f) => f.snapshotVersion === undefined || !changed.has(keyOf({ streamId: f.streamId, version: f.snapshotVersion })));
  const gone = result.mismatches.length - mismatches.length + (result.failures.length - failures.length);
  if (gone === 0) return undefined;
  const field = change === 'regenerated' ? 'regeneratedSince' : 'deletedSince';
  return {
    ...result,
    mismatches,
    failures,
    mismatched: result.mismatched - (result.mismatches.length - mismatches.length),
    failed: result.failed - (result.failures.length - failures.length),
    [field]: (result[field] ?? 0) + gone,
  };
}

function keyOf(key: SnapshotKey): string {
  return `${key.version}\n${key.streamId}`;
}
