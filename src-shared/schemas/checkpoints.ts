import { z } from 'zod';
import { changeFields, columnName, optionalColumn, profileId } from './common';

const instant = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO-8601 date and time');
const name = (what: string) => z.string().max(500, `${what} is limited to 500 characters`);

/** A position as the user types it: digits only, 64-bit. */
export const positionText = z
  .string()
  .trim()
  .regex(/^\d{1,19}$/, 'position must be a whole number of digits, e.g. 1200')
  .refine((p) => !/^\d{1,19}$/.test(p) || BigInt(p) <= 9223372036854775807n, 'position must fit in 64 bits');

/** Names one checkpoint: the table or collection, the projector, its source / partition / segment ('' when none). */
export const checkpointKey = z.strictObject({
  store: name('store').min(1, 'store is required'),
  projector: name('projector').min(1, 'projector is required'),
  source: name('source'),
});
export type CheckpointKeyInput = z.infer<typeof checkpointKey>;

/**
 * - caught-up: no event between the position and the head (holes are not events);
 * - behind: events wait and the position moved lately;
 * - stalled: events wait and the position has not moved for `stalledAfterSeconds`;
 * - ahead: the position is past the store's head (a corrupt or foreign checkpoint);
 * - unknown: no position yet, or no head to compare with.
 */
export const checkpointStatus = z.enum(['caught-up', 'behind', 'stalled', 'ahead', 'unknown']);
export type CheckpointStatus = z.infer<typeof checkpointStatus>;

export const checkpointRow = z.object({
  store: z.string(),
  projector: z.string(),
  source: z.string(),
  kind: z.string(),
  role: z.enum(['projector', 'mark']),
  /** Kafka partition checkpoints keep the next offset to read; others the last position processed. */
  sourceKind: z.enum(['events', 'kafka']),
  kafka: z.object({ topic: z.string(), partition: z.number() }).optional(),
  position: z.string().nullable(),
  head: z.string().nullable(),
  /** Events between position and head; `estimated` when extrapolated from the positions nearest the checkpoint. */
  lag: z.object({ events: z.number(), estimated: z.boolean() }).nullable(),
  /** Age of the oldest event not processed yet, in ms (0 when caught up). */
  lagMs: z.number().nullable(),
  oldestUnprocessedAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
  /** How long the position is known not to have moved, in ms (from updated-at or from samples). */
  unmovedMs: z.number().nullable(),
  status: checkpointStatus,
  /** Why the status is what it is, in a sentence, when it is not plain. */
  note: z.string().optional(),
  extras: z.record(z.string(), z.unknown()).optional(),
});
export type CheckpointRow = z.infer<typeof checkpointRow>;

/** One projector with its rows (one, or one per Kafka partition / shard / segment). */
export const projectorGroup = z.object({
  projector: z.string(),
  status: checkpointStatus,
  lagEvents: z.number().nullable(),
  lagEstimated: z.boolean(),
  lagMs: z.number().nullable(),
  rows: z.array(checkpointRow),
});
export type ProjectorGroup = z.infer<typeof projectorGroup>;

export const checkpointsListInput = z.strictObject({
  connectionId: profileId,
  /** The Kafka connection whose partitions `kafka:<topic>:<partition>` checkpoints read, for their heads. */
  kafkaConnectionId: profileId.optional(),
  stalledAfterSeconds: z.number().int().min(5, 'stalledAfterSeconds must be at least 5').max(86_400).default(60),
});
export const checkpointsListResult = z.object({
  connectionId: z.string(),
  sources: z.array(z.string()),
  head: z.string().nullable(),
  at: z.string(),
  projectors: z.array(projectorGroup),
  /** Sentences about what could not be read (a Kafka topic, the head), the rest being shown. */
  notes: z.array(z.string()),
});
export type CheckpointsListResult = z.infer<typeof checkpointsListResult>;

export const lagSample = z.object({
  at: z.string(),
  position: z.string().nullable(),
  head: z.string().nullable(),
  lagEvents: z.number().nullable(),
  estimated: z.boolean(),
  lagMs: z.number().nullable(),
});
export type LagSample = z.infer<typeof lagSample>;

export const checkpointsHistoryInput = z.strictObject({
  connectionId: profileId,
  key: checkpointKey,
  /** ISO-8601; the last hour when absent. */
  from: instant.optional(),
  to: instant.optional(),
  /** At most this many points: longer ranges keep the worst lag of each slice. */
  maxPoints: z.number().int().min(10).max(5000).default(600),
});
export const checkpointsHistoryResult = z.object({
  samples: z.array(lagSample),
  intervalMs: z.number(),
  /** Whether the engine samples this connection now. */
  sampling: z.boolean(),
});

