import type { JobProgressOf } from '../../../src-shared/contract/job-kinds';
import type { JobContext } from '../jobs/jobs';

/** What a rebuild job's runner is given: its progress may carry the loading speed (see the job-kind contract). */
export type RebuildJobContext = JobContext<null, JobProgressOf<'rebuilds.run'>>;
