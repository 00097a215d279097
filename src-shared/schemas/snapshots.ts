/**
 * Snapshot management: list, inspect beside a replay, delete and regenerate
 * (bulk verification is `snapshots.verifyAll`, in schemas/jobs.ts).
 */
import { z } from 'zod';
import { changeFields, columnName, optionalColumn, profileId } from './common';
import { definitionName } from './time-travel';

const instant = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO-8601 date and time');
const streamId = z.string().min(1, 'stream id is required').max(1000);
const version = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const bytes = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Which snapshots: every criterion given must hold. */
export const snapshotFilterFields = {
  streamType: z.string().min(1).max(200).optional(),
  /** Stream ids starting with this. */
  streamPrefix: z.string().min(1).max(200).optional(),
  /** Taken strictly before this instant. */
  takenBefore: instant.optional(),
  /** Versions strictly below this. */
  versionBelow: version.optional(),
  minSizeBytes: bytes.optional(),
  maxSizeBytes: bytes.optional(),
};
export const snapshotFilter = z.strictObject(snapshotFilterFields);
export type SnapshotFilterInput = z.infer<typeof snapshotFilter>;

export const snapshotView = z.object({
  streamId: z.string(),
  version: z.number(),
  streamType: z.string().nullable(),
  takenAt: z.string().nullable(),
  sizeBytes: z.number(),
  /** The definition / schema version it was written with, where the layout keeps one. */
  schemaVersion: z.string().nullable(),
});
export type SnapshotViewResult = z.infer<typeof snapshotView>;

export const snapshotsListInput = z.strictObject({
  connectionId: profileId,
  ...snapshotFilterFields,
  after: z.string().max(2000).optional(),
  limit: z.number().int().min(1).max(500).optional(),
});
export const snapshotsListResult = z.object({
  /** The table or collection read. */
  source: z.string(),
  snapshots: z.array(snapshotView),
  nextCursor: z.string().nullable(),
});

const diffEntry = z.object({
  path: z.array(z.union([z.string(), z.number()])),
  kind: z.enum(['added', 'removed', 'changed']),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
});

export const snapshotsInspectInput = z.strictObject({ connectionId: profileId, streamId, version, definition: definitionName });
export const snapshotsInspectResult = z.object({
  snapshot: snapshotView.extend({
    state: z.unknown(),
    /** False when the stored snapshot is not JSON (text or bytes): it cannot be compared with a replay. */
    isJson: z.boolean(),
  }),
  /** The state a replay from the stream's start gives at the snapshot's version; absent when the snapshot is not JSON or the replay failed. */
  replay: z.object({ state: z.unknown(), version: z.number(), definition: z.string() }).optional(),
  /** Replayed (expected) → stored: what the snapshot got wrong. */
  diff: z.array(diffEntry),
  ok: z.boolean(),
  streamTooShort: z.boolean(),
  /** Why there is no comparison, in a sentence (not JSON, the definition failed). */
  message: z.string().optional(),
});

const jobId = z
  .string()
  .trim()
  .min(1, 'job id is required')
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'job id may only contain letters, digits, "-" and "_"');

/** One snapshot, every snapshot a filter matches, or every snapshot a verification job found wrong. */
export const snapshotSelection = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('one'), streamId, version }),
  z.strictObject({ kind: z.literal('filter'), filter: snapshotFilter }),
  z.strictObject({ kind: z.literal('failedVerification'), jobId }),
]);
export type SnapshotSelection = z.infer<typeof snapshotSelection>;

export const snapshotsDeleteInput = z.strictObject({ connectionId: profileId, selection: snapshotSelection, ...changeFields });
export const snapshotsRegenerateInput = z.strictObject({ connectionId: profileId, selection: snapshotSelection, definition: definitionName, ...changeFields });

/** A dry run says what would change; a real run of one snapshot is done at once, of more it starts a job. */
export const snapshotsChangeResult = z.object({
  dryRun: z.boolean(),
  /** Snapshots selected (dry run) or changed (one snapshot) or to change (job). */
  count: z.number(),
  /** The first few selected, in (stream, version) order. */
  first: z.array(snapshotView),
  /** The job doing it, when more than one snapshot is selected. */
  jobId: z.string().optional(),
  /** What to know before confirming (e.g. a verification list that was cut). */
  note: z.string().optional(),
  confirmation: z.string().optional(),
});
export type SnapshotsChangeResult = z.infer<typeof snapshotsChangeResult>;

/** What a `snapshots.delete` / `snapshots.regenerate` job ends with. */
export const snapshotsChangeJobResult = z.object({
  changed: z.number(),
  /** Selected but already gone when their turn came. */
  missing: z.number(),
  failed: z.number(),
  failures: z.array(z.object({ streamId: z.string(), version: z.number(), message: z.string() })),
});
export type SnapshotsChangeJobResult = z.infer<typeof snapshotsChangeJobResult>;

/**
 * Snapshots kept where no preset knows: one row (document) per stream and version with
 * the state as JSON, and where kept its stream type, time taken and definition / schema
 * version. Checked against the live schema before it is used: the table must exist, the
 * version be an integer and the state JSON.
 */
export const snapshotMapping = z.discriminatedUnion('backend', [
  z.strictObject({
    backend: z.literal('postgres'),
    schema: optionalColumn,
    table: columnName,
    columns: z.strictObject({
      streamId: columnName,
      version: columnName,
      state: columnName,
      streamType: optionalColumn,
      takenAt: optionalColumn,
      schemaVersion: optionalColumn,
    }),
  }),
  z.strictObject({
    backend: z.literal('mongo'),
    collection: columnName,
    fields: z.strictObject({
      streamId: columnName,
      version: columnName,
      state: columnName,
      streamType: optionalColumn,
      takenAt: optionalColumn,
      schemaVersion: optionalColumn,
    }),
  }),
]);
export type SnapshotMapping = z.infer<typeof snapshotMapping>;

export const snapshotsConfigureInput = z.strictObject({
  connectionId: profileId,
  /** null: forget the custom mapping and read the preset's snapshots again. */
  mapping: snapshotMapping.nullable(),
  reason: changeFields.reason,
});
export const snapshotsConfigureResult = z.object({
  mapping: snapshotMapping.nullable(),
  /** What the mapping reads, and how many snapshots it found there. */
  source: z.string().nullable(),
  snapshots: z.number(),
});
export const snapshotsMappingInput = z.strictObject({ connectionId: profileId });
export const snapshotsMappingResult = z.object({ mapping: snapshotMapping.nullable() });
