import { z } from 'zod';
import { changeFields, profileId } from './common';
import { definitionName } from './time-travel';

/** Where a job is in its life: `paused` jobs (e.g. interrupted by a restart) wait for `jobs.resume`. */
export const jobState = z.enum(['queued', 'running', 'paused', 'failed', 'done', 'cancelled']);
export type JobState = z.infer<typeof jobState>;

export const jobProgress = z.object({ done: z.number(), total: z.number().optional(), message: z.string().optional() });

/** A job as the renderer sees it: never its secrets (jobs take none) nor its internal resume state. */
export const jobView = z.object({
  id: z.string(),
  kind: z.string(),
  /** What the job does, in words: "Verify all snapshots of Production". */
  title: z.string(),
  /** The connection profiles the job works on. */
  connectionIds: z.array(z.string()),
  params: z.record(z.string(), z.unknown()),
  state: jobState,
  progress: jobProgress,
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  /** Why it failed or was paused, in a sentence that says what to do. */
  error: z.string().optional(),
  /** False when the failure would recur the same way on a resume (bad data, a definition to fix): the error says what to fix instead. */
  retryable: z.boolean().optional(),
  /** One line about the outcome, when it is done. */
  summary: z.string().optional(),
  result: z.unknown().optional(),
  /** A resumed job continues from its resume point (where it stopped) rather than from the start. */
  hasResumePoint: z.boolean(),
});
export type JobView = z.infer<typeof jobView>;

const jobId = z
  .string()
  .trim()
  .min(1, 'job id is required')
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'job id may only contain letters, digits, "-" and "_"');

export const jobsListResult = z.object({ jobs: z.array(jobView) });
export const jobsWatchInput = z.strictObject({});
/** `full`: the whole list (the first message); otherwise the jobs that changed, to merge by id. */
export const jobsWatchData = z.object({ full: z.boolean(), jobs: z.array(jobView) });
export const jobsCancelInput = z.strictObject({ id: jobId, reason: changeFields.reason });
export const jobsResumeInput = z.strictObject({ id: jobId, reason: changeFields.reason });
export const jobStarted = z.object({ jobId: z.string() });

export const snapshotsVerifyAllInput = z.strictObject({
  connectionId: profileId,
  definition: definitionName,
  /** Only streams whose id starts with this. */
  streamPrefix: z.string().min(1).max(200).optional(),
  /** Only snapshots of this aggregate type (category). */
  category: z.string().min(1).max(200).optional(),
  /** Verify a random sample of about this many snapshots instead of all of them. */
  sampleSize: z.number().int().min(1).max(10_000_000).optional(),
});

/** A snapshot that differs from a replay from zero. */
export const snapshotMismatch = z.object({
  streamId: z.string(),
  snapshotVersion: z.number(),
  /** How many places differ. */
  differences: z.number(),
  /** The first few differing paths, e.g. `balanceCents`. */
  paths: z.array(z.string()),
  streamTooShort: z.boolean(),
  /** The first differences, replayed (expected) → stored; long values cut to a preview. */
  diff: z
    .array(z.object({ path: z.string(), kind: z.enum(['added', 'removed', 'changed']), before: z.unknown().optional(), after: z.unknown().optional() }))
    .optional(),
});

/** What a `snapshots.verifyAll` job ends with (its `result`). */
export const snapshotsVerifyAllResult = z.object({
  total: z.number(),
  verified: z.number(),
  ok: z.number(),
  mismatched: z.number(),
  failed: z.number(),
  /** At most 1000 mismatches and 100 failures; `truncated` says when there were more. */
  mismatches: z.array(snapshotMismatch),
  failures: z.array(z.object({ streamId: z.string(), message: z.string(), snapshotVersion: z.number().optional() })),
  truncated: z.boolean(),
  /** The sample asked for, when not all were verified. */
  sampleSize: z.number().optional(),
  /** Snapshots found to differ (or unchecked) that were regenerated or deleted since: no longer counted as mismatched or failed. */
  regeneratedSince: z.number().optional(),
  deletedSince: z.number().optional(),
});
export type SnapshotsVerifyAllResult = z.infer<typeof snapshotsVerifyAllResult>;
