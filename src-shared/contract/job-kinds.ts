/**
 * The kinds of job the engine runs, declared like operations: what each takes, reports
 * and ends with, and what it makes stale. The Jobs service checks a job's params when it
 * starts and its result when it ends against this table; the renderer reads typed jobs
 * from it and refetches what a kind declares when one of its jobs settles.
 */
import { z } from 'zod';
import type { OperationName } from '../operations';
import { erasureAction, inventory } from '../schemas/compliance';
import { jobProgress, snapshotsVerifyAllResult, type JobView } from '../schemas/jobs';
import { snapshotFilter, snapshotsChangeJobResult } from '../schemas/snapshots';
import { driftReport, driftVerifyParams, driftVerifyProgress } from '../schemas/drift';

export interface JobKindSpec<P extends z.ZodType = z.ZodType, G extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  summary: string;
  /** What the job is started with (kept in its record on disk: never secrets). */
  params: P;
  /** What it reports while it runs. */
  progress: G;
  /** What it ends with, once done. */
  result: R;
  /**
   * The job changes the systems behind its connections: it is refused on a read-only
   * profile whenever it starts, resumes or runs again after a restart.
   */
  writes?: boolean;
  /** Results made stale when a job of this kind settles (done, failed, cancelled) or its finished result is amended. */
  invalidates: readonly OperationName[];
  /** The job also changes them as it goes (an erasure's outcomes, action by action): stale each time its progress count moves on. */
  invalidatesWhileRunning?: true;
}

function jobKind<P extends z.ZodType, G extends z.ZodType, R extends z.ZodType>(spec: JobKindSpec<P, G, R>): JobKindSpec<P, G, R> {
  return spec;
}

const snapshotKey = z.strictObject({ streamId: z.string(), version: z.number() });
/** A filter's matches, or the keys a verification found wrong. */
const changeScope = { filter: snapshotFilter.optional(), keys: z.array(snapshotKey).optional() };
const rebuildResult = z.object({ rows: z.number(), events: z.number() });
/** A rebuild's progress; while it loads, its speed (the screen charts it). */
const rebuildProgress = jobProgress.extend({ eventsPerSecond: z.number().optional() });

