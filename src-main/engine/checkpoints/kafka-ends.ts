import type { ConnectionClients } from '../connections/connection-scope';
import type { KafkaBounds, KafkaEnds } from './checkpoint-board';

/** Log start and end offsets of a topic's partitions (low and high watermarks), for lag by the one rule. */
export function kafkaPartitionBounds(clients: Pick<ConnectionClients, 'kafkaAdmin'>): KafkaBounds {
  return async (kafkaConnectionId, topic) => {
    const admin = await clients.kafkaAdmin(kafkaConnectionId);
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, { start: o.low, end: o.high }]));
  };
}

/** Partition ends (high watermarks) of a topic, read as its bounds. */
export function kafkaPartitionEnds(clients: Pick<ConnectionClients, 'kafkaAdmin'>): KafkaEnds {
  const bounds = kafkaPartitionBounds(clients);
  return async (kafkaConnectionId, topic) => new Map([...(await bounds(kafkaConnectionId, topic))].map(([partition, b]) => [partition, b.end]));
}
