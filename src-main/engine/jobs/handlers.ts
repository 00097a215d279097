import type { Handlers } from '../../transport/dispatcher';
import type { Jobs } from './jobs';
import { VERIFY_ALL_SNAPSHOTS } from './verify-all-snapshots';

export interface JobHandlerDeps {
  jobs: Jobs;
  /** The profile's name, for the job's title; throws not_found for an unknown profile. */
  connectionName(connectionId: string): Promise<string>;
  /** Opens the connection's event store, so a missing preset is reported before any job starts. */
  openStore(connectionId: string): Promise<unknown>;
}

type JobOperation = 'jobs.list' | 'jobs.watch' | 'jobs.cancel' | 'jobs.resume' | 'snapshots.verifyAll';

/** The jobs operations, and the capability operations that start jobs. */
export function jobHandlers({ jobs, connectionName, openStore }: JobHandlerDeps): Pick<Handlers, JobOperation> {
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
    'snapshots.verifyAll': async ({ connectionId, definition, streamPrefix, category }) => {
      const name = await connectionName(connectionId);
      await openStore(connectionId);
      const scope = [streamPrefix !== undefined ? `streams ${streamPrefix}…` : '', category !== undefined ? `type ${category}` : ''].filter(Boolean).join(', ');
      const job = await jobs.start({
        kind: VERIFY_ALL_SNAPSHOTS,
        title: `Verify all snapshots of ${name}${scope ? ` (${scope})` : ''}`,
        connectionIds: [connectionId],
        params: { connectionId, definition, ...(streamPrefix !== undefined ? { streamPrefix } : {}), ...(category !== undefined ? { category } : {}) },
      });
      return { jobId: job.id };
    },
  };
}
