import type { Admin, Cluster, Producer } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaCluster } from '../../../src-main/engine/connections/drivers';
import type { Engine } from '../../../src-main/engine/engine';
import { applyReset } from '../../../src-main/engine/kafka/offset-reset';
import { createTestEngine, engineCaller, type Call } from '../engine-support';
import { createTopic, kafkaFor, uniqueName } from '../kafka-support';
import { inspectGroup, kafka4, startKip848Consumer, type Kip848Consumer } from '../kafka/kip848';

describe('Kafka 4: a KIP-848 consumer group in the Kafka views', () => {
  let engine: Engine;
  let call: Call;
  let admin: Admin;
  let producer: Producer;
  let cluster: Cluster;
  let connectionId: string;
  let consumer: Kip848Consumer | undefined;

  beforeAll(async () => {
    engine = await createTestEngine('kafka-kip848', { sampleKafkaLag: false });
    call = engineCaller(() => engine);
    const { brokers } = kafka4();
    const kafka = kafkaFor(brokers);
    admin = kafka.admin();
    producer = kafka.producer();
    cluster = createKafkaCluster(
      { kind: 'kafka', brokers, clientId: 'chronoscope-test', tls: false, rejectUnauthorized: true, connectTimeoutMs: 10_000 },
      undefined,
    );
    await Promise.all([admin.connect(), producer.connect(), cluster.connect()]);
    connectionId = (await call('connections.add', { name: uniqueName('kafka4'), readOnly: false, settings: { kind: 'kafka', brokers } })).id;
  });

  afterEach(() => {
    if (consumer && consumer.child.exitCode === null) consumer.child.kill('SIGKILL');
    consumer = undefined;
  });

  afterAll(async () => {
    await Promise.all([admin?.disconnect(), producer?.disconnect(), cluster?.disconnect()]);
    await engine?.dispose();
  });

  /** A 2-partition topic with 6 messages, read and committed (3 and 3) by a live KIP-848 member, then 3 more (lag 1 and 2). */
  async function liveGroup() {
    const topic = uniqueName('kip848-topic');
    const groupId = uniqueName('kip848-group');
    await createTopic(admin, topic, 2);
    await producer.send({ topic, messages: Array.from({ length: 6 }, (_, i) => ({ partition: i % 2, value: String(i) })) });
    consumer = startKip848Consumer(topic, groupId, 6);
    await consumer.next(); // broker features
    expect(await consumer.next()).toBe('committed 6');
    expect(await consumer.next()).toBe('group type=Consumer state=Stable members=1');
    await producer.send({
      topic,
      messages: [
        { partition: 0, value: 'a' },
        { partition: 1, value: 'b' },
        { partition: 1, value: 'c' },
      ],
    });
    return { topic, groupId, live: consumer };
  }

  it('is listed with its offsets, lag and a note that its members cannot be described by kafkajs', { timeout: 120_000 }, async () => {
    const { groupId, live } = await liveGroup();
    await engine.kafka.sampler.tickNow();
    const listed = (await call('kafka.groups', { connectionId })).groups.find((g) => g.groupId === groupId)!;
    expect(listed).toMatchObject({ protocolType: 'consumer', lag: 3, note: expect.stringMatching(/KIP-848/) });
    expect(listed.members).toBeUndefined();

    const group = await call('kafka.group', { connectionId, groupId });
    expect(group).toMatchObject({ describable: false, members: [], lag: 3, note: expect.stringMatching(/kafkajs can only describe classic groups/) });
    expect(group.partitions.map((p) => [p.partition, p.committed, p.end, p.lag])).toEqual([
      [0, '3', '4', 1],
      [1, '3', '5', 2],
    ]);
    await live.stop();
  });

  it(
    'with a live member: the dry run names it and the reset is refused without joining the group (no rebalance, no offset moved)',
    { timeout: 120_000 },
    async () => {
      const { topic, groupId, live } = await liveGroup();
      const before = await inspectGroup(groupId);
      expect(before).toMatchObject({
        type: 'Consumer',
        state: 'Stable',
        members: [{ assigned: [`${topic}:0`, `${topic}:1`] }],
        offsets: { [`${topic}:0`]: 3, [`${topic}:1`]: 3 },
      });
      const member = before.members[0]!;

      const input = { connectionId, groupId, strategy: { kind: 'earliest' as const }, scope: { kind: 'all' as const } };
      const dry = await call('kafka.resetOffsets', { ...input, dryRun: true });
      expect(dry.reprocessed).toBe(6);
      expect(dry.activeMembers).toEqual([`${member.clientId} (KIP-848 member ${member.memberId} on /127.0.0.1, epoch ${member.epoch})`]);
      expect(dry.note).toBeUndefined();
      await expect(call('kafka.resetOffsets', { ...input, confirmation: dry.confirmation!, reason: 'OPS-1' })).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringMatching(/has 1 active member: .*KIP-848 member .*Stop it before resetting its offsets/),
      });

      // A consumer that joins between the check and the commit: the commit itself (no member id,
      // generation -1, as kafka-consumer-groups.sh sends it) is refused by Kafka and joins nothing.
      const plan = dry.plan.map((row) => ({ ...row }));
      await expect(applyReset(admin, cluster, groupId, { plan, reprocessed: 6, skipped: 0, activeMembers: [] })).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringMatching(/refused to move the offsets .* because the group has members/),
        details: { driverMessage: expect.stringMatching(/^UNKNOWN_MEMBER_ID/) },
      });

      // The broker's own view: same member, same epochs, same assignment, same offsets (kafkajs'
      // setOffsets, used before, joined as a classic member here and bumped the epoch from 2 to 4).
      expect(await inspectGroup(groupId)).toEqual(before);
      await live.stop();
    },
  );

  it('once empty: the reset moves its offsets, the group stays a KIP-848 group, and its next consumer starts there', { timeout: 120_000 }, async () => {
    const { topic, groupId, live } = await liveGroup();
    await live.stop();
    expect(await inspectGroup(groupId)).toMatchObject({ type: 'Consumer', state: 'Empty', members: [] });

    const input = { connectionId, groupId, strategy: { kind: 'earliest' as const }, scope: { kind: 'all' as const } };
    const dry = await call('kafka.resetOffsets', { ...input, dryRun: true });
    expect(dry).toMatchObject({ applied: false, activeMembers: [], reprocessed: 6 });
    expect(dry.note).toBeUndefined();
    const done = await call('kafka.resetOffsets', { ...input, confirmation: dry.confirmation!, reason: 'OPS-1' });
    expect(done).toMatchObject({ applied: true, reprocessed: 6 });

    expect(await inspectGroup(groupId)).toEqual({
      type: 'Consumer',
      state: 'Empty',
      groupEpoch: expect.any(Number),
      members: [],
      offsets: { [`${topic}:0`]: 0, [`${topic}:1`]: 0 },
    });
    // A KIP-848 consumer of the group reads all 9 messages again from the reset offsets.
    consumer = startKip848Consumer(topic, groupId, 9);
    await consumer.next();
    expect(await consumer.next()).toBe('committed 9');
    expect(await consumer.next()).toBe('group type=Consumer state=Stable members=1');
    await consumer.stop();
  });
});
