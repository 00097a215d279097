import { z } from 'zod';
import { changeFields } from './common';

/** The Local workspace's live demo: whether it runs, what it wrote, and what it keeps wrong on purpose. */
export const demoStatus = z.object({
  /** False when this Chronoscope runs no live demo (started with --no-demo, or the workspace is not ready yet). */
  available: z.boolean(),
  paused: z.boolean(),
  events: z.number(),
  commands: z.number(),
  rejected: z.number(),
  /** The projector kept behind the head on purpose. */
  laggingProjector: z.string().optional(),
  lagBehindMs: z.number().optional(),
  /** The stream whose latest snapshot disagrees with its events on purpose. */
  staleSnapshotStream: z.string().optional(),
  /** Rows of a read model corrupted on purpose (edited, deleted, orphan), for the drift check to find. */
  driftedRows: z.object({ model: z.string(), keys: z.array(z.string()) }).optional(),
  lastError: z.string().optional(),
});

export const demoSetPausedInput = z.strictObject({ paused: z.boolean(), ...changeFields });
