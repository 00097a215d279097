import { z } from 'zod';
import { changeFields, profileId } from './common';
import { operatorCredentials, operatorId } from './operators';

/**
 * Compliance: where a connection keeps personal data (the personal-data map),
 * erasure cases (one request: subject, ticket, reason, requester) with their
 * search, dry runs, real runs, verification and report.
 */

/** A JSON path into an event: `streamId`, `data.<a>.<b>` or `metadata.<a>`. */
const eventPath = z
  .string()
  .trim()
  .regex(/^(streamId|(data|metadata)(\.[A-Za-z0-9_$-]+)+)$/, 'a path is "streamId", "data.<field>[.<field>]" or "metadata.<field>"');
const identifier = z
  .string()
  .trim()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a table or column name is letters, digits and "_"');

export const personalPath = z.object({ path: eventPath, sealed: z.boolean() });
export const eventTypeMapping = z.object({
  eventType: z.string().trim().min(1).max(200),
  /** Paths that hold the id of the subject the event is about. */
  subjectPaths: z.array(eventPath).max(20),
  /** Paths that hold personal data (erased by redaction); `sealed` when encrypted per subject. */
  personalPaths: z.array(personalPath).max(50),
  /** How many sampled events of this type the proposal saw. */
  sampled: z.number().int().nonnegative().optional(),
});
export const readModelMapping = z.object({
  table: identifier,
  subjectColumn: identifier,
  personalColumns: z.array(identifier).max(50),
  /** `delete` removes the subject's rows; `anonymise` writes "[erased]" into the personal columns. */
  action: z.enum(['delete', 'anonymise']),
});
export const personalDataMap = z.object({
  connectionId: profileId,
  events: z.array(eventTypeMapping).max(500),
  readModels: z.array(readModelMapping).max(100),
  /** Snapshot table and the state paths that name a subject (`aggregateId` is the snapshot's own stream). */
  snapshots: z
    .object({
      table: identifier,
      subjectPaths: z
        .array(
          z
            .string()
            .trim()
            .regex(/^(aggregateId|state(\.[A-Za-z0-9_$-]+)+)$/),
        )
        .max(20),
    })
    .nullable(),
  /** Table of per-subject keys (crypto-shredding deletes the subject's row). */
  keyStore: z.object({ table: identifier, subjectColumn: identifier, keyIdColumn: identifier, keyColumn: identifier }).nullable(),
  /** The profile's rule: a second operator approves an erasure before its real run. */
  requireSecondApprover: z.boolean(),
  /** Set when the user confirmed the map; a proposal has none. */
  confirmedAt: z.string().optional(),
  proposedFromEvents: z.number().int().nonnegative().optional(),
});
export type PersonalDataMap = z.infer<typeof personalDataMap>;

export const complianceProposeMapInput = z.strictObject({ connectionId: profileId, sampleSize: z.number().int().min(10).max(50_000).default(5_000) });
export const complianceGetMapInput = z.strictObject({ connectionId: profileId });
export const complianceGetMapResult = z.object({ map: personalDataMap.nullable() });
export const complianceSaveMapInput = z.strictObject({
  connectionId: profileId,
  map: personalDataMap.omit({ connectionId: true, confirmedAt: true }),
  reason: changeFields.reason,
});

const caseId = z
  .string()
  .trim()
  .regex(/^case-[A-Za-z0-9-]{1,64}$/, 'case id looks like "case-…"');
const person = z.string().trim().min(1, 'name the operator').max(120);

export const subjectQuery = z.object({
  by: z.enum(['id', 'email', 'identifier']),
  value: z.string().trim().min(1, 'type the subject id, e-mail or identifier').max(320),
});

export const locationCount = z.object({
  location: z.string(),
  kind: z.enum(['events', 'snapshots', 'readModel', 'keyStore', 'mentions', 'topic']),
  count: z.number(),
  firstSeen: z.string().nullable(),
  lastSeen: z.string().nullable(),
  /** Per event type, for events. */
  byType: z.record(z.string(), z.number()).optional(),
  note: z.string().optional(),
});
/** An index that would spare a search reading the whole of `location` (the events, a read model, the snapshots). */
export const indexAdvice = z.object({ location: z.string(), path: z.string(), reason: z.string(), sql: z.string() });
/** A place where the subject's id appears outside the mapped paths (free text of another subject): reported, never erased. */
export const mention = z.object({ position: z.string(), streamId: z.string(), eventType: z.string(), where: z.enum(['data', 'metadata']) });
export const inventory = z.object({
  subjectIds: z.array(z.string()),
  locations: z.array(locationCount),
  mentions: z.array(mention),
  mentionsTruncated: z.boolean(),
  advice: z.array(indexAdvice),
  scanned: z.number(),
  elapsedMs: z.number(),
  /** What the search could not look at (sealed e-mails on a profile that may not decrypt). */
  note: z.string().optional(),
});
export type Inventory = z.infer<typeof inventory>;

