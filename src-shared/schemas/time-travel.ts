import { z } from 'zod';
import { profileId } from './common';
import { storedEvent } from './browse';

const streamId = z.string().min(1, 'stream id is required').max(1000);
/** A point in a stream: a version, or an instant (the last event at or before it). */
export const timeTravelTarget = z.union([
  z.strictObject({ version: z.number().int().min(0) }),
  z.strictObject({ time: z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO-8601 date and time') }),
]);
/** A built-in definition name, "merge" (any stream), or "auto" (by the stream's category). */
const definition = z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'definition must be a definition name').default('auto');

const diffEntry = z.object({ path: z.array(z.union([z.string(), z.number()])), kind: z.enum(['added', 'removed', 'changed']), before: z.unknown().optional(), after: z.unknown().optional() });

export const timeTravelDefinitionsResult = z.object({ definitions: z.array(z.object({ name: z.string(), builtin: z.boolean() })) });

export const timeTravelStateInput = z.strictObject({
  connectionId: profileId,
  streamId,
  target: timeTravelTarget,
  definition,
  /** Start from the latest stored snapshot at or before the target, when the store keeps snapshots. */
  useSnapshot: z.boolean().default(true),
});
export const timeTravelStateResult = z.object({
  state: z.unknown(),
  version: z.number(),
  timestamp: z.string().nullable(),
  applied: z.number(),
  fromSnapshotVersion: z.number(),
  definition: z.string(),
});

export const timeTravelCompareInput = z.strictObject({ connectionId: profileId, streamId, a: timeTravelTarget, b: timeTravelTarget, definition });
export const timeTravelCompareResult = z.object({ a: timeTravelStateResult, b: timeTravelStateResult, diff: z.array(diffEntry) });

export const timeTravelStepsInput = z.strictObject({
  connectionId: profileId,
  streamId,
  fromVersion: z.number().int().min(1),
  toVersion: z.number().int().min(1),
  definition,
});
export const timeTravelStepsResult = z.object({
  steps: z.array(z.object({ event: storedEvent, before: z.unknown(), after: z.unknown(), diff: z.array(diffEntry) })),
  truncated: z.boolean(),
});

export const timeTravelFieldHistoryInput = z.strictObject({
  connectionId: profileId,
  streamId,
  /** Dotted path into the state, e.g. `balanceCents` or `lines.0.quantity`. */
  path: z.string().min(1, 'path is required').max(500),
  definition,
});
export const timeTravelFieldHistoryResult = z.object({
  changes: z.array(z.object({ event: storedEvent, before: z.unknown(), after: z.unknown() })),
  truncated: z.boolean(),
  version: z.number(),
});

export const timeTravelVerifySnapshotInput = z.strictObject({ connectionId: profileId, streamId, definition });
export const timeTravelVerifySnapshotResult = z.object({
  ok: z.boolean(),
  snapshotVersion: z.number(),
  diff: z.array(diffEntry),
  streamTooShort: z.boolean(),
});