export const jobKinds = {
  'snapshots.verifyAll': jobKind({
    summary: 'Verify every stored snapshot of a connection (or a sample) against a replay from zero',
    params: z.strictObject({
      connectionId: z.string(),
      definition: z.string(),
      streamPrefix: z.string().optional(),
      category: z.string().optional(),
      sampleSize: z.number().optional(),
      /** Seeds the sample, so a resumed job keeps choosing the same snapshots. */
      sampleSeed: z.number().optional(),
    }),
    progress: jobProgress,
    result: snapshotsVerifyAllResult,
    invalidates: ['snapshots.list', 'snapshots.inspect', 'checkpoints.overview', 'jobs.list'],
  }),
  'snapshots.delete': jobKind({
    summary: 'Delete the snapshots a filter matches or a verification found wrong, batch by batch',
    params: z.strictObject({ connectionId: z.string(), ...changeScope }),
    progress: jobProgress,
    result: snapshotsChangeJobResult,
    writes: true,
    invalidates: ['snapshots.list', 'snapshots.inspect', 'checkpoints.overview', 'timeTravel.state', 'jobs.list'],
  }),
  'snapshots.regenerate': jobKind({
    summary: 'Replay with a definition and overwrite the selected snapshots, batch by batch',
    params: z.strictObject({ connectionId: z.string(), definition: z.string(), ...changeScope }),
    progress: jobProgress,
    result: snapshotsChangeJobResult,
    writes: true,
    invalidates: ['snapshots.list', 'snapshots.inspect', 'checkpoints.overview', 'timeTravel.state', 'jobs.list'],
  }),
  'rebuilds.run': jobKind({
    summary: 'Load a read model into its shadow (whole, partial, or on Kafka workers), and follow the head when asked',
    params: z.strictObject({
      connectionId: z.string(),
      rebuildId: z.string(),
      /** Keep following the head after the load until the swap. */
      follow: z.boolean().optional(),
      /** A partial rebuild of these streams (its shadow is created by the job, from these). */
      streamIds: z.array(z.string()).optional(),
      /** A partial rebuild whose shadow and streams were recorded at its start. */
      partial: z.boolean().optional(),
      /** The connection is a MongoDB one (its record is in the database's chronoscope_rebuilds collection). */
      backend: z.literal('mongo').optional(),
      schema: z.string().optional(),
      model: z.string().optional(),
      definition: z.string().optional(),
      definitionSource: z.string().optional(),
      /** Scale-out on Kafka: the replay topic lives on this Kafka connection, applied by this many worker processes. */
      scaleOut: z.strictObject({ workers: z.number(), kafkaConnectionId: z.string() }).optional(),
    }),
    progress: rebuildProgress,
    result: rebuildResult,
    writes: true,
    invalidates: ['rebuilds.catalog', 'rebuilds.diff', 'jobs.list'],
  }),
  'compliance.search': jobKind({
    summary: "Find a case's data subject in events, snapshots, read models and the key store",
    params: z.strictObject({ caseId: z.string(), includeMentions: z.boolean() }),
    progress: jobProgress,
    result: inventory,
    invalidates: ['compliance.getCase', 'compliance.listCases', 'jobs.list'],
  }),
  'compliance.erase': jobKind({
    summary: "Run a case's approved erasure actions in order, each recorded on the case as it ends",
    params: z.strictObject({ caseId: z.string(), connectionId: z.string(), actions: z.array(erasureAction) }),
    progress: jobProgress,
    result: z.object({ summary: z.string() }),
    writes: true,
    invalidates: ['compliance.getCase', 'compliance.listCases', 'snapshots.list', 'rebuilds.catalog', 'checkpoints.overview', 'jobs.list'],
    invalidatesWhileRunning: true,
  }),
  'drift.verify': jobKind({
    summary: 'Compare a read model with a replay of the streams behind its rows, without touching it, and report each drifted row',
    params: driftVerifyParams,
    progress: driftVerifyProgress,
    result: driftReport,
    invalidates: ['jobs.list'],
  }),
} as const satisfies Record<string, JobKindSpec>;

/** A table of job kinds (the product's is `jobKinds`; tests may declare their own). */
export type JobKindTable = Record<string, JobKindSpec>;
export type JobKinds = typeof jobKinds;
export type JobKindName = keyof JobKinds;
/** What a job of kind K is started with (defaults may be omitted) and what its runner receives. */
export type JobParamsInputOf<K extends keyof T, T extends JobKindTable = JobKinds> = z.input<T[K]['params']>;
export type JobParamsOf<K extends keyof T, T extends JobKindTable = JobKinds> = z.output<T[K]['params']>;
export type JobProgressOf<K extends keyof T, T extends JobKindTable = JobKinds> = z.output<T[K]['progress']>;
export type JobResultOf<K extends keyof T, T extends JobKindTable = JobKinds> = z.output<T[K]['result']>;

/** A job of kind K, its params, progress and result as the kind's contract declares them (the engine checks them). */
export type JobOf<K extends JobKindName> = Omit<JobView, 'kind' | 'params' | 'progress' | 'result'> & {
  kind: K;
  params: JobParamsOf<K>;
  progress: JobProgressOf<K>;
  result?: JobResultOf<K>;
};

/** Whether the job is of `kind`: then its params and result have that kind's types. */
export function isJobOf<K extends JobKindName>(job: JobView, kind: K): job is JobView & JobOf<K> {
  return job.kind === kind;
}

export function isJobKindName(kind: string): kind is JobKindName {
  return Object.prototype.hasOwnProperty.call(jobKinds, kind);
}

/** What a job of `kind` makes stale when it settles; nothing for a kind this version does not know (an old record). */
export function staleAfterJob(kind: string): readonly OperationName[] {
  return isJobKindName(kind) ? jobKinds[kind].invalidates : [];
}
