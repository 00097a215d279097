import type { ConnectionClients } from '../connections/connection-scope';
import type { KafkaEnds } from './checkpoint-board';

/** Partition ends (high watermarks) of a topic, through the Kafka connection's admin client. */
export function kafkaPartitionEnds(clients: Pick<ConnectionClients, 'kafkaAdmin'>): KafkaEnds {
  return async (kafkaConnectionId, topic) => {
    const admin = await clients.kafkaAdmin(kafkaConnectionId);
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, o.high]));
  };
}
