import type { Admin, Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { postgresConnection, type Call } from '../engine-support';
import { createTestDatabase } from '../reference/support';
import { applyReset } from '../../../src-main/engine/kafka/offset-reset';
import { closeKafkaEngine, createTopic, openKafkaEngine, joinedConsumer, produce, testBrokers, uniqueName } from '../kafka-support';

describe.each(testBrokers())('Kafka offset reset against $name', ({ brokers }) => {
  let engine: Engine;
  let call: Call;
  let connectionId: string;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    ({ engine, call, connectionId, kafka, admin, producer } = await openKafkaEngine('kafka-reset', brokers, { readOnly: false }));
  });

  afterAll(() => closeKafkaEngine({ engine, admin, producer }));

  /** A topic of 3 partitions with 10, 20 and 30 messages, and a group committed at 5, 5 and 5. */
  async function committedGroup(groupId = uniqueName('reset-group'), topic = uniqueName('reset-topic')) {
    await createTopic(admin, topic, 3);
    for (const [partition, count] of [
      [0, 10],
      [1, 20],
      [2, 30],
    ] as const)
      await produce(producer, topic, partition, count);
    await admin.setOffsets({ groupId, topic, partitions: [0, 1, 2].map((partition) => ({ partition, offset: '5' })) });
    return { topic, groupId };
  }
  const committed = async (groupId: string, topic: string) =>
    (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset);

  it('is refused while the group has an active member, naming it; the dry run shows who blocks it', async () => {
    const { topic, groupId } = await committedGroup();
    const consumer = await joinedConsumer(kafka, groupId, topic, 'busy-projector');
    try {
      const input = { connectionId, groupId, strategy: { kind: 'earliest' as const }, scope: { kind: 'all' as const }, reason: 'reprocess' };
      const dry = await call('kafka.resetOffsets', { ...input, dryRun: true });
      expect(dry.applied).toBe(false);
      expect(dry.activeMembers).toEqual([expect.stringContaining('busy-projector')]);
      await expect(call('kafka.resetOffsets', { ...input, confirmation: dry.confirmation! })).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringMatching(/has 1 active member: busy-projector .*Stop it before resetting its offsets/),
      });
      expect(await committed(groupId, topic)).toEqual(['5', '5', '5']);
      const audit = await call('audit.list', { operation: 'kafka.resetOffsets' });
      expect(audit.records[0]).toMatchObject({ outcome: 'error', target: `kafka:${connectionId}:group:${groupId}`, reason: 'reprocess' });
    } finally {
      await consumer.disconnect();
    }
  });

  it('commits without joining the group: a member that joined after the check makes Kafka refuse the commit, with no rebalance', async () => {
    const { topic, groupId } = await committedGroup();
    const consumer = await joinedConsumer(kafka, groupId, topic, 'late-joiner');
    let rejoins = 0;
    consumer.on(consumer.events.GROUP_JOIN, () => rejoins++);
    try {
      const plan = [0, 1, 2].map((partition) => ({ topic, partition, current: '5', next: '0', reprocessed: 5, skipped: 0 }));
      // The plan as the check saw it before the consumer came: no members.
      await expect(
        applyReset(admin, await engine.kafka.cluster(connectionId), groupId, { plan, reprocessed: 15, skipped: 0, activeMembers: [] }),
      ).rejects.toMatchObject({
        code: 'conflict',
        message: expect.stringMatching(/refused to move the offsets .* because the group has members/),
        details: { driverMessage: expect.stringMatching(/^UNKNOWN_MEMBER_ID/) },
      });
      expect(await committed(groupId, topic)).toEqual(['5', '5', '5']);
      // A join (kafkajs' setOffsets) would have made the member rejoin within a heartbeat or two.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(rejoins).toBe(0);
      expect((await admin.describeGroups([groupId])).groups[0]).toMatchObject({
        state: 'Stable',
        members: [expect.objectContaining({ clientId: 'late-joiner' })],
      });
    } finally {
      await consumer.disconnect();
    }
  });

  it('resets a group that has never committed (it is created by the commit), without a note', async () => {
    const topic = uniqueName('reset-topic');
    const groupId = uniqueName('new-group');
    await createTopic(admin, topic, 2);
    await produce(producer, topic, 1, 4);
    const input = { connectionId, groupId, strategy: { kind: 'latest' as const }, scope: { kind: 'topic' as const, topic } };
    const dry = await call('kafka.resetOffsets', { ...input, dryRun: true });
    expect(dry).toMatchObject({
      activeMembers: [],
      plan: [
        { partition: 0, current: null, next: '0' },
        { partition: 1, current: null, next: '4' },
      ],
    });
    expect(dry.note).toBeUndefined();
    await call('kafka.resetOffsets', { ...input, confirmation: dry.confirmation!, reason: 'OPS-1' });
    expect(await committed(groupId, topic)).toEqual(['0', '4']);
  });

  it("needs the dry run's confirmation, and the real run applies exactly what the dry run showed", async () => {
    const { topic, groupId } = await committedGroup();
    const input = { connectionId, groupId, strategy: { kind: 'shift' as const, by: 7 }, scope: { kind: 'topic' as const, topic } };
    await expect(call('kafka.resetOffsets', { ...input, reason: 'OPS-1' })).rejects.toMatchObject({ code: 'confirmation_required' });
    const dry = await call('kafka.resetOffsets', { ...input, dryRun: true });
    expect(dry.plan).toEqual([
      { topic, partition: 0, current: '5', next: '10', reprocessed: 0, skipped: 5 }, // kept inside the log: 12 → its end, 10
      { topic, partition: 1, current: '5', next: '12', reprocessed: 0, skipped: 7 },
      { topic, partition: 2, current: '5', next: '12', reprocessed: 0, skipped: 7 },
    ]);
    expect(dry.skipped).toBe(19);
    expect(await committed(groupId, topic)).toEqual(['5', '5', '5']);
    const real = await call('kafka.resetOffsets', { ...input, confirmation: dry.confirmation!, reason: 'OPS-1' });
    expect(real.applied).toBe(true);
    expect(real.plan).toEqual(dry.plan);
    expect(await committed(groupId, topic)).toEqual(dry.plan.map((row) => row.next));
  });

  it('resets chosen partitions to earliest, latest, an exact offset and a time', async () => {
    const { topic, groupId } = await committedGroup();
    const run = async (strategy: Parameters<Call>[1] extends never ? never : object, scope: object) => {
      const input = { connectionId, groupId, strategy, scope } as never;
      const dry = await call('kafka.resetOffsets', { ...(input as object), dryRun: true } as never);
      return call('kafka.resetOffsets', { ...(input as object), confirmation: (dry as { confirmation: string }).confirmation, reason: 'OPS-1' } as never);
    };
    await run({ kind: 'earliest' }, { kind: 'partitions', topic, partitions: [0] });
    await run({ kind: 'latest' }, { kind: 'partitions', topic, partitions: [1] });
    const exact = await run({ kind: 'exact', offset: '17' }, { kind: 'partitions', topic, partitions: [2] });
    expect(exact.plan).toEqual([{ topic, partition: 2, current: '5', next: '17', reprocessed: 0, skipped: 12 }]);
    expect(await committed(groupId, topic)).toEqual(['0', '20', '17']);
    const future = await run({ kind: 'timestamp', at: new Date(Date.now() + 3_600_000).toISOString() }, { kind: 'partitions', topic, partitions: [0] });
    expect(future.plan[0]).toMatchObject({ current: '0', next: '10', skipped: 10 });
    const past = await run({ kind: 'timestamp', at: new Date(0).toISOString() }, { kind: 'partitions', topic, partitions: [1] });
    expect(past.plan[0]).toMatchObject({ current: '20', next: '0', reprocessed: 20 });
  });

  it('copies the offsets of another group', async () => {
    const { topic, groupId: source } = await committedGroup();
    await admin.setOffsets({
      groupId: source,
      topic,
      partitions: [
        { partition: 0, offset: '9' },
        { partition: 1, offset: '1' },
        { partition: 2, offset: '30' },
      ],
    });
    const target = uniqueName('copy-target');
    await admin.setOffsets({ groupId: target, topic, partitions: [0, 1, 2].map((partition) => ({ partition, offset: '3' })) });
    const input = { connectionId, groupId: target, strategy: { kind: 'copy' as const, fromGroupId: source }, scope: { kind: 'all' as const } };
    const dry = await call('kafka.resetOffsets', { ...input, dryRun: true });
    expect(dry.plan.map((r) => [r.current, r.next, r.reprocessed, r.skipped])).toEqual([
      ['3', '9', 0, 6],
      ['3', '1', 2, 0],
      ['3', '30', 0, 27],
    ]);
    await call('kafka.resetOffsets', { ...input, confirmation: dry.confirmation!, reason: 'OPS-1' });
    expect(await committed(target, topic)).toEqual(['9', '1', '30']);
  });

  it('is refused on a read-only profile (the dry run stays possible)', async () => {
    const { topic, groupId } = await committedGroup();
    const readOnly = await call('connections.add', { name: uniqueName('kafka-ro'), readOnly: true, settings: { kind: 'kafka', brokers } });
    const input = { connectionId: readOnly.id, groupId, strategy: { kind: 'latest' as const }, scope: { kind: 'topic' as const, topic } };
    const dry = await call('kafka.resetOffsets', { ...input, dryRun: true });
    expect(dry.reprocessed + dry.skipped).toBe(5 + 15 + 25);
    await expect(call('kafka.resetOffsets', { ...input, confirmation: dry.confirmation!, reason: 'OPS-1' })).rejects.toMatchObject({ code: 'read_only' });
    expect(await committed(groupId, topic)).toEqual(['5', '5', '5']);
  });

  it("moves the projector's checkpoints (a custom table mapping) together with the offsets, each by compare-and-set", async () => {
    const { topic, groupId } = await committedGroup();
    const db = await createTestDatabase('kafka_ckpt');
    try {
      await db.pool.query(`CREATE TABLE projection_checkpoints (projection_name varchar(255) NOT NULL, source varchar(255) NOT NULL DEFAULT 'events',
        position bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (projection_name, source))`);
      await db.pool.query(
        `INSERT INTO projection_checkpoints (projection_name, source, position) VALUES ('orders_view', $1, 5), ('orders_view', $2, 5), ('other_view', $1, 9)`,
        [`kafka:${topic}:0`, `kafka:${topic}:1`],
      );
      const store = await call('connections.add', { ...postgresConnection(uniqueName('read-model'), db.url), readOnly: false });
      const input = {
        connectionId,
        groupId,
        strategy: { kind: 'earliest' as const },
        scope: { kind: 'topic' as const, topic },
        checkpoints: { connectionId: store.id, projection: 'orders_view' },
      };
      // Checkpoints are read through the connection's CheckpointStore: unknown until a preset is confirmed or the table mapped.
      await expect(call('kafka.resetOffsets', { ...input, dryRun: true })).rejects.toMatchObject({
        code: 'not_found',
        message: expect.stringMatching(/checkpoints cannot be found.*map its checkpoint table.*Nothing was moved/),
      });
      const mapping = {
        backend: 'postgres' as const,
        table: 'projection_checkpoints',
        columns: { name: 'projection_name', source: 'source', position: 'position', updatedAt: 'updated_at' },
      };
      expect(await call('checkpoints.configure', { connectionId: store.id, mapping, reason: 'OPS-1' })).toMatchObject({ checkpoints: 3 });
      const dry = await call('kafka.resetOffsets', { ...input, dryRun: true });
      expect(dry.plan.map((r) => [r.partition, r.current, r.next, r.checkpoint])).toEqual([
        [0, '5', '0', '5'],
        [1, '5', '0', '5'],
        [2, '5', '0', null],
      ]);
      expect(dry.note).toMatch(/skips messages below its own checkpoint/);
      await call('kafka.resetOffsets', { ...input, confirmation: dry.confirmation!, reason: 'OPS-1' });
      const { rows } = await db.pool.query<{ projection_name: string; source: string; position: string }>(
        'SELECT projection_name, source, position FROM projection_checkpoints ORDER BY 1, 2',
      );
      expect(rows).toEqual([
        { projection_name: 'orders_view', source: `kafka:${topic}:0`, position: '0' },
        { projection_name: 'orders_view', source: `kafka:${topic}:1`, position: '0' },
        { projection_name: 'orders_view', source: `kafka:${topic}:2`, position: '0' },
        { projection_name: 'other_view', source: `kafka:${topic}:0`, position: '9' },
      ]);
      expect(await committed(groupId, topic)).toEqual(['0', '0', '0']);

      // The projector moved its checkpoint after the dry run: the plan the user confirmed is not what would run, nothing moves.
      const back = await call('kafka.resetOffsets', { ...input, strategy: { kind: 'latest' }, dryRun: true });
      await db.pool.query(`UPDATE projection_checkpoints SET position = 3 WHERE projection_name = 'orders_view' AND source = $1`, [`kafka:${topic}:1`]);
      await expect(
        call('kafka.resetOffsets', { ...input, strategy: { kind: 'latest' }, confirmation: back.confirmation!, reason: 'OPS-1' }),
      ).rejects.toMatchObject({ code: 'plan_changed' });
      expect(await committed(groupId, topic)).toEqual(['0', '0', '0']);
      const after = await db.pool.query<{ position: string }>(
        `SELECT position FROM projection_checkpoints WHERE projection_name = 'orders_view' ORDER BY source`,
      );
      expect(after.rows.map((r) => r.position)).toEqual(['0', '3', '0']);

      // A read-only read model refuses the whole reset, Kafka offsets included.
      await call('connections.update', { id: store.id, readOnly: true });
      const again = await call('kafka.resetOffsets', { ...input, strategy: { kind: 'latest' }, dryRun: true });
      await expect(
        call('kafka.resetOffsets', { ...input, strategy: { kind: 'latest' }, confirmation: again.confirmation!, reason: 'OPS-1' }),
      ).rejects.toMatchObject({ code: 'read_only' });
      expect(await committed(groupId, topic)).toEqual(['0', '0', '0']);
      await engine.scopes.replace(store.id);
    } finally {
      await db.drop();
    }
  });
});
