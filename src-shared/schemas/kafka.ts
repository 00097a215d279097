import { z } from 'zod';
import { MAX_KAFKA_LAG_MS } from './settings';
import { changeFields, profileId } from './common';

/** Burrow's partition statuses, from healthy to worst (group status = worst partition). */
export const LAG_STATUSES = ['OK', 'WARN', 'ERR', 'STOP', 'STALL', 'REWIND'] as const;
export const lagStatus = z.enum(LAG_STATUSES);
export type LagStatus = z.infer<typeof lagStatus>;

const groupId = z.string().trim().min(1, 'group id is required').max(255, 'group id is limited to 255 characters');
export const topicName = z
  .string()
  .trim()
  .min(1, 'topic is required')
  .max(249)
  .regex(/^[A-Za-z0-9._-]+$/, 'topic names may only contain letters, digits, ".", "_" and "-"');

export const kafkaClusterInput = z.strictObject({ connectionId: profileId });

const brokerView = z.object({
  nodeId: z.number(),
  host: z.string(),
  port: z.number(),
  controller: z.boolean(),
  /** Inferred from the broker's ApiVersions (brokers do not report a version): a lower bound, and why. */
  version: z.object({ label: z.string(), basis: z.string() }).optional(),
});

const topicView = z.object({
  name: z.string(),
  internal: z.boolean(),
  partitions: z.number(),
  replicationFactor: z.number(),
  /** retention.ms as configured (-1: forever); undefined when the broker would not say. */
  retentionMs: z.number().optional(),
  /** Bytes on disk across partitions' leaders; undefined when the broker does not report log dirs. */
  sizeBytes: z.number().optional(),
  /** Sum over partitions of high watermark minus log start. */
  messages: z.number(),
  endOffsets: z.array(z.object({ partition: z.number(), start: z.string(), end: z.string() })),
});

const memberView = z.object({
  memberId: z.string(),
  clientId: z.string(),
  host: z.string(),
  assignments: z.array(z.object({ topic: z.string(), partitions: z.array(z.number()) })),
});
export type KafkaMember = z.infer<typeof memberView>;

/**
 * How a lag in seconds was found: exact (now minus the timestamp of the message
 * at the committed offset), interpolated on sampled end offsets, extrapolated
 * beyond them, or caught up.
 */
export const lagSecondsBasis = z.enum(['exact', 'caught-up', 'interpolated', 'extrapolated', 'unknown']);
export type LagSecondsBasis = z.infer<typeof lagSecondsBasis>;

export const groupSummary = z.object({
  groupId: z.string(),
  /** classic, or consumer (KIP-848) / other protocol types as the broker lists them. */
  protocolType: z.string(),
  state: z.string(),
  members: z.number().optional(),
  /** Why members are not shown, e.g. a KIP-848 group kafkajs cannot describe. */
  note: z.string().optional(),
  lag: z.number().optional(),
  lagSeconds: z.number().optional(),
  /** How the worst partition's lagSeconds was found. */
  lagSecondsBasis: lagSecondsBasis.optional(),
  status: lagStatus.optional(),
  reason: z.string().optional(),
  pinned: z.boolean(),
});
export type KafkaGroupSummary = z.infer<typeof groupSummary>;

export const kafkaClusterResult = z.object({
  clusterId: z.string(),
  controller: z.number().nullable(),
  brokers: z.array(brokerView),
  topics: z.array(topicView),
});
export type KafkaCluster = z.infer<typeof kafkaClusterResult>;

export const kafkaGroupsInput = z.strictObject({ connectionId: profileId });

export const kafkaGroupsResult = z.object({
  groups: z.array(groupSummary),
  /**
   * When the list was read: the lag sampler's last sample of this connection
   * (no broker call), or now when the sampler has none yet.
   */
  at: z.string(),
  source: z.enum(['sampler', 'fresh']),
  sampler: z.object({ intervalMs: z.number(), scope: z.enum(['all', 'pinned']), lastTickAt: z.string().optional(), lastError: z.string().optional() }),
});
export type KafkaGroups = z.infer<typeof kafkaGroupsResult>;

export const kafkaGroupInput = z.strictObject({ connectionId: profileId, groupId });

