import { z } from 'zod';

/**
 * `pending`: an intent, written before a change runs (write-ahead); its outcome record names it
 * by `intentSeq`. `unknown`: Chronoscope stopped between the change and its outcome (found at the
 * next start), so what happened must be checked on the target.
 */
export const auditOutcome = z.enum(['ok', 'error', 'refused', 'cancelled', 'pending', 'unknown']);

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
  /** On an outcome record: the intent record it completes. */
  intentSeq: z.number().optional(),
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

export const auditHead = z.object({ seq: z.number(), hash: z.string() });
export type AuditHead = z.infer<typeof auditHead>;

export const auditVerifyResult = z.object({
  ok: z.boolean(),
  checked: z.number(),
  /** The last record's seq and keyed hash: copy it somewhere else (a ticket, an e-mail) to anchor the log. */
  head: auditHead.optional(),
  /** Records before this seq were written before the chain was keyed (plain SHA-256). */
  keyedFrom: z.number().optional(),
  /** Changes whose outcome was never recorded (Chronoscope stopped between the change and its record). */
  unknownOutcomes: z.number().optional(),
  problems: z.array(z.object({ seq: z.number().optional(), line: z.number().optional(), problem: z.string() })),
});

/**
 * Records the engine writes itself, beside those of operations: personal data shown
 * decrypted by a view, and an erasure report's hash chained into the log.
 */
export const ENGINE_AUDIT_RECORDS = { personalDataDecrypted: 'personalData.decrypted', reportChained: 'compliance.reportChained' } as const;
