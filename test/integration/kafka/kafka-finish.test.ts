import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeKafkaEngine, createTopic, joinedConsumer, openKafkaEngine, produce, uniqueName, type KafkaEngine } from '../kafka-support';
import { testServices } from '../env';

// Issue 23 item 14: the group's sentence counts every partition of its topics; the cluster view says which release a broker is at least.
describe.each(testServices.kafkaClusters)('Kafka $version: partition count and broker version', (cluster) => {
  let opened: KafkaEngine;

  beforeAll(async () => {
    opened = await openKafkaEngine('kafka-finish', cluster.brokers, { connectTimeoutMs: 5000 });
  });

  afterAll(() => closeKafkaEngine(opened));

  it('a group that committed to 2 of a topic’s 3 partitions says so, in the list and in the group view', async () => {
    const { engine, call, connectionId, kafka, admin, producer } = opened;
    const topic = uniqueName('three-partitions');
    const groupId = uniqueName('two-committed');
    await createTopic(admin, topic, 3);
    for (const partition of [0, 1, 2]) await produce(producer, topic, partition, 2);
    const consumer = await joinedConsumer(kafka, groupId, topic, 'finish-client');
    await consumer.commitOffsets([
      { topic, partition: 0, offset: '2' },
      { topic, partition: 1, offset: '2' },
    ]);
    await consumer.disconnect();
    await engine.kafka.sampler.tickNow();

    const sentence = `2 of 3 partitions are OK; 1 has no commit (${topic}[2]).`;
    const group = await call('kafka.group', { connectionId, groupId });
    expect(group).toMatchObject({ status: 'OK', reason: sentence });
    const listed = (await call('kafka.groups', { connectionId })).groups.find((g) => g.groupId === groupId);
    expect(listed).toMatchObject({ status: 'OK', reason: sentence });
  });

  it('each broker shows the release its protocol versions prove, and how that was inferred', async () => {
    const { call, connectionId } = opened;
    const expected = cluster.version.startsWith('3.9') ? 'Kafka ≥ 3.9' : 'Kafka ≥ 4.0';
    const { brokers } = await call('kafka.cluster', { connectionId });
    expect(brokers.length).toBeGreaterThan(0);
    for (const broker of brokers) {
      expect(broker.version?.label).toBe(expected);
      expect(broker.version?.basis).toMatch(/inferred from the protocol versions/);
    }
  });
});
