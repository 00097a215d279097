import type { Handlers } from '../dispatch/dispatcher';
import type { Jobs } from './jobs';

export interface JobHandlerDeps {
  jobs: Jobs;
}

type JobOperation = 'jobs.list' | 'jobs.watch' | 'jobs.cancel' | 'jobs.resume';

/** The jobs operations; capabilities start their own jobs (e.g. snapshots.verifyAll in engine/snapshots). */
export function jobHandlers({ jobs }: JobHandlerDeps): Pick<Handlers, JobOperation> {
  return {
    'jobs.list': async () => ({ jobs: await jobs.list() }),
    'jobs.watch': async (_input, context) => {
      await jobs.ready;
      // Subscribed before the list is taken, so no change falls between them (a change heard first is older than the list).
      const unsubscribe = jobs.subscribe((job) => context.emit({ full: false, jobs: [job] }));
      context.emit({ full: true, jobs: await jobs.list() });
      return new Promise((resolve) => {
        // Only the watch ends here: the jobs it reported keep running.
        const stop = () => {
          unsubscribe();
          resolve({});
        };
        if (context.signal.aborted) stop();
        else context.signal.addEventListener('abort', stop, { once: true });
      });
    },
    'jobs.cancel': (input) => jobs.cancel(input.id),
    'jobs.resume': (input) => jobs.resume(input.id),
  };
}
