import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { isJobOf, type JobKindName, type JobOf, type JobResultOf } from '../../../../src-shared/contract/job-kinds';
import type { JobView } from '../../../../src-shared/schemas/jobs';
import { useClient, useLinkState } from '../../client/host-context';
import { useRefreshAfterJobs } from './use-refresh-after-jobs';

const RETRY_AFTER_ERROR_MS = 5000;

/** Undefined until the first list arrived; null outside a JobsProvider. */
const JobsContext = createContext<JobView[] | undefined | null>(null);

/**
 * The one `jobs.watch` of the window: the whole list first, then each job that changes.
 * After a reload or a lost link it simply watches again, which reattaches to jobs still
 * running in the engine. A job that settles makes stale what its kind declares, on every screen.
 */
export function JobsProvider({ children }: { children: ReactNode }) {
  const client = useClient();
  const link = useLinkState();
  const generation = link.status === 'connected' ? link.generation : 0;
  const [jobs, setJobs] = useState<Map<string, JobView> | undefined>(undefined);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (generation === 0) return;
    const handle = client.start(
      'jobs.watch',
      {},
      {
        onData: (data) =>
          setJobs((previous) => {
            const next = new Map(data.full || !previous ? [] : previous);
            for (const job of data.jobs) next.set(job.id, job);
            return next;
          }),
      },
    );
    let active = true;
    let retry: ReturnType<typeof setTimeout> | undefined;
    handle.result.then((envelope) => {
      if (active && !envelope.ok && envelope.error.code !== 'cancelled') retry = setTimeout(() => setAttempt((n) => n + 1), RETRY_AFTER_ERROR_MS);
    });
    return () => {
      active = false;
      if (retry !== undefined) clearTimeout(retry);
      handle.cancel();
    };
  }, [client, generation, attempt]);

  const sorted = useMemo(() => jobs && [...jobs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)), [jobs]);
  useRefreshAfterJobs(sorted);
  return <JobsContext.Provider value={sorted}>{children}</JobsContext.Provider>;
}

/** The engine's jobs, newest first, from the window's one watch; undefined until the first list arrived. */
export function useJobs(): JobView[] | undefined {
  const jobs = useContext(JobsContext);
  if (jobs === null) throw new Error('JobsProvider is missing above this component.');
  return jobs;
}

/** The jobs of one kind (newest first) that `where` keeps; undefined until the first list arrived. */
export function useJobsOf<K extends JobKindName>(kind: K, where: (job: JobOf<K>) => boolean = () => true): JobOf<K>[] | undefined {
  return useJobs()?.filter((job): job is JobView & JobOf<K> => isJobOf(job, kind) && where(job));
}

/** One job of `kind` by id (none for another kind's job). */
export function useJob<K extends JobKindName>(kind: K, id: string | undefined): JobOf<K> | undefined {
  return useJobsOf(kind, (job) => job.id === id)?.[0];
}

/** What a job ended with, once it is done. */
export function jobResult<K extends JobKindName>(job: JobOf<K> | undefined): JobResultOf<K> | undefined {
  return job?.state === 'done' ? job.result : undefined;
}

export const isActive = (job: Pick<JobView, 'state'>) => job.state === 'running' || job.state === 'queued';
