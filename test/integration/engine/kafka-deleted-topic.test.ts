import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { type Call } from '../engine-support';
import { closeKafkaEngine, createTopic, openKafkaEngine, joinedConsumer, produce, testBrokers, uniqueName } from '../kafka-support';

/**
 * kafkajs' admin keeps every topic it looked up in the metadata it refreshes:
 * after one is deleted, each refresh failed with "This server does not host
 * this topic-partition", and with it every tick and every group view of the
 * cluster, unrelated groups too, until the engine restarted.
 */
describe.each(testBrokers())('A deleted topic against $name', ({ brokers }) => {
  let engine: Engine;
  let call: Call;
  let connectionId: string;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    ({ engine, call, connectionId, kafka, admin, producer } = await openKafkaEngine('kafka-deleted-topic', brokers, { connectTimeoutMs: 5000 }));
  });

  afterAll(() => closeKafkaEngine({ engine, admin, producer }, consumers));

  it('breaks nothing else: the next tick, the other groups, the group list and the history go on, and its group names it as deleted', async () => {
    const [topicA, topicB] = [uniqueName('deleted-topic'), uniqueName('kept-topic')];
    const [groupA, groupB] = [uniqueName('deleted-topic-group'), uniqueName('kept-topic-group')];
    await createTopic(admin, topicA, 2);
    await createTopic(admin, topicB, 1);
    await produce(producer, topicA, 0, 3);
    await produce(producer, topicB, 0, 5);
    const consumerA = await joinedConsumer(kafka, groupA, topicA, 'deleted-topic-client');
    const consumerB = await joinedConsumer(kafka, groupB, topicB, 'kept-topic-client');
    consumers.push(consumerA, consumerB);
    await consumerA.commitOffsets([{ topic: topicA, partition: 0, offset: '1' }]);
    await consumerB.commitOffsets([{ topic: topicB, partition: 0, offset: '2' }]);

    // The sampler and the views read both topics: the shared admin now targets topic A.
    await engine.kafka.sampler.tickNow();
    expect((await call('kafka.group', { connectionId, groupId: groupA })).partitions.map((p) => p.topic)).toContain(topicA);
    expect((await call('kafka.group', { connectionId, groupId: groupB })).lag).toBe(3);

    await admin.deleteTopics({ topics: [topicA] });
    const deletedAt = Date.now();

    await engine.kafka.sampler.tickNow();
    const groups = await call('kafka.groups', { connectionId });
    expect(groups.sampler.lastError).toBeUndefined();
    expect(Date.parse(groups.at)).toBeGreaterThanOrEqual(deletedAt);
    expect(groups.groups.find((g) => g.groupId === groupB)).toMatchObject({ state: 'Stable', lag: 3 });
    expect(groups.groups.find((g) => g.groupId === groupA)?.note).toContain(`Topic "${topicA}" was deleted`);

    const kept = await call('kafka.group', { connectionId, groupId: groupB });
    expect(kept.partitions).toEqual([expect.objectContaining({ topic: topicB, partition: 0, committed: '2', end: '5', lag: 3 })]);
    expect(kept.note).toBeUndefined();

    // The group of the deleted topic answers too: no partition of the topic, a note that says why, no error.
    const gone = await call('kafka.group', { connectionId, groupId: groupA });
    expect(gone.partitions.filter((p) => p.topic === topicA)).toEqual([]);
    expect(gone.note).toContain(`Topic "${topicA}" was deleted`);
    expect(gone.status).not.toBe('ERR');

    // The history of the other group goes on being written.
    await engine.kafka.sampler.tickNow();
    const history = await call('kafka.lagHistory', { connectionId, groupId: groupB, lastMs: 600_000, maxPoints: 100 });
    const after = history.points.filter((p) => Date.parse(p.at) >= deletedAt);
    expect(after.length).toBe(2);
    expect(after.at(-1)!.partitions[`${topicB}:0`]).toMatchObject({ lag: 3 });
    expect(history.partitions).toEqual([`${topicB}:0`]);

    // The cluster view, which reads every topic's offsets, lists what is left.
    const cluster = await call('kafka.cluster', { connectionId });
    expect(cluster.topics.map((t) => t.name)).toContain(topicB);
    expect(cluster.topics.map((t) => t.name)).not.toContain(topicA);
  });

  it('a view asked before the next tick answers too: the shared admin replaces itself', async () => {
    const [topicA, topicB] = [uniqueName('deleted-topic'), uniqueName('kept-topic')];
    const groupB = uniqueName('kept-topic-group');
    await createTopic(admin, topicA, 1);
    await createTopic(admin, topicB, 1);
    await produce(producer, topicB, 0, 4);
    const consumerB = await joinedConsumer(kafka, groupB, topicB, 'kept-topic-client');
    consumers.push(consumerB);
    await consumerB.commitOffsets([{ topic: topicB, partition: 0, offset: '1' }]);
    // The cluster view reads every topic's end offsets through the shared admin.
    expect((await call('kafka.cluster', { connectionId })).topics.map((t) => t.name)).toContain(topicA);

    await admin.deleteTopics({ topics: [topicA] });

    expect((await call('kafka.group', { connectionId, groupId: groupB })).partitions).toEqual([
      expect.objectContaining({ topic: topicB, committed: '1', end: '4', lag: 3 }),
    ]);
    expect((await call('kafka.cluster', { connectionId })).topics.map((t) => t.name)).not.toContain(topicA);
    await engine.kafka.sampler.tickNow();
    expect((await call('kafka.groups', { connectionId })).sampler.lastError).toBeUndefined();
  });
});
