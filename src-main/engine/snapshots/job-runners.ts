import type { JobRunners } from '../jobs/jobs';
import { VERIFY_ALL_SNAPSHOTS, verifyAllSnapshotsJob, type VerifyAllDeps } from '../jobs/verify-all-snapshots';
import { DELETE_SNAPSHOTS, REGENERATE_SNAPSHOTS, deleteSnapshotsJob, regenerateSnapshotsJob, type ChangeJobDeps } from './change-jobs';

/** The runners of the snapshot jobs: bulk verification, delete and regenerate. */
export function snapshotJobRunners(deps: VerifyAllDeps & ChangeJobDeps): JobRunners {
  return {
    [VERIFY_ALL_SNAPSHOTS]: verifyAllSnapshotsJob(deps),
    [DELETE_SNAPSHOTS]: deleteSnapshotsJob(deps),
    [REGENERATE_SNAPSHOTS]: regenerateSnapshotsJob(deps),
  };
}
