import { empty } from '../schemas/common';
import {
  kafkaClusterInput,
  kafkaClusterResult,
  kafkaGroupInput,
  kafkaGroupResult,
  kafkaGroupsInput,
  kafkaGroupsResult,
  kafkaLagHistoryInput,
  kafkaLagHistoryResult,
  kafkaMessagesData,
  kafkaMessagesInput,
  kafkaMessagesResult,
  kafkaOutboxGapsInput,
  kafkaOutboxGapsResult,
  kafkaPipelineHistoryInput,
  kafkaPipelineHistoryResult,
  kafkaPipelineInput,
  kafkaPipelineResult,
  kafkaResetOffsetsInput,
  kafkaResetOffsetsResult,
  kafkaSamplerConfigureInput,
  kafkaSamplerSettings,
  kafkaStoreLinkInput,
  kafkaStoreLinkResult,
} from '../schemas/kafka';
import { op } from './op';

/** The operations of Kafka clusters, groups and the store-to-read-model pipeline. */
export const kafkaOperations = {
  'kafka.cluster': op({
    summary: 'Brokers, controller and topics (partitions, replication, retention, size, end offsets)',
    input: kafkaClusterInput,
    result: kafkaClusterResult,
    effect: 'none',
  }),
  'kafka.groups': op({
    summary: "Consumer groups of every kind with state, members, lag and status, as of the lag sampler's last sample (read fresh before its first)",
    input: kafkaGroupsInput,
    result: kafkaGroupsResult,
    effect: 'none',
  }),
  'kafka.group': op({
    summary: 'One consumer group: members and assignments, per partition committed/end offsets, lag in messages and seconds, Burrow status and reason',
    input: kafkaGroupInput,
    result: kafkaGroupResult,
    effect: 'none',
  }),
  'kafka.lagHistory': op({
    summary: 'Sampled lag of a group over a time range, per partition, in messages and seconds, with the status at each point',
    input: kafkaLagHistoryInput,
    result: kafkaLagHistoryResult,
    effect: 'none',
  }),
  'kafka.messages': op({
    summary:
      "A partition's messages from an offset, a time or the last N, key/value decoded (JSON, text, hex) with headers; with follow, new ones stream until cancelled",
    input: kafkaMessagesInput,
    result: kafkaMessagesResult,
    stream: kafkaMessagesData,
    effect: 'none',
  }),
  'kafka.samplerSettings': op({
    summary: 'The background lag sampler: interval, all or pinned groups, the SLO line',
    input: empty,
    result: kafkaSamplerSettings,
    effect: 'none',
  }),
  'kafka.configureSampler': op({
    summary: 'Change the lag sampler interval, its scope, pinned groups or the SLO',
    input: kafkaSamplerConfigureInput,
    result: kafkaSamplerSettings,
    effect: 'local',
    target: () => 'settings:kafka-lag',
    invalidates: ['kafka.samplerSettings', 'kafka.group', 'kafka.groups'],
  }),
  'kafka.resetOffsets': op({
    summary:
      "Move a consumer group's committed offsets (earliest, latest, a time, an exact offset, shift ±N, copy a group), refused while it has active members",
    input: kafkaResetOffsetsInput,
    result: kafkaResetOffsetsResult,
    effect: 'target',
    destructive: true,
    target: (input) => `kafka:${input.connectionId}:group:${input.groupId}`,
    // The offsets the user saw (`next`) are applied as confirmed, even where the end moved since: only where each partition starts from must hold.
    plan: (result) => result.plan.map((row) => ({ topic: row.topic, partition: row.partition, current: row.current, checkpoint: row.checkpoint ?? null })),
    invalidates: ['kafka.group', 'kafka.groups', 'kafka.lagHistory', 'kafka.pipeline', 'kafka.pipelineHistory'],
    // The projector's checkpoints live in another (PostgreSQL) connection, which must be read-write too.
    connectionsOf: (input) => [input.connectionId, ...(input.checkpoints ? [input.checkpoints.connectionId] : [])],
  }),
  'kafka.pipeline': op({
    summary:
      "One lag line from store to read model: store head, outbox relayed position, topic end offsets, the projector group's committed offsets and its read-model checkpoint; where it is behind and an ETA at the measured rates (each call records a sample)",
    input: kafkaPipelineInput,
    result: kafkaPipelineResult,
    effect: 'none',
  }),
  'kafka.pipelineHistory': op({
    summary: 'The recorded samples of a store-to-read-model pipeline over a time range',
    input: kafkaPipelineHistoryInput,
    result: kafkaPipelineHistoryResult,
    effect: 'none',
  }),
  'kafka.storeLink': op({
    summary:
      "The event store a topic's or a group's events come from: declared on the Kafka profile, or detected where a PostgreSQL outbox " +
      "published the topic's newest messages; otherwise the choices to ask from",
    input: kafkaStoreLinkInput,
    result: kafkaStoreLinkResult,
    effect: 'none',
  }),
  'kafka.outboxGaps': op({
    summary: 'Events of a store position range missing from a topic or published more than once, by event id (scans the topic; progress, cancellable)',
    input: kafkaOutboxGapsInput,
    result: kafkaOutboxGapsResult,
    effect: 'none',
  }),
} as const;
