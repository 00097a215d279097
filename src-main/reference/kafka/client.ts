import { Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';

export interface KafkaSettings {
  brokers: string[];
  clientId?: string;
  /** Print kafkajs errors (default) or nothing at all (tests of crash paths). */
  quiet?: boolean;
}

/** A kafkajs client that logs only errors, one line each, instead of its default JSON noise. */
export function createKafka(settings: KafkaSettings): Kafka {
  return new Kafka({
    brokers: settings.brokers,
    clientId: settings.clientId ?? 'chronoscope-reference',
    logLevel: logLevel.ERROR,
    logCreator: () => (entry: LogEntry) => {
      if (settings.quiet || entry.level > logLevel.ERROR) return;
      console.error(`[kafka ${entry.namespace}] ${entry.log.message}`);
    },
    retry: { retries: 8, initialRetryTime: 100 },
  });
}

/** Creates the topic if it does not exist yet (idempotent). */
export async function ensureTopic(kafka: Kafka, topic: string, numPartitions = 3): Promise<void> {
  const admin: Admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (existing.includes(topic)) return;
    await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/**
 * The producer relays use: idempotent with one request in flight, so broker-side
 * retries never duplicate or reorder messages within a partition.
 */
export async function connectOrderedProducer(kafka: Kafka) {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}
