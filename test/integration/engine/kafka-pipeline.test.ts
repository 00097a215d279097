import type { Admin, Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { startReferenceSystem, type RunningReferenceSystem } from '../../../src-main/reference/api/system';
import type { StoredEvent } from '../../../src-main/reference/events';
import { eventToMessage } from '../../../src-main/reference/kafka/messages';
import { accountsViewSpec } from '../../../src-main/reference/projectors/accounts-view';
import { KafkaProjector } from '../../../src-main/reference/projectors/kafka-projector';
import { postgresViewProjection } from '../../../src-main/reference/projectors/projections';
import type { InputOf, ResultOf } from '../../../src-shared/operations';
import { createTestEngine, engineCaller, postgresConnection, type Call } from '../engine-support';
import { testServices } from '../env';
import { kafkaFor, testBrokers, uniqueName } from '../kafka-support';
import { createTestDatabase, createTestMongo, eventually, randomSuffix, type TestDatabase, type TestMongo } from '../reference/support';

/**
 * The store-to-read-model line, outbox gaps and a projector reset, on the
 * reference system: PostgreSQL store + outbox relay → topic → Kafka projectors
 * keeping `projection_checkpoints` (accounts_view and orders_view in PostgreSQL).
 */
describe.each(testBrokers())('store-to-read-model pipeline against $name', ({ brokers }) => {
  let database: TestDatabase;
  let mongo: TestMongo;
  let system: RunningReferenceSystem;
  let engine: Engine;
  let call: Call;
  let storeId: string;
  let kafkaId: string;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const suffix = randomSuffix();
  const topic = `domain_events_${suffix}`;
  const groupPrefix = `pipe-${suffix}`;

  beforeAll(async () => {
    database = await createTestDatabase('kafka_pipe');
    mongo = await createTestMongo('kafka_pipe');
    const mongoUrl = new URL(testServices.mongoUrl);
    mongoUrl.pathname = `/${mongo.name}`;
    system = await startReferenceSystem({
      postgresUrl: database.url,
      mongoUrl: mongoUrl.toString(),
      kafkaBrokers: brokers,
      port: 0,
      topic,
      groupPrefix,
      quietKafka: true,
      log: () => undefined,
    });
    engine = await createTestEngine('kafka-pipeline', { sampleKafkaLag: false });
    call = engineCaller(() => engine);
    storeId = (await call('connections.add', { ...postgresConnection(uniqueName('store'), database.url), readOnly: false })).id;
    await call('stores.configure', { connectionId: storeId, preset: 'classic', reason: 'test' });
    kafkaId = (await call('connections.add', { name: uniqueName('kafka'), readOnly: false, settings: { kind: 'kafka', brokers } })).id;
    kafka = kafkaFor(brokers);
    admin = kafka.admin();
    producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([admin?.disconnect(), producer?.disconnect()]);
    await system?.stop();
    await engine?.dispose();
    await mongo?.drop();
    await database?.drop();
  });

  async function api(path: string, body: unknown): Promise<void> {
    const res = await fetch(`${system.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(202);
  }
  const pipelineOf = (view: 'orders' | 'accounts'): InputOf<'kafka.pipeline'> => ({
    storeConnectionId: storeId,
    kafkaConnectionId: kafkaId,
    groupId: `${groupPrefix}-${view}-view`,
    topic,
    projection: `${view}_view`,
  });
  const caughtUp = (view: 'orders' | 'accounts') =>
    eventually(
      async () => {
        const line = await call('kafka.pipeline', pipelineOf(view));
        return line.behindAt === null && line.now.checkpoint !== null && line.now.checkpoint > 0 ? line : undefined;
      },
      30_000,
      `${view}_view caught up`,
    );

  it('shows the stage a stopped projector holds back, with the relay caught up and no ETA', async () => {
    for (let i = 0; i < 3; i += 1) await api('/products', { productId: `pipe-p${i}`, name: `Kettle ${i}`, sku: `K-${i}`, priceCents: 1000 + i });
    const before = await caughtUp('orders');
    expect(before.now).toMatchObject({ unpublished: 0, backlog: { relay: 0, consumer: 0, projector: 0 } });
    expect(before.now.storeHead).toBeGreaterThanOrEqual(3);
    expect(before.summary).toBe('The read model is caught up with the store.');

    await system.stopProjector('orders_view');
    for (let i = 3; i < 8; i += 1) await api('/products', { productId: `pipe-p${i}`, name: `Kettle ${i}`, sku: `K-${i}`, priceCents: 1000 + i });
    const behind = await eventually(
      async () => {
        const line = await call('kafka.pipeline', pipelineOf('orders'));
        return line.now.backlog.consumer >= 5 && line.now.backlog.relay === 0 && line.measuredOverSeconds > 0 ? line : undefined;
      },
      30_000,
      'orders_view behind by the 5 new events',
    );
    expect(behind.behindAt).toBe('consumer');
    expect(behind.now.storeHead).toBe(before.now.storeHead! + 5);
    expect(behind.now.topicEnd - behind.now.committed).toBeGreaterThanOrEqual(5);
    expect(behind.stages.find((s) => s.stage === 'consumer')).toMatchObject({
      label: `group ${groupPrefix}-orders-view`,
      backlog: behind.now.backlog.consumer,
      etaSeconds: null,
    });
    expect(behind.etaSeconds).toBeNull();
    expect(behind.summary).toMatch(
      new RegExp(`^Behind at the consumer \\(group ${groupPrefix}-orders-view\\): \\d+ messages on the topic the group has not consumed\\.`),
    );
    // The other projector kept up: its line is caught up.
    expect((await caughtUp('accounts')).now.topicEnd).toBe(behind.now.topicEnd);

    const history = await call('kafka.pipelineHistory', { ...pipelineOf('orders'), lastMs: 600_000 });
    expect(history.points.length).toBeGreaterThanOrEqual(2);
    // The recorded line: caught up once, then rising to the backlog now.
    const caughtUpAt = history.points.findIndex((p) => p.backlog.consumer === 0 && p.backlog.relay === 0 && p.backlog.projector === 0);
    expect(caughtUpAt).toBeGreaterThanOrEqual(0);
    expect(history.points.length).toBeGreaterThan(caughtUpAt + 1);
    expect(history.points.at(-1)!.backlog.consumer).toBe(behind.now.backlog.consumer);
  });

  it('lists an event the relay never published and one published twice, by event id', async () => {
    const { rows: published } = await database.pool.query<{ event_id: string; payload: StoredEvent }>(
      'SELECT event_id, payload FROM outbox WHERE published_at IS NOT NULL ORDER BY id LIMIT 1',
    );
    const twice = published[0]!;
    await producer.send({ topic, messages: [eventToMessage(twice.payload)] });
    // An event whose outbox row is marked published without being sent: the relay skips it.
    const lost = '0b9b8a52-7f4e-4c1d-9c53-2f4a8f7e1d11';
    let lostPosition: string;
    const client = await database.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ global_position: string }>(
        `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data) VALUES ($1, 'pipe-lost', 'Product', 'ProductCreated', 1, '{}') RETURNING global_position`,
        [lost],
      );
      await client.query(`INSERT INTO outbox (event_id, aggregate_id, topic, payload, published_at) VALUES ($1, 'pipe-lost', $2, '{}', now())`, [lost, topic]);
      await client.query('COMMIT');
      lostPosition = rows[0]!.global_position;
    } finally {
      client.release();
    }
    const { rows: counts } = await database.pool.query<{ n: string }>('SELECT count(*) AS n FROM events');
    const progress: number[] = [];
    const report = (await engine.dispatcher.run(
      'kafka.outboxGaps',
      { storeConnectionId: storeId, kafkaConnectionId: kafkaId, topic },
      { operationId: 'gaps', signal: new AbortController().signal, emit: () => undefined, progress: (p) => progress.push(p.done) },
    )) as ResultOf<'kafka.outboxGaps'>;
    expect(report.eventsChecked).toBe(Number(counts[0]!.n));
    expect(report.missing).toEqual([{ eventId: lost, position: lostPosition, streamId: 'pipe-lost', version: 1 }]);
    expect(report.duplicates).toEqual([
      expect.objectContaining({ eventId: twice.event_id, streamId: twice.payload.aggregateId, copies: [expect.any(Object), expect.any(Object)] }),
    ]);
    expect({ missing: report.missingCount, duplicates: report.duplicateCount, withoutId: report.withoutId, unidentified: report.unidentified }).toEqual({
      missing: 1,
      duplicates: 1,
      withoutId: 0,
      unidentified: 0,
    });
    expect(progress.length).toBeGreaterThan(0);

    // A range that leaves the lost event out reports only what it covers.
    const narrow = await call('kafka.outboxGaps', {
      storeConnectionId: storeId,
      kafkaConnectionId: kafkaId,
      topic,
      toPosition: String(Number(lostPosition) - 1),
    });
    expect(narrow.missingCount).toBe(0);
    expect(narrow.duplicates.map((d) => d.eventId)).toEqual([twice.event_id]);
  });

  it('after a reset of the group and its checkpoints, the reference projector reprocesses and its view converges to a fresh build', async () => {
    for (let i = 0; i < 3; i += 1) {
      await api('/accounts', { accountId: `pipe-a${i}`, ownerId: `c${i}`, currency: 'EUR' });
      await api(`/accounts/pipe-a${i}/deposits`, { amountCents: 100 * (i + 1) });
    }
    const viewRows = async () => (await database.pool.query('SELECT * FROM accounts_view ORDER BY account_id')).rows;
    const built = await eventually(
      async () => {
        const rows = await viewRows();
        return rows.length === 3 && rows.every((r: { version: number }) => r.version === 2) ? rows : undefined;
      },
      30_000,
      'accounts_view built',
    );
    await caughtUp('accounts');
    const groupId = `${groupPrefix}-accounts-view`;
    await system.stopProjector('accounts_view');
    // The view is lost; moving the group back alone would reprocess nothing (the projector skips below its checkpoint).
    await database.pool.query('TRUNCATE accounts_view');
    const input = {
      connectionId: kafkaId,
      groupId,
      strategy: { kind: 'earliest' as const },
      scope: { kind: 'topic' as const, topic },
      checkpoints: { connectionId: storeId, projection: 'accounts_view' },
      reason: 'rebuild accounts_view',
    };
    const dry = await eventually(
      async () => {
        const plan = await call('kafka.resetOffsets', { ...input, dryRun: true });
        return plan.activeMembers.length === 0 ? plan : undefined;
      },
      30_000,
      'the stopped projector to leave its group',
    );
    expect(dry.plan.every((row) => row.next === '0' && row.checkpoint !== null)).toBe(true);
    await call('kafka.resetOffsets', { ...input, confirmation: dry.confirmation! });

    const projector = new KafkaProjector(kafkaFor(brokers), postgresViewProjection(database.pool, accountsViewSpec), { topic, groupId });
    await projector.start();
    try {
      await eventually(async () => JSON.stringify(await viewRows()) === JSON.stringify(built), 30_000, 'accounts_view equal to its first build');
      expect(projector.stats.applied).toBeGreaterThanOrEqual(6);
      expect(projector.stats.skippedBelowCheckpoint).toBe(0);
    } finally {
      await projector.stop();
    }
  });
});