export const partitionLag = z.object({
  topic: z.string(),
  partition: z.number(),
  /** The committed offset, or null when the group never committed on this partition. */
  committed: z.string().nullable(),
  end: z.string(),
  /** Messages behind, by the one rule of src-shared/partition-lag.ts (no commit: every retained message). */
  lag: z.number(),
  lagSeconds: z.number().optional(),
  /** How lagSeconds was found: see lagSecondsBasis. */
  lagSecondsBasis,
  status: lagStatus,
  reason: z.string(),
  owner: z.string().optional(),
});
export type PartitionLag = z.infer<typeof partitionLag>;

export const kafkaGroupResult = z.object({
  groupId: z.string(),
  protocolType: z.string(),
  state: z.string(),
  describable: z.boolean(),
  note: z.string().optional(),
  members: z.array(memberView),
  partitions: z.array(partitionLag),
  lag: z.number(),
  lagSeconds: z.number().optional(),
  /** How the worst partition's lagSeconds was found. */
  lagSecondsBasis: lagSecondsBasis.optional(),
  status: lagStatus,
  reason: z.string(),
  pinned: z.boolean(),
});
export type KafkaGroup = z.infer<typeof kafkaGroupResult>;

export const kafkaLagHistoryInput = z.strictObject({
  connectionId: profileId,
  groupId,
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  /** Without `from`: the range is this many milliseconds up to `to` (now by default); one hour when absent. */
  lastMs: z
    .number()
    .int()
    .min(1000)
    .max(8 * 86_400_000)
    .optional(),
  /** At most this many points come back, evenly thinned. */
  maxPoints: z.number().int().min(10).max(5000).default(600),
});

export const lagPoint = z.object({
  at: z.string(),
  /** Per "topic:partition": lag in messages and in seconds. */
  partitions: z.record(z.string(), z.object({ lag: z.number(), seconds: z.number().optional() })),
  /** The partition furthest behind in seconds then: seconds do not add up across partitions, and the SLO holds per partition. */
  worst: z.object({ partition: z.string(), seconds: z.number() }).optional(),
  status: lagStatus,
});
export type LagPoint = z.infer<typeof lagPoint>;

export const kafkaLagHistoryResult = z.object({
  points: z.array(lagPoint),
  partitions: z.array(z.string()),
  from: z.string().optional(),
  to: z.string().optional(),
});

export const kafkaSamplerSettings = z.strictObject({
  intervalMs: z.number().int().min(1000, 'the interval is at least 1 s').max(MAX_KAFKA_LAG_MS, 'the interval is at most 10 minutes'),
  scope: z.enum(['all', 'pinned']),
  /** Groups sampled when scope is "pinned", per connection. */
  pinned: z.record(z.string(), z.array(z.string())),
  /** The read side's objective in seconds, drawn on the charts (reference ADR: 5 s). */
  sloSeconds: z.number().min(0).max(86_400),
});
export type KafkaSamplerSettings = z.infer<typeof kafkaSamplerSettings>;
export const kafkaSamplerConfigureInput = kafkaSamplerSettings.partial().extend({ reason: changeFields.reason });

export const resetStrategy = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('earliest') }),
  z.strictObject({ kind: z.literal('latest') }),
  z.strictObject({ kind: z.literal('timestamp'), at: z.iso.datetime({ offset: true }) }),
  z.strictObject({ kind: z.literal('exact'), offset: z.string().regex(/^\d+$/, 'offset must be a whole number') }),
  z.strictObject({
    kind: z.literal('shift'),
    by: z
      .number()
      .int()
      .refine((n) => n !== 0, 'shift by a number other than 0'),
  }),
  z.strictObject({ kind: z.literal('copy'), fromGroupId: groupId }),
]);
export type ResetStrategy = z.infer<typeof resetStrategy>;

export const resetScope = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('all') }),
  z.strictObject({ kind: z.literal('topic'), topic: topicName }),
  z.strictObject({ kind: z.literal('partitions'), topic: topicName, partitions: z.array(z.number().int().min(0)).min(1, 'choose at least one partition') }),
]);
export type ResetScope = z.infer<typeof resetScope>;

/** A projector that keeps its Kafka positions (source `kafka:<topic>:<partition>`) in the checkpoints of a connection, whatever their layout. */
export const resetCheckpoints = z.strictObject({
  connectionId: profileId,
  projection: z.string().trim().min(1, 'projection name is required').max(255),
});

export const kafkaResetOffsetsInput = z.strictObject({
  connectionId: profileId,
  groupId,
  strategy: resetStrategy,
  scope: resetScope,
  /** Move the projector's own checkpoints together with the group's offsets. */
  checkpoints: resetCheckpoints.optional(),
  ...changeFields,
});

