import { z } from 'zod';
import { empty } from '../schemas/common';
import { jobView, jobsCancelInput, jobsListResult, jobsResumeInput, jobsWatchData, jobsWatchInput } from '../schemas/jobs';
import { op } from './op';

/** The operations of long-running jobs. */
export const jobsOperations = {
  'jobs.list': op({
    summary: 'Jobs the engine runs or ran (long work that outlives a window), newest first',
    input: empty,
    result: jobsListResult,
    effect: 'none',
  }),
  'jobs.watch': op({
    summary: 'Stream the jobs: the whole list at once, then every job that changes; cancelling the watch leaves the jobs running',
    input: jobsWatchInput,
    result: z.object({}),
    stream: jobsWatchData,
    effect: 'none',
  }),
  'jobs.cancel': op({
    summary: 'Stop a queued, running or paused job',
    input: jobsCancelInput,
    result: jobView,
    effect: 'local',
    target: (input) => `job:${input.id}`,
    invalidates: ['jobs.list'],
  }),
  'jobs.resume': op({
    summary: 'Continue a paused or failed job from where it stopped (its resume point)',
    input: jobsResumeInput,
    result: jobView,
    effect: 'local',
    target: (input) => `job:${input.id}`,
    invalidates: ['jobs.list'],
  }),
} as const;
