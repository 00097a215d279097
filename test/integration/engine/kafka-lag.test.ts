import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { createTestEngine, engineCaller, type Call } from '../engine-support';
import { closeKafkaEngine, createTopic, openKafkaEngine, joinedConsumer, produce, sampleUntil, testBrokers, uniqueName } from '../kafka-support';
import { WINDOW_SIZE } from '../../../src-main/engine/kafka/burrow';

/**
 * Waits until the wall clock is in a later second than `since`: lag in seconds is rounded to a tenth, and two ticks on a fast machine can be closer than that.
 */
async function nextSecond(since: number): Promise<void> {
  const wait = 1000 - (since % 1000) + 20;
  await new Promise((resolve) => setTimeout(resolve, wait));
}

describe.each(testBrokers())('Kafka lag, status and cluster view against $name', ({ brokers }) => {
  let engine: Engine;
  let call: Call;
  let connectionId: string;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    ({ engine, connectionId, kafka, admin, producer } = await openKafkaEngine('kafka-lag', brokers, { connectTimeoutMs: 5000 }));
    // Some tests restart the engine: calls go to whichever runs now.
    call = engineCaller(() => engine);
  });

  afterAll(() => closeKafkaEngine({ engine, admin, producer }, consumers));

  async function scenario(partitions = 1) {
    const topic = uniqueName('lag-topic');
    const groupId = uniqueName('lag-group');
    await createTopic(admin, topic, partitions);
    return { topic, groupId };
  }
  const group = (groupId: string) => call('kafka.group', { connectionId, groupId });

  it('lists brokers, the controller, topics with partitions, retention and end offsets, and groups with members and lag', async () => {
    const { topic, groupId } = await scenario(3);
    await produce(producer, topic, 1, 4);
    const consumer = await joinedConsumer(kafka, groupId, topic, 'cluster-view-client');
    consumers.push(consumer);
    await consumer.commitOffsets([{ topic, partition: 1, offset: '2' }]);

    const cluster = await call('kafka.cluster', { connectionId });
    expect(cluster.brokers.length).toBeGreaterThanOrEqual(1);
    expect(cluster.brokers.some((b) => b.controller)).toBe(true);
    const listed = cluster.topics.find((t) => t.name === topic)!;
    expect(listed).toMatchObject({ partitions: 3, replicationFactor: 1, messages: 4, internal: false });
    expect(listed.retentionMs).toBe(24 * 3_600_000);
    expect(listed.endOffsets).toEqual([
      { partition: 0, start: '0', end: '0' },
      { partition: 1, start: '0', end: '4' },
      { partition: 2, start: '0', end: '0' },
    ]);
    // Before the sampler's first tick the groups are read from the cluster, without lag yet.
    const fresh = await call('kafka.groups', { connectionId });
    expect(fresh.source).toBe('fresh');
    expect(fresh.groups.find((g) => g.groupId === groupId)).toEqual({ groupId, protocolType: 'consumer', state: 'Stable', members: 1, pinned: false });
    // Then from its last tick: state, members and lag as sampled then, and when.
    const before = Date.now();
    await engine.kafka.sampler.tickNow();
    const after = Date.now();
    const sampled = await call('kafka.groups', { connectionId });
    expect(sampled.source).toBe('sampler');
    expect(Date.parse(sampled.at)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(sampled.at)).toBeLessThanOrEqual(after);
    expect(sampled.groups.find((g) => g.groupId === groupId)).toMatchObject({
      protocolType: 'consumer',
      state: 'Stable',
      members: 1,
      lag: 2,
      status: expect.any(String),
      pinned: false,
    });

    const detail = await group(groupId);
    expect(detail.describable).toBe(true);
    expect(detail.members).toEqual([expect.objectContaining({ clientId: 'cluster-view-client', assignments: [{ topic, partitions: [0, 1, 2] }] })]);
    expect(detail.partitions.find((p) => p.partition === 1)).toMatchObject({
      committed: '2',
      end: '4',
      lag: 2,
      owner: expect.stringContaining('cluster-view-client'),
    });
    await consumer.disconnect();
  });

  it('a group that keeps up is OK with no lag', async () => {
    const { topic, groupId } = await scenario();
    const consumer = await joinedConsumer(kafka, groupId, topic);
    consumers.push(consumer);
    let end = 0;
    const seen = await sampleUntil(
      engine,
      async () => {
        await produce(producer, topic, 0, 3);
        end += 3;
        await consumer.commitOffsets([{ topic, partition: 0, offset: String(end) }]);
        return group(groupId);
      },
      (g) => g.partitions.length === 1 && g.lag === 0 && g.status === 'OK',
    );
    expect(seen.partitions[0]).toMatchObject({ lag: 0, lagSeconds: 0, lagSecondsBasis: 'caught-up', status: 'OK' });
    expect(seen.reason).toMatch(/OK/);
    await consumer.disconnect();
  });

  it('a group that commits but falls further behind is WARN, with its lag in messages and seconds', async () => {
    const { topic, groupId } = await scenario();
    const consumer = await joinedConsumer(kafka, groupId, topic);
    consumers.push(consumer);
    await produce(producer, topic, 0, 5);
    let committed = 0;
    const seen = await sampleUntil(
      engine,
      async () => {
        await produce(producer, topic, 0, 5);
        committed += 1;
        await consumer.commitOffsets([{ topic, partition: 0, offset: String(committed) }]);
        return group(groupId);
      },
      (g) => g.status === 'WARN' && (g.lagSeconds ?? 0) > 0,
    );
    expect(seen.lag).toBeGreaterThan(5);
    // The message at the committed offset is there to read: exact, unless the read outlasted its deadline on a loaded machine.
    expect(['exact', 'interpolated', 'extrapolated']).toContain(seen.partitions[0]!.lagSecondsBasis);
    expect(seen.reason).toMatch(/never shrank/);
    await consumer.disconnect();
  });

  it('a connected group that does not move its offset while messages wait is STALL', async () => {
    const { topic, groupId } = await scenario();
    const consumer = await joinedConsumer(kafka, groupId, topic);
    consumers.push(consumer);
    await produce(producer, topic, 0, 10);
    await consumer.commitOffsets([{ topic, partition: 0, offset: '3' }]);
    const seen = await sampleUntil(
      engine,
      async () => {
        await produce(producer, topic, 0, 1);
        return group(groupId);
      },
      (g) => g.status === 'STALL',
    );
    expect(seen.state).toBe('Stable');
    expect(seen.reason).toMatch(/keep offset 3/);
    await consumer.disconnect();
  });

  it('a group whose consumers left with lag behind them is STOP, and a rewound offset is REWIND', async () => {
    const { topic, groupId } = await scenario();
    const consumer = await joinedConsumer(kafka, groupId, topic);
    await produce(producer, topic, 0, 10);
    await consumer.commitOffsets([{ topic, partition: 0, offset: '4' }]);
    await engine.kafka.sampler.tickNow();
    await consumer.commitOffsets([{ topic, partition: 0, offset: '6' }]);
    await engine.kafka.sampler.tickNow();
    await consumer.disconnect();
    const stopped = await sampleUntil(
      engine,
      () => group(groupId),
      (g) => g.status === 'STOP',
    );
    expect(stopped.state).toBe('Empty');
    expect(stopped.reason).toMatch(/No commit for/);

    const rewinder = await joinedConsumer(kafka, groupId, topic);
    consumers.push(rewinder);
    await rewinder.commitOffsets([{ topic, partition: 0, offset: '2' }]);
    const rewound = await sampleUntil(
      engine,
      () => group(groupId),
      (g) => g.status === 'REWIND',
    );
    expect(rewound.reason).toMatch(/went back from 6 to 2/);
    await rewinder.disconnect();
  });

  /** Ticks the sampler for this group only (the shared brokers hold many other tests' groups), a steady pause between ticks. */
  async function pinnedTick(groupId: string): Promise<void> {
    await engine.kafka.configure({ scope: 'pinned', pinned: { [connectionId]: [groupId] } });
    await engine.kafka.sampler.tickNow().finally(() => engine.kafka.configure({ scope: 'all', pinned: {} }));
    await new Promise((resolve) => setTimeout(resolve, 150));
  }

  it('a group consumed to the head whose consumer leaves while production goes on reads STOP within three sampling windows', async () => {
    const { topic, groupId } = await scenario(3);
    const consumer = await joinedConsumer(kafka, groupId, topic);
    const produceAll = () => Promise.all([0, 1, 2].map((p) => produce(producer, topic, p, 2)));
    const heads = async () => (await admin.fetchTopicOffsets(topic)).map((o) => ({ topic, partition: o.partition, offset: o.high }));
    // Keeping up for a full window: every commit has zero lag.
    for (let i = 0; i < WINDOW_SIZE + 2; i += 1) {
      await produceAll();
      await consumer.commitOffsets(await heads());
      await pinnedTick(groupId);
    }
    expect(await group(groupId)).toMatchObject({ status: 'OK', lag: 0 });
    await consumer.disconnect();

    let ticks = 0;
    let seen = await group(groupId);
    while (seen.status !== 'STOP' && ticks < 3 * WINDOW_SIZE) {
      await produceAll();
      await pinnedTick(groupId);
      ticks += 1;
      seen = await group(groupId);
    }
    expect(seen, `status after ${ticks} ticks`).toMatchObject({ status: 'STOP', state: 'Empty', reason: expect.stringMatching(/and 2 more: No commit for/) });
    // Burrow waits until the recent end offsets no longer show the group caught up: a window's worth of samples.
    expect(ticks).toBeGreaterThanOrEqual(WINDOW_SIZE);
  });

  it("a lagging group's first sample, also after a restart, is OK until it has the commits STALL is defined on", async () => {
    const { topic, groupId } = await scenario();
    const consumer = await joinedConsumer(kafka, groupId, topic);
    consumers.push(consumer);
    await produce(producer, topic, 0, 10);
    await consumer.commitOffsets([{ topic, partition: 0, offset: '3' }]);
    await pinnedTick(groupId);
    // The sampler's verdict (the groups list) and the group view read between ticks.
    expect((await call('kafka.groups', { connectionId })).groups.find((g) => g.groupId === groupId)).toMatchObject({ status: 'OK', lag: 7 });
    const first = await group(groupId);
    expect(first).toMatchObject({ status: 'OK', lag: 7 });
    expect(first.partitions[0]!.reason).toMatch(/Collecting samples: 1 of the 10 commits/);

    const dataDir = (await call('app.info', {})).dataDir;
    await engine.dispose();
    engine = await createTestEngine('kafka-lag', { dataDir, sampleKafkaLag: false });
    await pinnedTick(groupId);
    expect(await group(groupId)).toMatchObject({ status: 'OK', lag: 7 });

    // The same unmoved offset over a full window is STALL.
    for (let i = 1; i < WINDOW_SIZE; i += 1) await pinnedTick(groupId);
    expect(await group(groupId)).toMatchObject({ status: 'STALL', reason: expect.stringMatching(/keep offset 3 over the last 10 commits/) });
    await consumer.disconnect();
  });

  it('a lagging group gets its lag in seconds from the message at its committed offset, labelled exact, read once per offset', async () => {
    const { topic, groupId } = await scenario(2);
    // Messages written two minutes ago, a second apart: interpolation on this run's samples could not know that.
    const base = Date.now() - 120_000;
    await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ partition: 0, value: `m${i}`, timestamp: String(base + i * 1000) })) });
    await produce(producer, topic, 1, 2);
    await admin.setOffsets({
      groupId,
      topic,
      partitions: [
        { partition: 0, offset: '2' },
        { partition: 1, offset: '2' },
      ],
    });

    const detail = await group(groupId);
    const expected = (Date.now() - (base + 2000)) / 1000;
    const behind = detail.partitions.find((p) => p.partition === 0)!;
    expect(behind).toMatchObject({ committed: '2', lag: 3, lagSecondsBasis: 'exact' });
    expect(Math.abs(behind.lagSeconds! - expected)).toBeLessThan(2);
    expect(detail.partitions.find((p) => p.partition === 1)).toMatchObject({ lag: 0, lagSeconds: 0, lagSecondsBasis: 'caught-up' });
    expect(detail).toMatchObject({ lagSecondsBasis: 'exact', lagSeconds: behind.lagSeconds });

    // The sampler's figures, which the groups list shows, are exact too; the unmoved offset is not read again.
    // (Only this group is sampled, so other groups on the shared brokers do not add reads.)
    const read = engine.kafka.exact.positionsRead;
    await engine.kafka.configure({ scope: 'pinned', pinned: { [connectionId]: [groupId] } });
    await engine.kafka.sampler.tickNow().finally(() => engine.kafka.configure({ scope: 'all', pinned: {} }));
    const list = await call('kafka.groups', { connectionId });
    const summary = list.groups.find((g) => g.groupId === groupId)!;
    expect(summary.lagSecondsBasis).toBe('exact');
    // The earlier tests' groups were listed by that tick but, not being pinned, not sampled.
    expect(list.groups.find((g) => g.groupId !== groupId && g.groupId.startsWith('lag-group-'))).toMatchObject({
      state: 'Not sampled',
      note: expect.stringMatching(/pinned groups only/),
    });
    expect(Math.abs(summary.lagSeconds! - (Date.now() - (base + 2000)) / 1000)).toBeLessThan(2);
    await group(groupId);
    expect(engine.kafka.exact.positionsRead).toBe(read);

    // Moved on: the new offset's message is read.
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '4' }] });
    const moved = (await group(groupId)).partitions.find((p) => p.partition === 0)!;
    expect(moved).toMatchObject({ committed: '4', lag: 1, lagSecondsBasis: 'exact' });
    expect(Math.abs(moved.lagSeconds! - (Date.now() - (base + 4000)) / 1000)).toBeLessThan(2);
    expect(engine.kafka.exact.positionsRead).toBe(read + 1);
  });

  it('a committed offset deleted by retention keeps the interpolated lag in seconds', async () => {
    const { topic, groupId } = await scenario();
    await produce(producer, topic, 0, 3);
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '3' }] });
    await engine.kafka.sampler.tickNow();
    await nextSecond(Date.now()); // the committed offset's age must show in the next sample
    await produce(producer, topic, 0, 5);
    await engine.kafka.sampler.tickNow();
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '5' }] });

    const detail = await group(groupId);
    // Offsets 3 and 4 are gone: only the 3 messages still in the log count (src-shared/partition-lag.ts).
    expect(detail.partitions[0]).toMatchObject({ committed: '3', lag: 3, status: 'ERR', lagSecondsBasis: 'interpolated' });
    expect(detail.partitions[0]!.lagSeconds).toBeGreaterThan(0);
    expect(detail.lagSecondsBasis).toBe('interpolated');
  });

  it('keeps the sampled lag on disk, across a restart of the engine, as a history per partition', async () => {
    const { topic, groupId } = await scenario(2);
    await produce(producer, topic, 0, 6);
    await produce(producer, topic, 1, 2);
    const consumer = await joinedConsumer(kafka, groupId, topic);
    await consumer.commitOffsets([
      { topic, partition: 0, offset: '1' },
      { topic, partition: 1, offset: '2' },
    ]);
    await consumer.disconnect();
    await engine.kafka.sampler.tickNow();
    await nextSecond(Date.now()); // the committed offset's age must show in the next sample
    await produce(producer, topic, 0, 4);
    await engine.kafka.sampler.tickNow();

    const dataDir = (await call('app.info', {})).dataDir;
    await engine.dispose();
    engine = await createTestEngine('kafka-lag', { dataDir, sampleKafkaLag: false });
    const history = await call('kafka.lagHistory', { connectionId, groupId });
    expect(history.partitions).toEqual([`${topic}:0`, `${topic}:1`]);
    expect(history.points.length).toBeGreaterThanOrEqual(2);
    const [first, last] = [history.points[0]!, history.points[history.points.length - 1]!];
    expect(first.partitions[`${topic}:0`]!.lag).toBe(5);
    expect(last.partitions[`${topic}:0`]!.lag).toBe(9);
    expect(last.partitions[`${topic}:1`]!.lag).toBe(0);
    expect(last.partitions[`${topic}:0`]!.seconds).toBeGreaterThan(0);
  });
});