export const resetPlanRow = z.object({
  topic: z.string(),
  partition: z.number(),
  current: z.string().nullable(),
  next: z.string(),
  /** Messages read again (moving back) and passed over (moving forward). */
  reprocessed: z.number(),
  skipped: z.number(),
  /** The projector's checkpoint for this partition now (null: none), when checkpoints are reset too. */
  checkpoint: z.string().nullable().optional(),
});
export type ResetPlanRow = z.infer<typeof resetPlanRow>;

export const kafkaResetOffsetsResult = z.object({
  applied: z.boolean(),
  plan: z.array(resetPlanRow),
  reprocessed: z.number(),
  skipped: z.number(),
  /** Active members that would block the real run (dry run only: the real run refuses). */
  activeMembers: z.array(z.string()),
  /** What the operator should know before confirming, e.g. members that cannot be checked on a KIP-848 group. */
  note: z.string().optional(),
  confirmation: z.string().optional(),
});

export const kafkaMessage = z.object({
  partition: z.number(),
  offset: z.string(),
  timestamp: z.string(),
  key: z.string().nullable(),
  keyEncoding: z.enum(['json', 'text', 'hex', 'null']),
  value: z.string().nullable(),
  valueEncoding: z.enum(['json', 'text', 'hex', 'null']),
  /** Values over 64 KiB are cut; this is the full size. */
  valueBytes: z.number(),
  headers: z.record(z.string(), z.string()),
  /** The store event the message carries, when its value names one (aggregateId/streamId and version). */
  event: z.object({ streamId: z.string(), version: z.number().optional(), eventId: z.string().optional() }).optional(),
});
export type KafkaMessage = z.infer<typeof kafkaMessage>;

export const kafkaMessagesInput = z.strictObject({
  connectionId: profileId,
  topic: topicName,
  partition: z.number().int().min(0),
  from: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('offset'), offset: z.string().regex(/^\d+$/, 'offset must be a whole number') }),
    z.strictObject({ kind: z.literal('time'), at: z.iso.datetime({ offset: true }) }),
    z.strictObject({ kind: z.literal('latest'), count: z.number().int().min(1).max(500) }),
  ]),
  limit: z.number().int().min(1).max(500).default(50),
  /** Keep streaming messages as they arrive, until cancelled. */
  follow: z.boolean().default(false),
});

export const kafkaMessagesResult = z.object({ messages: z.array(kafkaMessage), start: z.string(), end: z.string(), next: z.string() });
export const kafkaMessagesData = z.object({ messages: z.array(kafkaMessage), next: z.string() });

const position = z.string().regex(/^\d{1,20}$/, 'a position is a whole number');
const projectionName = z.string().trim().min(1, 'projection name is required').max(255);

/** An event store, the Kafka topic its relay writes, and a projector (consumer group + read-model checkpoints) reading it. */
export const kafkaPipelineInput = z.strictObject({
  storeConnectionId: profileId,
  kafkaConnectionId: profileId,
  /** The projector's consumer group. */
  groupId,
  /** The topic the relay writes; the group's only topic when left out. */
  topic: topicName.optional(),
  /** The projector's name in its checkpoint store (e.g. accounts_view). */
  projection: projectionName,
  /** Where the read model keeps its checkpoints; the store connection when left out. */
  checkpointConnectionId: profileId.optional(),
});
export type KafkaPipelineInput = z.infer<typeof kafkaPipelineInput>;

export const PIPELINE_STAGES = ['relay', 'consumer', 'projector'] as const;
export const pipelineStage = z.enum(PIPELINE_STAGES);
export type PipelineStage = z.infer<typeof pipelineStage>;

/** The pipeline's positions at one instant (offsets summed over the topic's partitions). */
export const pipelinePoint = z.object({
  at: z.string(),
  /** Highest global position in the store. */
  storeHead: z.number().nullable(),
  /** Highest outbox id marked published (null: no outbox table or none published). */
  relayed: z.number().nullable(),
  /** Outbox rows not yet published. */
  unpublished: z.number().nullable(),
  topicEnd: z.number(),
  committed: z.number(),
  checkpoint: z.number().nullable(),
  /** Messages behind at each stage (see kafkaPipelineResult.stages). */
  backlog: z.object({ relay: z.number().nullable(), consumer: z.number(), projector: z.number().nullable() }),
});
export type PipelinePoint = z.infer<typeof pipelinePoint>;

