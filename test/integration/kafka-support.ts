/**
 * What the Kafka integration tests share: the brokers to run against (Kafka
 * 3.9 always; Kafka 4.x as well when scripts/services provides it), unique
 * names, and real kafkajs consumers the tests drive.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import type { Engine } from '../../src-main/engine/engine';
import { createTestEngine, engineCaller, type Call } from './engine-support';
import { testServices } from './env';

export interface TestBroker {
  name: string;
  brokers: string[];
}

/** Every broker the suite runs against: 3.9 must be there; a 4.x one joins when its env is set. */
export function testBrokers(): TestBroker[] {
  const list: TestBroker[] = [{ name: 'Kafka 3.9', brokers: testServices.kafkaBrokers }];
  const kafka4 = process.env.CHRONO_TEST_KAFKA4_BROKERS ?? process.env.CHRONOSCOPE_TEST_KAFKA4_BROKERS;
  if (kafka4) list.push({ name: 'Kafka 4', brokers: kafka4.split(',') });
  return list;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function createTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
}

export async function produce(producer: Producer, topic: string, partition: number, count: number): Promise<void> {
  await producer.send({
    topic,
    messages: Array.from({ length: count }, (_, i) => ({ partition, key: `k${i}`, value: JSON.stringify({ i, at: Date.now() }) })),
  });
}

/**
 * A real group member that fetches nothing (its partitions are paused) and
 * commits only what the test tells it to: keeping up, lagging, stalled and
 * rewound consumers are all this one, driven differently.
 */
export async function joinedConsumer(kafka: Kafka, groupId: string, topic: string, clientId = 'test-consumer'): Promise<Consumer> {
  const consumer = new Kafka({ ...kafkaConfigOf(kafka), clientId }).consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  // GROUP_JOIN fires before kafkajs marks its runner as running, and until then commitOffsets()
  // returns without committing anything; the first FETCH_START comes after, so wait for that.
  const running = new Promise<void>((resolve) => consumer.on(consumer.events.FETCH_START, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
  // Fetching before the pause is harmless: nothing is committed without the test.
  await running;
  consumer.pause([{ topic }]);
  return consumer;
}

const configs = new WeakMap<Kafka, ConstructorParameters<typeof Kafka>[0]>();
function kafkaConfigOf(kafka: Kafka): ConstructorParameters<typeof Kafka>[0] {
  return configs.get(kafka)!;
}
export function kafkaFor(brokers: string[]): Kafka {
  const config = { clientId: 'chronoscope-test', brokers, logLevel: logLevel.NOTHING, retry: { retries: 3 } };
  const kafka = new Kafka(config);
  configs.set(kafka, config);
  return kafka;
}

/** Samples until `check` holds (each round is one sampler tick), or fails with the last value seen. */
export async function sampleUntil<T>(engine: Engine, read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    await engine.kafka.sampler.tickNow();
    last = await read();
    if (check(last)) return last;
    if (Date.now() > deadline) throw new Error(`Condition not met in ${timeoutMs} ms; last seen: ${JSON.stringify(last, null, 1).slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** An engine (lag sampling driven by the test) with a profile of `brokers`, and kafkajs admin and producer clients of the same cluster. */
export interface KafkaEngine {
  engine: Engine;
  call: Call;
  connectionId: string;
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
}

export async function openKafkaEngine(
  prefix: string,
  brokers: string[],
  profile: { readOnly?: boolean; connectTimeoutMs?: number } = {},
): Promise<KafkaEngine> {
  const engine = await createTestEngine(prefix, { sampleKafkaLag: false });
  const call = engineCaller(() => engine);
  const settings = { kind: 'kafka' as const, brokers, ...(profile.connectTimeoutMs ? { connectTimeoutMs: profile.connectTimeoutMs } : {}) };
  const connectionId = (
    await call('connections.add', { name: uniqueName('kafka'), ...(profile.readOnly !== undefined ? { readOnly: profile.readOnly } : {}), settings })
  ).id;
  const kafka = kafkaFor(brokers);
  const admin = kafka.admin();
  const producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  return { engine, call, connectionId, kafka, admin, producer };
}

/** Disconnects the test's consumers and clients, then stops the engine. */
export async function closeKafkaEngine(opened: Partial<KafkaEngine> | undefined, consumers: Consumer[] = []): Promise<void> {
  await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
  await Promise.all([opened?.admin?.disconnect(), opened?.producer?.disconnect()]);
  await opened?.engine?.dispose();
}