/**
 * `deleteSnapshots` or `regenerateSnapshots` (replay the erased events and overwrite the
 * snapshot in the store's own format), not both; `tombstoneTopics` writes a null-value
 * record for every key naming the subject in the searched compacted topics.
 */
export const erasureAction = z.enum(['shred', 'redact', 'purgeReadModels', 'deleteSnapshots', 'regenerateSnapshots', 'tombstoneTopics']);
export type ErasureAction = z.infer<typeof erasureAction>;

export const redactionPreview = z.object({
  position: z.string(),
  streamId: z.string(),
  eventType: z.string(),
  changes: z.array(z.object({ path: z.string(), before: z.string(), after: z.string() })),
});
export const actionPreview = z.object({
  action: erasureAction,
  /** What would change, in a sentence. */
  summary: z.string(),
  affected: z.number(),
  /** Why the action cannot run here (a trigger, a missing privilege, no key store). */
  refused: z.string().optional(),
  redactions: z.array(redactionPreview).optional(),
  /** Snapshots a snapshot action would delete or regenerate (the first of them). */
  snapshots: z.array(z.object({ streamId: z.string(), version: z.number(), streamType: z.string().nullable() })).optional(),
  /** Tombstones the real run would write: topic, partition and the key's SHA-256 (never the key). */
  tombstones: z.array(z.object({ topic: z.string(), partition: z.number(), keySha256: z.string(), messages: z.number() })).optional(),
  /** Topics a tombstone cannot clear: where the copies remain and when retention removes them. */
  retained: z
    .array(z.object({ topic: z.string(), messages: z.number(), removedFrom: z.string().nullable(), removedBy: z.string().nullable(), detail: z.string() }))
    .optional(),
});
/** A tombstone the real run wrote (recorded after the broker acknowledged it). */
export const sentTombstone = z.object({ topic: z.string(), partition: z.number(), keySha256: z.string(), offset: z.string(), at: z.string() });
export type SentTombstone = z.infer<typeof sentTombstone>;
export const actionOutcome = z.object({ action: erasureAction, summary: z.string(), affected: z.number(), finishedAt: z.string() });
export const changedEvent = z.object({ position: z.string(), eventId: z.string(), paths: z.array(z.string()), sha256After: z.string() });

export const verificationCheck = z.object({ location: z.string(), ok: z.boolean(), detail: z.string() });
export const verification = z.object({
  at: z.string(),
  ok: z.boolean(),
  /** Encrypted fields of the subject found, and how many still decrypt (0 after shredding). */
  sealedFields: z.number(),
  stillDecrypting: z.number(),
  checks: z.array(verificationCheck),
  /** Places that still hold the subject's personal data or id in clear. */
  inClear: z.array(verificationCheck),
});

/**
 * A second operator's approval: their Ed25519 signature over `digest`, the SHA-256 of
 * the canonical JSON of the case, its connection, its subjects and the exact ordered
 * actions. The real run recomputes the digest from what it is about to do.
 */
export const signedApproval = z.object({
  operatorId,
  name: z.string(),
  fingerprint: z.string(),
  digest: z.string(),
  signature: z.string(),
  actions: z.array(erasureAction),
  at: z.string(),
});
/** An approval recorded by name before approvals were signed: kept for history, it authorises nothing. */
export const legacyApproval = z.object({ by: z.string(), at: z.string() });

