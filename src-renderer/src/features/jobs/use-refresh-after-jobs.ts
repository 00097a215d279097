import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { JOB_INVALIDATES } from '../../../../src-shared/operations';
import type { JobView } from '../../../../src-shared/schemas/jobs';

const SETTLED: ReadonlySet<JobView['state']> = new Set(['done', 'failed', 'cancelled']);

/**
 * Refetches what a job changed when it settles, or when its finished result is amended
 * (a verification after its snapshots are regenerated), on every screen: the jobs outlive
 * the calls that started them, so the calls' own invalidations came too early.
 */
export function useRefreshAfterJobs(jobs: JobView[] | undefined): void {
  const queryClient = useQueryClient();
  /** The last seen version of each settled job; undefined until the first list arrived. */
  const seen = useRef<Map<string, string> | undefined>(undefined);
  useEffect(() => {
    if (!jobs) return;
    const first = seen.current === undefined;
    const previous = seen.current ?? new Map<string, string>();
    const next = new Map<string, string>();
    const stale = new Set<string>();
    for (const job of jobs) {
      if (!SETTLED.has(job.state)) continue;
      next.set(job.id, job.updatedAt);
      if (!first && previous.get(job.id) !== job.updatedAt) for (const op of JOB_INVALIDATES[job.kind] ?? []) stale.add(op);
    }
    seen.current = next;
    for (const op of stale) void queryClient.invalidateQueries({ queryKey: [op] });
  }, [jobs, queryClient]);
}
