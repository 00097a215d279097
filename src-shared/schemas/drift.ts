import { z } from 'zod';
import { jobProgress } from './jobs';
import { changeFields, profileId } from './common';
import { modelName, readModelDefinitionInput, schemaName } from './rebuild';

/** Which rows a verification looks at. */
export const driftMode = z.discriminatedUnion('kind', [
  /** A random sample of the live rows and of the store's streams (for missing rows): a fraction (0.01 = 1%) or a number of rows. */
  z.strictObject({
    kind: z.literal('sample'),
    fraction: z.number().gt(0).max(1).optional(),
    rows: z.number().int().min(1).max(100_000).optional(),
  }),
  /** Every live row and every stream of the store the definition handles; resumable (checkpointed by key ranges). */
  z.strictObject({ kind: z.literal('full') }),
  /** The rows of these streams. */
  z.strictObject({ kind: z.literal('streams'), streamIds: z.array(z.string().min(1).max(255)).min(1).max(10_000) }),
]);

/** The projector checkpoint a verification compares events with (default: the one that appears to feed the model). */
const projectorChoice = z.strictObject({ name: z.string().min(1).max(255), source: z.string().min(1).max(255), store: z.string().max(255).optional() });

export const driftVerifyParams = z.strictObject({
  connectionId: z.string(),
  schema: z.string(),
  model: z.string(),
  /** Built-in: absent; a user definition: its name and source. */
  definition: z.string().optional(),
  definitionSource: z.string().optional(),
  mode: driftMode,
  projector: projectorChoice.optional(),
  /** Seeds the sample (a resumed sample job chooses the same rows). */
  seed: z.number().optional(),
  /** Started by the drift watch: a clean result writes no report file, and only the newest clean ones are kept. */
  scheduled: z.boolean().optional(),
});

export const driftVerifyInput = z
  .strictObject({
    connectionId: profileId,
    schema: schemaName,
    model: modelName,
    definition: readModelDefinitionInput,
    mode: driftMode,
    projector: projectorChoice.optional(),
  })
  .refine((i) => i.mode.kind !== 'sample' || (i.mode.fraction === undefined) !== (i.mode.rows === undefined), {
    message: 'a sample takes either a fraction or a number of rows',
    path: ['mode'],
  });
export const driftVerifyResult = z.object({ jobId: z.string() });

export const driftKind = z.enum(['edited', 'missing', 'orphan', 'stale-skipped']);

export const driftEventRef = z.object({
  position: z.string().nullable(),
  version: z.number(),
  type: z.string(),
  /** When the event was stored (the store's timestamp). */
  storedAt: z.string().nullable(),
});

export const driftedRow = z.object({
  key: z.string(),
  kind: driftKind,
  /** The stream whose replay gives (or would not give) the row. */
  streamId: z.string(),
  /** Fields that differ: the live value and the replayed one (null where the row is absent on that side). */
  fields: z.array(z.object({ field: z.string(), live: z.unknown(), replayed: z.unknown() })),
  /** The last event of the stream the definition folds: the one that should have touched the row last (none for an orphan). */
  lastEvent: driftEventRef.nullable(),
  /** Whether the projector's checkpoint is at or past that event (null: no checkpoint known, or no event). */
  checkpointPassed: z.boolean().nullable(),
});

export const driftReport = z.object({
  connectionId: z.string(),
  schema: z.string(),
  model: z.string(),
  definition: z.string(),
  mode: driftMode,
  /** The log was replayed up to this position (the settled head when the run started). */
  horizon: z.string().nullable(),
  projector: z.object({ name: z.string(), source: z.string(), position: z.string().nullable() }).nullable(),
  /** Live rows and store streams looked at, and rows compared. */
  rowsChecked: z.number(),
  counts: z.object({ edited: z.number(), missing: z.number(), orphan: z.number(), staleSkipped: z.number() }),
  drifted: z.number(),
  /** Rows that differ only by events the projector has not reached yet: lag, not drift. */
  lagging: z.number(),
  /** The drifted rows (at most the first thousand). */
  rows: z.array(driftedRow),
  truncated: z.boolean(),
  /** Stream ids to repair (a targeted partial rebuild), at most 10,000. */
  streamIds: z.array(z.string()),
  /** The report as JSON in the exports folder (save a copy with exports.saveCopy). */
  reportFile: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
});

export const driftVerifyProgress = jobProgress;

export const driftRepairInput = z.strictObject({
  connectionId: profileId,
  /** The finished drift.verify job whose drifted streams to rebuild. */
  jobId: z.string().min(1).max(100),
  reason: changeFields.reason,
  dryRun: changeFields.dryRun,
  confirmation: changeFields.confirmation,
});
export const driftRepairResult = z.object({
  rebuildId: z.string(),
  jobId: z.string().optional(),
  shadow: z.string(),
  streams: z.number(),
  model: z.string(),
  dryRun: z.boolean(),
  /** What comes next: read the diff of the rebuild, then swap it (dry run, confirmation, reason). */
  next: z.string(),
});

export const driftStatusInput = z.strictObject({ connectionId: profileId });

/** A model's drift as its checks (scheduled or manual) found it. */
export const driftModelStatus = z.object({
  schema: z.string(),
  model: z.string(),
  state: z.enum(['unchecked', 'checking', 'clean', 'drifted', 'failed']),
  /** The newest finished check. */
  last: z
    .object({
      jobId: z.string(),
      finishedAt: z.string(),
      mode: z.enum(['sample', 'full', 'streams']),
      rowsChecked: z.number(),
      drifted: z.number(),
      lagging: z.number(),
      counts: driftReport.shape.counts,
    })
    .optional(),
  runningJobId: z.string().optional(),
  /** Why the newest check failed, when it did. */
  error: z.string().optional(),
  /** When the scheduled check is due next; null when scheduled checks are off, one runs, or the model has no built-in definition. */
  nextCheckAt: z.string().nullable(),
  /** Past checks, oldest first: the drift rate over time. */
  history: z.array(z.object({ at: z.string(), rowsChecked: z.number(), drifted: z.number() })),
});
export const driftStatusResult = z.object({ everyMinutes: z.number(), models: z.array(driftModelStatus) });
