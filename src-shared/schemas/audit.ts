import { z } from 'zod';

export const auditOutcome = z.enum(['ok', 'error', 'refused', 'cancelled']);

export const auditRecord = z.object({
  seq: z.number(),
  at: z.string(),
  user: z.string(),
  operation: z.string(),
  target: z.string(),
  reason: z.string(),
  dryRun: z.boolean(),
  outcome: auditOutcome,
  errorCode: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditRecord = z.output<typeof auditRecord>;

export const auditListInput = z.strictObject({
  /** Return records with seq below this, newest first (keyset paging). */
  beforeSeq: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(500).default(100),
  operation: z.string().trim().max(100).optional(),
  outcome: auditOutcome.optional(),
  text: z.string().trim().max(200).optional(),
  dryRun: z.boolean().optional(),
});

export const auditListResult = z.object({
  records: z.array(auditRecord),
  nextBeforeSeq: z.number().optional(),
});

export const auditVerifyResult = z.object({
  ok: z.boolean(),
  checked: z.number(),
  head: z.object({ seq: z.number(), hash: z.string() }).optional(),
  problems: z.array(z.object({ seq: z.number().optional(), line: z.number().optional(), problem: z.string() })),
});
