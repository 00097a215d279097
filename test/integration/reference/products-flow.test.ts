import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandHandler } from '../../../src-main/reference/commands/handlers';
import type { StoredEvent } from '../../../src-main/reference/events';
import { connectOrderedProducer, createKafka, ensureTopic } from '../../../src-main/reference/kafka/client';
import { ReferencePostgresStore } from '../../../src-main/reference/postgres/event-store';
import { PostgresOutboxRelay } from '../../../src-main/reference/postgres/outbox-relay';
import { ensureReferenceSchema } from '../../../src-main/reference/postgres/schema';
import { KafkaProjector, type KafkaProjection } from '../../../src-main/reference/projectors/kafka-projector';
import { applyToMongoProductsView, readMongoProductView } from '../../../src-main/reference/projectors/products-view';
import { mongoProductsProjection } from '../../../src-main/reference/projectors/projections';
import { testServices } from '../env';
import { createTestDatabase, createTestMongo, eventually, randomSuffix, type TestDatabase, type TestMongo } from './support';

// Flow: Postgres store -> outbox -> relay -> Kafka `domain_events` -> projector group -> Mongo products_view.
let database: TestDatabase;
let mongo: TestMongo;
let kafka: Kafka;
let producer: Producer;
let handler: CommandHandler;
const topic = `domain_events_${randomSuffix()}`;

beforeAll(async () => {
  database = await createTestDatabase();
  mongo = await createTestMongo();
  await ensureReferenceSchema(database.pool);
  kafka = createKafka({ brokers: testServices.kafkaBrokers, quiet: true });
  await ensureTopic(kafka, topic, 3);
  producer = await connectOrderedProducer(kafka);
  handler = new CommandHandler({ storeFor: () => new ReferencePostgresStore(database.pool, { topic }) });
});

afterAll(async () => {
  await producer?.disconnect();
  await mongo?.drop();
  await database?.drop();
});

describe('products: Postgres outbox -> Kafka -> Mongo products_view', () => {
  it('reflects a command in the read model within 5 s', async () => {
    const relay = new PostgresOutboxRelay(database.pool, producer, { idleDelayMs: 20 });
    const projector = new KafkaProjector(kafka, mongoProductsProjection(mongo.db), { topic, groupId: `products-view-${randomSuffix()}` });
    await projector.start();
    relay.start();
    try {
      const started = Date.now();
      await handler.execute('Product', 'p-fast', { type: 'CreateProduct', name: 'Kettle', sku: 'K-1', priceCents: 3900, initialStock: 12 });
      await handler.execute('Product', 'p-fast', { type: 'AdjustStock', delta: -2, reason: 'sale' });
      const view = await eventually(
        async () => {
          const v = await readMongoProductView(mongo.db, 'p-fast');
          return v?.version === 2 ? v : undefined;
        },
        5_000,
        'products_view to show p-fast at version 2',
      );
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(view).toMatchObject({ name: 'Kettle', stock: 10, priceCents: 3900, status: 'active' });
    } finally {
      await relay.stop();
      await projector.stop();
    }
  });

  it('survives a relay crash after publishing and a projector crash mid-batch: no loss, no duplicate effect', async () => {
    const products = Array.from({ length: 8 }, (_, i) => `p-crash-${i}`);
    for (const id of products) await handler.execute('Product', id, { type: 'CreateProduct', name: id, sku: id, priceCents: 100, initialStock: 0 });
    for (let round = 1; round <= 10; round++) {
      for (const id of products) await handler.execute('Product', id, { type: 'AdjustStock', delta: round, reason: 'restock' });
    }
    // Each product: 1 + 10 events, stock 55.

    // Relay #1 sends a batch to Kafka, then dies before marking it published.
    const crashingRelay = new PostgresOutboxRelay(database.pool, producer, {
      batchSize: 30,
      afterPublish: () => {
        throw new Error('relay killed after publish');
      },
    });
    await expect(crashingRelay.relayOnce()).rejects.toThrow('relay killed');
    // Relay #2 resumes from the outbox: it re-sends that batch (duplicates on Kafka) and everything else.
    const relay = new PostgresOutboxRelay(database.pool, producer, { batchSize: 25 });
    while ((await relay.relayOnce()) > 0);
    expect(await relay.backlog()).toBe(0);

    // Projector #1 applies half of a chunk to the view, then dies before its checkpoint.
    const groupId = `products-view-crash-${randomSuffix()}`;
    const real = mongoProductsProjection(mongo.db);
    let crashed = false;
    const crashing: KafkaProjection = {
      name: real.name,
      readCheckpoint: (s) => real.readCheckpoint(s),
      async apply(source, events: StoredEvent[], next) {
        if (!crashed && events.length > 4) {
          crashed = true;
          await applyToMongoProductsView(mongo.db, events.slice(0, Math.floor(events.length / 2)));
          throw new Error('projector killed mid-batch');
        }
        return real.apply(source, events, next);
      },
    };
    const first = new KafkaProjector(kafka, crashing, { topic, groupId, chunkSize: 10 });
    await first.start();
    await eventually(async () => crashed, 15_000, 'the first projector to crash');
    await first.stop();

    const second = new KafkaProjector(kafka, real, { topic, groupId, chunkSize: 10 });
    await second.start();
    try {
      for (const id of products) {
        const view = await eventually(
          async () => {
            const v = await readMongoProductView(mongo.db, id);
            return v?.version === 11 ? v : undefined;
          },
          15_000,
          `${id} at version 11`,
        );
        expect(view.stock).toBe(55); // a duplicate StockAdjusted would have pushed it above 55
      }
      expect(second.stats.duplicates + second.stats.skippedBelowCheckpoint).toBeGreaterThan(0);
    } finally {
      await second.stop();
    }
  });

  it('keeps per-aggregate order on the topic despite the redelivery', async () => {
    const consumer = kafka.consumer({ groupId: `order-check-${randomSuffix()}` });
    const seen = new Map<string, number[]>();
    let total = 0;
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const e = JSON.parse(message.value!.toString()) as StoredEvent;
        seen.set(e.aggregateId, [...(seen.get(e.aggregateId) ?? []), e.version]);
        total++;
      },
    });
    const { rows } = await database.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
    const distinctSeen = () => [...seen.values()].reduce((n, versions) => n + new Set(versions).size, 0);
    await eventually(async () => distinctSeen() === rows[0]!.n, 15_000, 'every stored event on the topic');
    await consumer.disconnect();
    expect(total).toBeGreaterThanOrEqual(rows[0]!.n);
    for (const [id, versions] of seen) {
      // First occurrences must come in version order 1, 2, 3...; a redelivered run may only repeat earlier ones.
      let next = 1;
      for (const v of versions) {
        expect(v, `${id}: ${versions.join(',')}`).toBeLessThanOrEqual(next);
        if (v === next) next++;
      }
    }
  });
});