export const pipelineStageView = z.object({
  stage: pipelineStage,
  /** What the stage is, in words (e.g. `group reference-accounts-view`). */
  label: z.string(),
  /** Events or messages waiting at this stage; null when it cannot be measured. */
  backlog: z.number().nullable(),
  /** Items per second the stage moved on over the measured window. */
  ratePerSecond: z.number().nullable(),
  /** Seconds to clear the backlog at the measured drain rate; null when not draining or nothing to clear. */
  etaSeconds: z.number().nullable(),
  note: z.string().optional(),
});

export const kafkaPipelineResult = z.object({
  topic: z.string(),
  now: pipelinePoint,
  partitions: z.array(z.object({ partition: z.number(), end: z.string(), committed: z.string().nullable(), checkpoint: z.string().nullable() })),
  stages: z.array(pipelineStageView),
  /** The stage holding most of the backlog, or null when the read model is caught up. */
  behindAt: pipelineStage.nullable(),
  /** Where and why, in a sentence. */
  summary: z.string(),
  /** Seconds until the read model catches up at the measured rates; null when caught up or not catching up. */
  etaSeconds: z.number().nullable(),
  /** Seconds of history the rates were measured over (0: a single sample so far). */
  measuredOverSeconds: z.number(),
  /** What each line measures, for the reader. */
  measures: z.string(),
});
export type KafkaPipelineResult = z.infer<typeof kafkaPipelineResult>;

export const kafkaPipelineHistoryInput = kafkaPipelineInput.extend({
  lastMs: z
    .number()
    .int()
    .min(60_000)
    .max(7 * 24 * 3_600_000)
    .default(3_600_000),
  maxPoints: z.number().int().min(10).max(5000).default(600),
});
export const kafkaPipelineHistoryResult = z.object({ points: z.array(pipelinePoint) });

export const kafkaOutboxGapsInput = z.strictObject({
  storeConnectionId: profileId,
  kafkaConnectionId: profileId,
  topic: topicName,
  /** Inclusive store position range; from the first event / to the head when left out. */
  fromPosition: position.optional(),
  toPosition: position.optional(),
  /** Events checked at most in one call (narrow the range past it). */
  maxEvents: z.number().int().min(1).max(1_000_000).default(200_000),
});

const gapEvent = z.object({ eventId: z.string(), position: z.string(), streamId: z.string(), version: z.number() });
export const kafkaOutboxGapsResult = z.object({
  fromPosition: z.string().nullable(),
  toPosition: z.string().nullable(),
  eventsChecked: z.number(),
  messagesScanned: z.number(),
  /** Messages whose event id could not be read (neither an event-id header nor an eventId field). */
  unidentified: z.number(),
  missing: z.array(gapEvent),
  duplicates: z.array(gapEvent.extend({ copies: z.array(z.object({ partition: z.number(), offset: z.string() })) })),
  /** Events without an id in the store cannot be matched. */
  withoutId: z.number(),
  /** Lists are cut at 1000 entries; the counts are complete. */
  missingCount: z.number(),
  duplicateCount: z.number(),
});
export type KafkaOutboxGapsResult = z.infer<typeof kafkaOutboxGapsResult>;

/** Which event store a topic's events (or a group's topics') come from: the one the Kafka screens open and measure. */
export const kafkaStoreLinkInput = z.strictObject({
  connectionId: profileId,
  topic: topicName.optional(),
  /** A consumer group: its committed topics are the ones meant. */
  groupId: groupId.optional(),
});
const storeLinkChoice = z.object({ connectionId: z.string(), name: z.string(), presetConfirmed: z.boolean() });
export const kafkaStoreLinkResult = z.object({
  topics: z.array(z.string()),
  /** Declared on the Kafka profile, or detected from the outbox that published the topic's newest messages; null: ask. */
  linked: storeLinkChoice.extend({ how: z.enum(['declared', 'detected']), evidence: z.string() }).nullable(),
  /** Every event-store profile to choose from; `detected` where the outbox evidence points at it. */
  candidates: z.array(storeLinkChoice.extend({ detected: z.boolean() })),
  /** Why the user is asked (null when linked). */
  question: z.string().nullable(),
});
export type KafkaStoreLinkResult = z.output<typeof kafkaStoreLinkResult>;
