import { useEffect, useState } from 'react';
import type { JobView } from '../../../../src-shared/schemas/jobs';
import { useClient, useLinkState } from '../../client/host-context';

const RETRY_AFTER_ERROR_MS = 5000;

/**
 * The engine's jobs, kept current by `jobs.watch`: the whole list first, then
 * each job that changes. After a reload or a lost link it simply watches again,
 * which reattaches to jobs still running in the engine.
 */
export function useJobs(): JobView[] | undefined {
  const client = useClient();
  const link = useLinkState();
  const generation = link.status === 'connected' ? link.generation : 0;
  const [jobs, setJobs] = useState<Map<string, JobView> | undefined>(undefined);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (generation === 0) return;
    const handle = client.start('jobs.watch', {}, {
      onData: (data) =>
        setJobs((previous) => {
          const next = new Map(data.full || !previous ? [] : previous);
          for (const job of data.jobs) next.set(job.id, job);
          return next;
        }),
    });
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

  return jobs && [...jobs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

export const isActive = (job: JobView) => job.state === 'running' || job.state === 'queued';
