import { z } from 'zod';

/** Fields every state-changing operation accepts; recorded in the audit log. */
export const changeFields = {
  reason: z.string().trim().max(500, 'reason is limited to 500 characters').optional(),
  dryRun: z.boolean().optional(),
  /** Token from a prior dry run; required to execute a destructive operation. */
  confirmation: z.string().max(200).optional(),
};

export const profileId = z
  .string()
  .trim()
  .min(1, 'connection id is required')
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'connection id may only contain letters, digits, "-" and "_"');

/** A table, collection, column or field name a custom mapping (snapshots, checkpoints) names. */
export const columnName = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(63, 'names are at most 63 characters')
  .refine((text) => !text.includes('\u0000'), 'must not contain a NUL character');
export const optionalColumn = columnName.optional();

export const empty = z.strictObject({});
