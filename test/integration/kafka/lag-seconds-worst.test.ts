import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeKafkaEngine, createTopic, joinedConsumer, openKafkaEngine, produce, uniqueName, type KafkaEngine } from '../kafka-support';
import { testServices } from '../env';
import { sloVerdict } from '../../../src-shared/kafka-lag-series';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Seconds behind do not add up across partitions: a group whose partitions are 4 s and 3 s behind is 4 s behind.
describe.each(testServices.kafkaClusters)('Kafka $version: seconds behind is the worst partition, not the sum', (cluster) => {
  let opened: KafkaEngine;

  beforeAll(async () => {
    opened = await openKafkaEngine('kafka-worst', cluster.brokers, { connectTimeoutMs: 5000 });
  });

  afterAll(() => closeKafkaEngine(opened));

  it('two partitions behind by different times: the history and the group report the larger, and the SLO is compared with it', async () => {
    const { engine, call, connectionId, kafka, admin, producer } = opened;
    const topic = uniqueName('worst-topic');
    const groupId = uniqueName('worst-group');
    await createTopic(admin, topic, 2);
    await produce(producer, topic, 0, 1);
    await produce(producer, topic, 1, 1);
    const consumer = await joinedConsumer(kafka, groupId, topic, 'worst-client');
    await consumer.commitOffsets([
      { topic, partition: 0, offset: '1' },
      { topic, partition: 1, offset: '1' },
    ]);
    await consumer.disconnect();
    const tick = () => engine.kafka.sampler.tickNow();

    // T1: both caught up at offset 1.
    await tick();
    // T2: five more on each; the group stays at 1 on both.
    await pause(1100);
    await produce(producer, topic, 0, 5);
    await produce(producer, topic, 1, 5);
    await tick();
    // T3: partition 1 catches up to where both ends stood at T2, and more arrives there; partition 0 stays at 1.
    await pause(2100);
    await produce(producer, topic, 1, 5);
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 1, offset: '6' }] });
    await tick();
    // T4: partition 0 is behind since T1, partition 1 since T2.
    await pause(1100);
    await tick();

    const history = await call('kafka.lagHistory', { connectionId, groupId, lastMs: 60_000 });
    const last = history.points[history.points.length - 1]!;
    const p0 = last.partitions[`${topic}:0`]!.seconds!;
    const p1 = last.partitions[`${topic}:1`]!.seconds!;
    expect(p0).toBeGreaterThan(p1 + 0.5);
    expect(p1).toBeGreaterThan(2);
    expect(last.worst).toEqual({ partition: `${topic}:0`, seconds: p0 });
    expect(last.worst!.seconds).toBeLessThan(p0 + p1);
    // An SLO between the worst partition and the sum is met; one under the better partition is not, and names the worst.
    expect(sloVerdict(history.points, p0 + p1 / 2)).toMatchObject({ breached: false, worst: { partition: `${topic}:0`, seconds: p0 } });
    expect(sloVerdict(history.points, p1 - 0.5)).toMatchObject({ breached: true, worst: { partition: `${topic}:0` } });

    // The group's own figure is its worst partition's too (exact or interpolated, whichever each could be read by).
    const group = await call('kafka.group', { connectionId, groupId });
    const seconds = group.partitions.map((p) => p.lagSeconds ?? 0);
    expect(seconds.every((s) => s > 0)).toBe(true);
    expect(group.lagSeconds).toBe(Math.max(...seconds));
    expect(group.lagSeconds).toBeLessThan(seconds[0]! + seconds[1]!);
  });
});
