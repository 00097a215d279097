import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { isJobKindName, jobKinds, staleAfterJob } from '../../../../src-shared/contract/job-kinds';
import type { JobView } from '../../../../src-shared/schemas/jobs';

const SETTLED: ReadonlySet<JobView['state']> = new Set(['done', 'failed', 'cancelled']);

/**
 * What of a job, once changed, makes its kind's results stale: its settled version, or while it runs (for kinds that change them as they go) its progress
 * count.
 */
function versionOf(job: JobView): string | undefined {
  if (SETTLED.has(job.state)) return `settled ${job.updatedAt}`;
  if (isJobKindName(job.kind) && 'invalidatesWhileRunning' in jobKinds[job.kind]) return `${job.state} ${job.progress.done}`;
  return undefined;
}

/**
 * Refetches what a job changed, as its kind declares (src-shared/contract/job-kinds.ts): when
 * it settles, when its finished result is amended (a verification after its snapshots are
 * regenerated), and for kinds that change things as they go, each time its progress moves on.
 * On every screen: the jobs outlive the calls that started them, so the calls' own
 * invalidations came too early, and no screen needs to poll for a job's effects.
 */
export function useRefreshAfterJobs(jobs: JobView[] | undefined): void {
  const queryClient = useQueryClient();
  /** The last seen version of each job; undefined until the first list arrived. */
  const seen = useRef<Map<string, string> | undefined>(undefined);
  useEffect(() => {
    if (!jobs) return;
    const first = seen.current === undefined;
    const previous = seen.current ?? new Map<string, string>();
    const next = new Map<string, string>();
    const stale = new Set<string>();
    for (const job of jobs) {
      const version = versionOf(job);
      if (version === undefined) continue;
      next.set(job.id, version);
      if (!first && previous.get(job.id) !== version) for (const op of staleAfterJob(job.kind)) stale.add(op);
    }
    seen.current = next;
    for (const op of stale) void queryClient.invalidateQueries({ queryKey: [op] });
  }, [jobs, queryClient]);
}