describe("Kafka SASL/PLAIN (the 3.9 broker's SASL listener)", () => {
  let engine: Engine;
  let call: Call;
  beforeAll(async () => {
    engine = await createTestEngine('kafka-sasl', { sampleKafkaLag: false });
    call = engineCaller(() => engine);
  });
  afterAll(async () => engine?.dispose());

  it('a wrong SASL/PLAIN password gets a sentence saying the user name or password was rejected', async () => {
    const saslBrokers = process.env.CHRONO_TEST_KAFKA_SASL_BROKERS;
    expect(saslBrokers, 'scripts/services provides the SASL listener').toBeTruthy();
    const bad = await call('connections.add', {
      name: uniqueName('kafka-sasl'),
      settings: {
        kind: 'kafka',
        brokers: saslBrokers!.split(','),
        sasl: { mechanism: 'plain', username: process.env.CHRONO_TEST_KAFKA_SASL_USER ?? 'chronoscope' },
        connectTimeoutMs: 5000,
      },
      secret: 'not-the-password',
    });
    await expect(call('kafka.cluster', { connectionId: bad.id })).rejects.toMatchObject({
      code: 'auth_failed',
      message: expect.stringMatching(/rejected the user name or password/),
    });
    const good = await call('connections.add', {
      name: uniqueName('kafka-sasl'),
      settings: {
        kind: 'kafka',
        brokers: saslBrokers!.split(','),
        sasl: { mechanism: 'plain', username: process.env.CHRONO_TEST_KAFKA_SASL_USER ?? 'chronoscope' },
        connectTimeoutMs: 5000,
      },
      secret: process.env.CHRONO_TEST_KAFKA_SASL_PASSWORD,
    });
    expect((await call('kafka.cluster', { connectionId: good.id })).brokers.length).toBeGreaterThanOrEqual(1);
  });
});
