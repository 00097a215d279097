/**
 * One partition, one lag: the Kafka group screen, the groups list, the lag
 * chart, the store-to-read-model line, the checkpoint board and the overview
 * report the same lag for the same partitions of a group whose projector keeps
 * its checkpoints at the group's offsets — one partition read part way, one
 * whose committed offset retention deleted, one never committed.
 */
import type { Admin, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { ensureReferenceSchema } from '../../../src-main/reference/postgres/schema';
import { writePostgresCheckpoint } from '../../../src-main/reference/projectors/checkpoints';
import { postgresConnection, type Call } from '../engine-support';
import { closeKafkaEngine, createTopic, openKafkaEngine, produce, testBrokers, uniqueName } from '../kafka-support';
import { createTestDatabase, type TestDatabase } from '../reference/support';

describe.each(testBrokers())('one lag for a partition on every screen against $name', ({ brokers }) => {
  let engine: Engine;
  let call: Call;
  let kafkaConnectionId: string;
  let admin: Admin;
  let producer: Producer;
  let db: TestDatabase;
  let storeConnectionId: string;
  const topic = uniqueName('one-lag');
  const groupId = uniqueName('one-lag-group');
  const projection = 'one_lag_view';

  // Partition 0: offsets 0..9, the first 6 deleted by retention, committed 4 (deleted): 4 left to read.
  // Partition 1: offsets 0..19, committed 15: 5 to read. Partition 2: offsets 0..29, no commit: all 30.
  const expected = { 0: 4, 1: 5, 2: 30 } as Record<number, number>;
  const total = 39;

  beforeAll(async () => {
    ({ engine, call, connectionId: kafkaConnectionId, admin, producer } = await openKafkaEngine('one-lag', brokers, { connectTimeoutMs: 5000 }));
    await createTopic(admin, topic, 3);
    for (const [partition, count] of [
      [0, 10],
      [1, 20],
      [2, 30],
    ] as const)
      await produce(producer, topic, partition, count);
    await admin.setOffsets({
      groupId,
      topic,
      partitions: [
        { partition: 0, offset: '4' },
        { partition: 1, offset: '15' },
      ],
    });
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '6' }] });

    db = await createTestDatabase('one_lag');
    await ensureReferenceSchema(db.pool); // a store whose only projector is the Kafka one
    // The projector's checkpoints are where its group is: none on partition 2.
    await writePostgresCheckpoint(db.pool, projection, `kafka:${topic}:0`, '4');
    await writePostgresCheckpoint(db.pool, projection, `kafka:${topic}:1`, '15');
    storeConnectionId = (await call('connections.add', { ...postgresConnection(uniqueName('store'), db.url), readOnly: false })).id;
    await call('stores.configure', { connectionId: storeConnectionId, preset: 'classic', reason: 'test' });
  }, 120_000);

  afterAll(async () => {
    await closeKafkaEngine({ engine, admin, producer });
    await db?.drop();
  });

  it('the group screen, groups list, lag chart, pipeline line, checkpoint board and overview agree, the partition without a commit included', async () => {
    const group = await call('kafka.group', { connectionId: kafkaConnectionId, groupId });
    expect(group.partitions.map((p) => [p.partition, p.committed, p.lag])).toEqual([
      [0, '4', expected[0]],
      [1, '15', expected[1]],
      [2, null, expected[2]],
    ]);
    expect(group.lag).toBe(total);

    await engine.kafka.sampler.tickNow();
    expect((await call('kafka.groups', { connectionId: kafkaConnectionId })).groups.find((g) => g.groupId === groupId)).toMatchObject({ lag: total });
    const chart = await call('kafka.lagHistory', { connectionId: kafkaConnectionId, groupId, lastMs: 600_000 });
    expect(chart.points.at(-1)!.partitions).toEqual({
      [`${topic}:0`]: expect.objectContaining({ lag: expected[0] }),
      [`${topic}:1`]: expect.objectContaining({ lag: expected[1] }),
      [`${topic}:2`]: expect.objectContaining({ lag: expected[2] }),
    });

    const line = await call('kafka.pipeline', { storeConnectionId, kafkaConnectionId, groupId, topic, projection });
    expect(line.partitions.map((p) => [p.partition, p.committed, p.checkpoint])).toEqual([
      [0, '4', '4'],
      [1, '15', '15'],
      [2, null, null],
    ]);
    expect(line.now.backlog).toMatchObject({ consumer: total, projector: 0 });

    const board = await call('checkpoints.list', { connectionId: storeConnectionId, kafkaConnectionId });
    const projector = board.projectors.find((p) => p.projector === projection)!;
    expect(projector.rows.map((r) => [r.source, r.position, r.lag?.events])).toEqual([
      [`kafka:${topic}:0`, '4', expected[0]],
      [`kafka:${topic}:1`, '15', expected[1]],
      [`kafka:${topic}:2`, null, expected[2]],
    ]);
    expect(projector.lagEvents).toBe(total);

    // The overview reads the checkpoint sampler's last round of the board.
    await engine.lagSampler.sampleOnce();
    const overview = await call('checkpoints.overview', {});
    expect(overview.connections.find((c) => c.connectionId === storeConnectionId)!.worst.find((w) => w.projector === projection)).toMatchObject({
      lagEvents: total,
    });
  });
});
