import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { startReferenceSystem, type RunningReferenceSystem } from '../../../src-main/reference/api/system';
import { REFERENCE_SUPPORT_DDL } from '../../../src-main/reference/postgres/schema';
import { createTestEngine, engineCaller, postgresConnection, type Call } from '../engine-support';
import { testServices } from '../env';
import { createTopic, kafkaFor, uniqueName } from '../kafka-support';
import { createTestDatabase, createTestMongo, eventually, randomSuffix, type TestDatabase, type TestMongo } from '../reference/support';

/**
 * Which event store a Kafka topic's events come from (kafka.storeLink): declared
 * on the Kafka profile, detected from the PostgreSQL outbox that published the
 * topic's newest messages, or asked. The reference system publishes to its topic
 * from its outbox; a second database is an unrelated store.
 */
describe.each(testServices.kafkaClusters)('the event store linked to a topic on Kafka $version', ({ brokers }) => {
  let reference: TestDatabase;
  let other: TestDatabase;
  let mongo: TestMongo;
  let system: RunningReferenceSystem;
  let engine: Engine;
  let call: Call;
  let storeId: string;
  let otherId: string;
  let kafkaId: string;
  const suffix = randomSuffix();
  const topic = `domain_events_${suffix}`;
  const groupPrefix = `link-${suffix}`;

  beforeAll(async () => {
    [reference, other, mongo] = await Promise.all([createTestDatabase('kafka_link'), createTestDatabase('kafka_link_other'), createTestMongo('kafka_link')]);
    const mongoUrl = new URL(testServices.mongoUrl);
    mongoUrl.pathname = `/${mongo.name}`;
    system = await startReferenceSystem({
      postgresUrl: reference.url,
      mongoUrl: mongoUrl.toString(),
      kafkaBrokers: brokers,
      port: 0,
      topic,
      groupPrefix,
      quietKafka: true,
      log: () => undefined,
    });
    engine = await createTestEngine('kafka-link', { sampleKafkaLag: false });
    call = engineCaller(() => engine);
    storeId = (await call('connections.add', { ...postgresConnection(uniqueName('reference store'), reference.url), readOnly: true })).id;
    await call('stores.configure', { connectionId: storeId, preset: 'classic', reason: 'test' });
    // The other store has the reference outbox table too, but never published this topic; its preset is not confirmed.
    await other.pool.query(REFERENCE_SUPPORT_DDL);
    otherId = (await call('connections.add', { ...postgresConnection(uniqueName('other store'), other.url), readOnly: true })).id;
    kafkaId = (await call('connections.add', { name: uniqueName('kafka'), settings: { kind: 'kafka', brokers } })).id;
    for (let i = 0; i < 3; i += 1) {
      const body = JSON.stringify({ productId: `link-p${i}`, name: `Kettle ${i}`, sku: `K-${i}`, priceCents: 900 });
      const res = await fetch(`${system.url}/products`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.status).toBe(202);
    }
    // The relay has published them and the orders projector committed on the topic.
    await eventually(
      async () => (await reference.pool.query('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL')).rows[0].n === '0' || undefined,
      30_000,
      'outbox relayed',
    );
  }, 90_000);

  afterAll(async () => {
    await system?.stop();
    await engine?.dispose();
    await Promise.all([mongo?.drop(), reference?.drop(), other?.drop()]);
  });

  it("detects the store whose outbox published the topic's newest messages, for the topic and for a group reading it", async () => {
    const link = await call('kafka.storeLink', { connectionId: kafkaId, topic });
    expect(link).toMatchObject({ topics: [topic], linked: { connectionId: storeId, how: 'detected', presetConfirmed: true }, question: null });
    expect(link.linked!.evidence).toContain(topic);
    expect(link.candidates).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ connectionId: storeId, detected: true, presetConfirmed: true }),
        expect.objectContaining({ connectionId: otherId, detected: false, presetConfirmed: false }),
        expect.objectContaining({ connectionId: 'local', detected: false }),
      ]),
    );
    const byGroup = await eventually(
      async () => {
        const found = await call('kafka.storeLink', { connectionId: kafkaId, groupId: `${groupPrefix}-orders-view` });
        return found.topics.length ? found : undefined;
      },
      30_000,
      'the orders projector committed',
    );
    expect(byGroup).toMatchObject({ topics: [topic], linked: { connectionId: storeId, how: 'detected' } });
  }, 60_000);

  it('asks, listing every event store, for a topic no outbox published', async () => {
    const kafka = kafkaFor(brokers);
    const admin = kafka.admin();
    const producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
    try {
      const plain = uniqueName('link-plain');
      await createTopic(admin, plain, 1);
      // An event id no store's outbox holds: no evidence.
      await producer.send({
        topic: plain,
        messages: [{ value: JSON.stringify({ aggregateId: 'x', version: 1, eventId: '00000000-0000-4000-8000-000000000001' }) }],
      });
      const link = await call('kafka.storeLink', { connectionId: kafkaId, topic: plain });
      expect(link.linked).toBeNull();
      expect(link.question).toMatch(/^No event store is linked to ".*": choose the store the events on link-plain-\w+ come from\.$/);
      expect(link.candidates.map((c) => c.connectionId).sort()).toEqual(['local', otherId, storeId].sort());
      expect(link.candidates.every((c) => !c.detected)).toBe(true);
    } finally {
      await Promise.all([admin.disconnect(), producer.disconnect()]);
    }
  }, 60_000);

  it('asks when two outboxes published the same events', async () => {
    const { rows } = await reference.pool.query<{ event_id: string; aggregate_id: string; payload: unknown }>(
      'SELECT event_id, aggregate_id, payload FROM outbox ORDER BY id',
    );
    for (const row of rows) {
      await other.pool.query('INSERT INTO outbox (event_id, aggregate_id, topic, payload, published_at) VALUES ($1, $2, $3, $4, now())', [
        row.event_id,
        row.aggregate_id,
        topic,
        row.payload,
      ]);
    }
    try {
      const link = await call('kafka.storeLink', { connectionId: kafkaId, topic });
      expect(link.linked).toBeNull();
      expect(link.question).toMatch(/both published the events on/);
      expect(
        link.candidates
          .filter((c) => c.detected)
          .map((c) => c.connectionId)
          .sort(),
      ).toEqual([otherId, storeId].sort());
    } finally {
      await other.pool.query('TRUNCATE outbox');
    }
  }, 60_000);

  it('a link declared on the Kafka profile wins over detection, for the topics it names; removed, detection is back', async () => {
    await call('connections.update', { id: kafkaId, pipeline: { eventStoreProfileId: otherId }, reason: 'test' });
    expect((await call('connections.list', {})).find((c) => c.id === kafkaId)?.pipeline).toEqual({ eventStoreProfileId: otherId });
    expect(await call('kafka.storeLink', { connectionId: kafkaId, topic })).toMatchObject({
      linked: { connectionId: otherId, how: 'declared', presetConfirmed: false },
      question: null,
    });

    await call('connections.update', { id: kafkaId, pipeline: { eventStoreProfileId: otherId, topics: ['another-topic'] } });
    expect(await call('kafka.storeLink', { connectionId: kafkaId, topic })).toMatchObject({ linked: { connectionId: storeId, how: 'detected' } });
    expect(await call('kafka.storeLink', { connectionId: kafkaId, topic: 'another-topic' })).toMatchObject({
      linked: { connectionId: otherId, how: 'declared' },
    });

    await call('connections.update', { id: kafkaId, pipeline: null });
    expect((await call('connections.list', {})).find((c) => c.id === kafkaId)?.pipeline).toBeUndefined();
    expect(await call('kafka.storeLink', { connectionId: kafkaId, topic })).toMatchObject({ linked: { connectionId: storeId, how: 'detected' } });
  }, 60_000);

  it('refuses a link on a store profile, to a Kafka profile or to a profile that does not exist', async () => {
    const refused = (message: string) => ({ code: 'invalid_input', message: expect.stringContaining(message) });
    await expect(call('connections.update', { id: storeId, pipeline: { eventStoreProfileId: otherId } })).rejects.toMatchObject(
      refused('Only a Kafka connection'),
    );
    await expect(call('connections.update', { id: kafkaId, pipeline: { eventStoreProfileId: kafkaId } })).rejects.toMatchObject(refused('not an event store'));
    await expect(call('connections.update', { id: kafkaId, pipeline: { eventStoreProfileId: 'no-such-store' } })).rejects.toMatchObject(
      refused('no-such-store'),
    );
    await expect(call('kafka.storeLink', { connectionId: storeId, topic })).rejects.toMatchObject({ code: 'invalid_input' });
    // Linking to the built-in Local workspace is allowed.
    await call('connections.update', { id: kafkaId, pipeline: { eventStoreProfileId: 'local' } });
    expect(await call('kafka.storeLink', { connectionId: kafkaId, topic })).toMatchObject({
      linked: { connectionId: 'local', how: 'declared', presetConfirmed: true },
    });
    await call('connections.update', { id: kafkaId, pipeline: null });
  }, 60_000);
});