export const caseState = z.enum(['open', 'searched', 'previewed', 'approved', 'erasing', 'erased', 'verified', 'reported']);
export const erasureCase = z.object({
  id: caseId,
  connectionId: profileId,
  subject: subjectQuery,
  ticket: z.string(),
  reason: z.string(),
  requester: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  /** The registered operator who opened the case (authenticated by passphrase); never its approver. */
  openedBy: z.object({ operatorId, name: z.string(), fingerprint: z.string() }).optional(),
  /** The two-person rule as it was when the case was opened: turning it off later does not release the case. */
  twoPersonRule: z.boolean().optional(),
  state: caseState,
  searchJobId: z.string().optional(),
  /** The Kafka topics searched, checked again by the verification. */
  topics: z.object({ connectionId: z.string(), topics: z.array(z.string()), from: z.string().optional(), to: z.string().optional() }).optional(),
  inventory: inventory.optional(),
  /** `archive`: the same files as one zip (cases exported before zips were made have none). */
  exported: z.object({ path: z.string(), archive: z.string().optional(), files: z.array(z.string()), bytes: z.number(), at: z.string() }).optional(),
  actions: z.array(erasureAction).optional(),
  previews: z.array(actionPreview).optional(),
  approval: z.union([signedApproval, legacyApproval]).optional(),
  eraseJobId: z.string().optional(),
  outcomes: z.array(actionOutcome).optional(),
  changedEvents: z.number().optional(),
  verification: verification.optional(),
  report: z.object({ sha256: z.string(), auditSeq: z.number(), json: z.string(), html: z.string(), pdf: z.string().optional(), at: z.string() }).optional(),
});
export type ErasureCase = z.infer<typeof erasureCase>;

export const complianceCreateCaseInput = z.strictObject({
  connectionId: profileId,
  subject: subjectQuery,
  ticket: z.string().trim().min(1, 'name the ticket of the request').max(120),
  requester: person,
  reason: z.string().trim().min(1, 'say why (e.g. "GDPR art. 17 request")').max(500),
  /** The registered operator opening the case; required when the connection's two-person rule is on. */
  operator: operatorCredentials.optional(),
});
export const complianceCaseInput = z.strictObject({ caseId });
export const complianceListCasesResult = z.object({ cases: z.array(erasureCase) });
const topicName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._-]{1,249}$/, 'a topic name is letters, digits, ".", "_" and "-"');
const instant = z
  .string()
  .trim()
  .refine((v) => !Number.isNaN(Date.parse(v)), 'a time is an ISO-8601 instant');
/** Kafka topics to search too: a Kafka connection, its topics, and a time range of messages. */
export const topicScope = z.strictObject({
  connectionId: profileId,
  topics: z.array(topicName).min(1, 'name at least one topic').max(20),
  from: instant.optional(),
  to: instant.optional(),
});
export const complianceSearchInput = z.strictObject({
  caseId,
  connectionId: profileId,
  includeMentions: z.boolean().default(true),
  kafka: topicScope.optional(),
  reason: changeFields.reason,
});
export const complianceExportInput = z.strictObject({ caseId, connectionId: profileId, reason: changeFields.reason });
export const complianceExportResult = z.object({
  path: z.string(),
  /** The bundle as one zip in the exports folder, and its file name (downloaded in browser mode). */
  archive: z.string(),
  archiveName: z.string(),
  files: z.array(z.string()),
  bytes: z.number(),
  events: z.number(),
  /** False when the profile may not decrypt personal data: sealed fields were written as stored. */
  decrypted: z.boolean(),
});
export const complianceApproveInput = z.strictObject({ caseId, approver: operatorCredentials, reason: changeFields.reason });
/** Switching the two-person rule; turning it off weakens every later erasure, so it is destructive with a required reason. */
export const complianceSetTwoPersonRuleInput = z.strictObject({
  connectionId: profileId,
  enabled: z.boolean(),
  ...changeFields,
  reason: z.string().trim().min(1, 'say why the two-person rule changes').max(500),
});
export const complianceSetTwoPersonRuleResult = z.object({ requireSecondApprover: z.boolean(), summary: z.string(), confirmation: z.string().optional() });
export const complianceEraseInput = z.strictObject({
  caseId,
  connectionId: profileId,
  actions: z.array(erasureAction).min(1, 'choose at least one action').max(6),
  ...changeFields,
});
export const complianceEraseResult = z.object({
  previews: z.array(actionPreview).optional(),
  jobId: z.string().optional(),
  confirmation: z.string().optional(),
});
export const complianceVerifyInput = z.strictObject({ caseId, connectionId: profileId, reason: changeFields.reason });
export const complianceReportInput = z.strictObject({ caseId, reason: changeFields.reason });
export const complianceReportResult = z.object({
  sha256: z.string(),
  auditSeq: z.number(),
  json: z.string(),
  html: z.string(),
  pdf: z.string(),
  report: z.record(z.string(), z.unknown()),
});
export const complianceChangesResult = z.object({ changes: z.array(changedEvent), total: z.number() });
export const complianceChangesInput = z.strictObject({ caseId, limit: z.number().int().min(1).max(10_000).default(1000) });