export const resetTarget = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('beginning') }),
  z.strictObject({ kind: z.literal('head') }),
  z.strictObject({ kind: z.literal('position'), position: positionText }),
  z.strictObject({ kind: z.literal('time'), at: instant }),
  z.strictObject({ kind: z.literal('projector'), key: checkpointKey }),
]);
export type ResetTarget = z.infer<typeof resetTarget>;

export const checkpointsResetInput = z.strictObject({
  connectionId: profileId,
  key: checkpointKey,
  target: resetTarget,
  kafkaConnectionId: profileId.optional(),
  /** Compare-and-set guard; when absent, the position the dry run of this same request saw. */
  expected: positionText.nullable().optional(),
  /** A projector whose position moved within this many seconds looks alive: the dry run warns. */
  aliveWithinSeconds: z.number().int().min(1).max(3600).default(30),
  ...changeFields,
});

const rangeEvent = z.object({ position: z.string(), streamId: z.string(), type: z.string(), timestamp: z.string().nullable() });
export const rangeSummary = z.object({
  count: z.number(),
  byType: z.array(z.object({ type: z.string(), count: z.number() })),
  first: rangeEvent.nullable(),
  last: rangeEvent.nullable(),
});

export const checkpointsResetResult = z.object({
  /** A checkpoint that moved since the dry run is not an outcome but a `conflict` error: nothing is written. */
  outcome: z.enum(['preview', 'applied']),
  key: checkpointKey,
  /** The position the checkpoint held when this ran (the compare-and-set's expectation). */
  expected: z.string().nullable(),
  target: z.object({ position: z.string(), label: z.string() }),
  /** `reprocess`: the target is behind the position; `skip`: ahead of it. */
  direction: z.enum(['reprocess', 'skip', 'none']),
  /** The events reprocessed or skipped; null where they cannot be read (Kafka partitions: offsets only). */
  summary: rangeSummary.nullable(),
  offsets: z.number().nullable(),
  alive: z.object({ looksAlive: z.boolean(), lastMovedAt: z.string().nullable() }),
  warnings: z.array(z.string()),
  message: z.string(),
  confirmation: z.string().optional(),
});
export type CheckpointsResetResult = z.infer<typeof checkpointsResetResult>;

export const overviewLag = z.object({
  connectionId: z.string(),
  projector: z.string(),
  status: checkpointStatus,
  lagEvents: z.number().nullable(),
  lagEstimated: z.boolean(),
  lagMs: z.number().nullable(),
});
export const checkpointsOverviewResult = z.object({
  connections: z.array(
    z.object({
      connectionId: z.string(),
      /** When the lags were sampled; null when this connection's checkpoints were never opened in this run. */
      sampledAt: z.string().nullable(),
      error: z.string().optional(),
      worst: z.array(overviewLag),
      failedVerifications: z.object({ mismatched: z.number(), failed: z.number(), at: z.string(), jobId: z.string() }).nullable(),
    }),
  ),
});
export type CheckpointsOverviewResult = z.infer<typeof checkpointsOverviewResult>;

/**
 * Checkpoints kept where no preset knows: one row (document) per projector and
 * source, with its name, position and, where kept, update time. Checked against the
 * live schema before it is used: the table must exist and the position be an integer.
 */
export const checkpointMapping = z.discriminatedUnion('backend', [
  z.strictObject({
    backend: z.literal('postgres'),
    schema: optionalColumn,
    table: columnName,
    columns: z.strictObject({ name: columnName, source: optionalColumn, position: columnName, updatedAt: optionalColumn }),
  }),
  z.strictObject({
    backend: z.literal('mongo'),
    collection: columnName,
    fields: z.strictObject({ name: columnName, source: optionalColumn, position: columnName, updatedAt: optionalColumn }),
  }),
]);
export type CheckpointMapping = z.infer<typeof checkpointMapping>;

export const checkpointsConfigureInput = z.strictObject({
  connectionId: profileId,
  /** null: forget the custom mapping and read the preset's checkpoints again. */
  mapping: checkpointMapping.nullable(),
  reason: changeFields.reason,
});
export const checkpointsConfigureResult = z.object({
  mapping: checkpointMapping.nullable(),
  /** What the mapping reads, and how many checkpoints it found there. */
  sources: z.array(z.string()),
  checkpoints: z.number(),
});
export const checkpointsMappingInput = z.strictObject({ connectionId: profileId });
export const checkpointsMappingResult = z.object({ mapping: checkpointMapping.nullable() });
