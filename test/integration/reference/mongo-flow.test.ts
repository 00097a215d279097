import type { Kafka, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAggregate } from '../../../src-main/reference/commands/aggregate-loader';
import { CommandHandler } from '../../../src-main/reference/commands/handlers';
import { ConcurrencyConflictError } from '../../../src-main/reference/errors';
import { newId } from '../../../src-main/reference/ids';
import { connectOrderedProducer, createKafka, ensureTopic } from '../../../src-main/reference/kafka/client';
import { ensureMongoIndexes, ReferenceMongoStore } from '../../../src-main/reference/mongo/event-store';
import { MongoRelay } from '../../../src-main/reference/mongo/relay';
import { ensureReferenceSchema } from '../../../src-main/reference/postgres/schema';
import { accountsViewSpec } from '../../../src-main/reference/projectors/accounts-view';
import { KafkaProjector, type KafkaProjection } from '../../../src-main/reference/projectors/kafka-projector';
import { ordersViewSpec } from '../../../src-main/reference/projectors/orders-view';
import { postgresViewProjection } from '../../../src-main/reference/projectors/projections';
import { testServices } from '../env';
import { createTestDatabase, createTestMongo, eventually, randomSuffix, type TestDatabase, type TestMongo } from './support';

// Flow: Mongo store (events collection = outbox) -> relay -> Kafka -> projector groups -> Postgres accounts_view / orders_view.
let database: TestDatabase;
let mongo: TestMongo;
let kafka: Kafka;
let producer: Producer;
let store: ReferenceMongoStore;
let handler: CommandHandler;
const topic = `domain_events_${randomSuffix()}`;

beforeAll(async () => {
  database = await createTestDatabase();
  mongo = await createTestMongo();
  await ensureReferenceSchema(database.pool);
  await ensureMongoIndexes(mongo.db);
  kafka = createKafka({ brokers: testServices.kafkaBrokers, quiet: true });
  await ensureTopic(kafka, topic, 3);
  producer = await connectOrderedProducer(kafka);
  store = new ReferenceMongoStore(mongo.db);
  handler = new CommandHandler({ storeFor: () => store, snapshotEvery: 5 });
});

afterAll(async () => {
  await producer?.disconnect();
  await mongo?.drop();
  await database?.drop();
});

async function accountRow(id: string) {
  const { rows } = await database.pool.query('SELECT balance_cents::int AS balance, version, status FROM accounts_view WHERE account_id = $1', [id]);
  return rows[0] as { balance: number; version: number; status: string } | undefined;
}

describe('Mongo event store', () => {
  it('enforces optimistic concurrency through the unique (aggregateId, version) index', async () => {
    await handler.execute('Account', 'm-race', { type: 'OpenAccount', ownerId: 'o', currency: 'EUR' });
    const event = (v: number) => ({
      eventId: newId(),
      type: 'MoneyDeposited',
      aggregateId: 'm-race',
      aggregateType: 'Account' as const,
      version: v,
      timestamp: new Date().toISOString(),
      data: { amountCents: 1, balanceCents: 1 },
      metadata: { correlationId: 'c', causationId: 'c', userId: 'u', schemaVersion: 1 },
    });
    const attempts = await Promise.allSettled(
      [0, 1, 2].map(() => store.append({ aggregateType: 'Account', aggregateId: 'm-race', expectedVersion: 1, events: [event(2)] })),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    for (const a of attempts) if (a.status === 'rejected') expect(a.reason).toBeInstanceOf(ConcurrencyConflictError);
  });

  it('makes retried commands idempotent and loads from a snapshot like a full replay', async () => {
    await handler.execute('Account', 'm-1', { type: 'OpenAccount', ownerId: 'o', currency: 'EUR' });
    const first = await handler.execute('Account', 'm-1', { type: 'DepositMoney', amountCents: 500 }, { commandId: 'dep-1' });
    const again = await handler.execute('Account', 'm-1', { type: 'DepositMoney', amountCents: 500 }, { commandId: 'dep-1' });
    expect(again).toEqual({ ...first, duplicate: true });
    for (let i = 0; i < 9; i++) await handler.execute('Account', 'm-1', { type: 'WithdrawMoney', amountCents: 10 });
    const fromSnapshot = await loadAggregate(store, 'Account', 'm-1');
    const replay = await loadAggregate(store, 'Account', 'm-1', { useSnapshots: false });
    expect(fromSnapshot.fromSnapshotVersion).toBe(10);
    expect(fromSnapshot.state).toEqual(replay.state);
    expect(fromSnapshot.version).toBe(11);
  });
});

describe('accounts and orders: Mongo store -> Kafka -> Postgres views', () => {
  it('projects within 5 s, and survives relay and projector crashes without loss or double counting', async () => {
    const relay = new MongoRelay(mongo.db, producer, { topic, batchSize: 20, idleDelayMs: 20 });
    let relayCrashes = 0;
    const crashingRelay = new MongoRelay(mongo.db, producer, {
      topic,
      batchSize: 20,
      afterPublish: () => {
        relayCrashes++;
        throw new Error('relay killed after publish');
      },
    });
    // Orders and accounts get separate groups, like separate deployments.
    const accountsGroup = `accounts-view-${randomSuffix()}`;
    const realAccounts = postgresViewProjection(database.pool, accountsViewSpec);
    let projectorCrashed = false;
    const crashingAccounts: KafkaProjection = {
      name: realAccounts.name,
      readCheckpoint: (s) => realAccounts.readCheckpoint(s),
      async apply(source, events, next) {
        const result = await realAccounts.apply(source, events, next);
        if (!projectorCrashed && events.length > 3) {
          projectorCrashed = true; // committed to Postgres, but Kafka never hears about it
          throw new Error('projector killed before committing offsets');
        }
        return result;
      },
    };
    const accounts = new KafkaProjector(kafka, crashingAccounts, { topic, groupId: accountsGroup, chunkSize: 7 });
    const orders = new KafkaProjector(kafka, postgresViewProjection(database.pool, ordersViewSpec), { topic, groupId: `orders-view-${randomSuffix()}` });
    await Promise.all([accounts.start(), orders.start()]);

    // A burst of activity, relayed first by a relay that dies after sending its batch.
    const ids = ['m-a', 'm-b', 'm-c'];
    for (const id of ids) await handler.execute('Account', id, { type: 'OpenAccount', ownerId: id, currency: 'EUR' });
    for (let i = 1; i <= 10; i++) for (const id of ids) await handler.execute('Account', id, { type: 'DepositMoney', amountCents: i * 100 });
    await handler.transfer('m-a', 'm-b', 1_000, { transferId: 't-1' });
    await expect(crashingRelay.relayOnce()).rejects.toThrow('relay killed');
    expect(relayCrashes).toBe(1);
    relay.start();
    try {
      await eventually(async () => projectorCrashed, 15_000, 'the accounts projector to crash');
      await accounts.stop();
      const restarted = new KafkaProjector(kafka, realAccounts, { topic, groupId: accountsGroup, chunkSize: 7 });
      await restarted.start();
      try {
        // 5,500 deposited each; the transfer moved 1,000 from m-a to m-b. A re-applied batch would inflate these.
        await eventually(
          async () => (await accountRow('m-a'))?.version === 12 && (await accountRow('m-b'))?.version === 12 && (await accountRow('m-c'))?.version === 11,
          15_000,
          'all account events projected',
        );
        expect((await accountRow('m-a'))?.balance).toBe(4_500);
        expect((await accountRow('m-b'))?.balance).toBe(6_500);
        expect((await accountRow('m-c'))?.balance).toBe(5_500);
        expect(restarted.stats.skippedBelowCheckpoint + restarted.stats.duplicates).toBeGreaterThan(0);

        // Then a fresh change shows up in the view within 5 s.
        const started = Date.now();
        await handler.execute('Order', 'o-1', {
          type: 'PlaceOrder',
          customerId: 'm-a',
          currency: 'EUR',
          lines: [{ productId: 'p-1', quantity: 2, unitPriceCents: 750 }],
        });
        await handler.execute('Order', 'o-1', { type: 'ShipOrder', carrier: 'DHL', trackingNumber: 'Z1' });
        await handler.execute('Account', 'm-c', { type: 'WithdrawMoney', amountCents: 500 });
        await eventually(
          async () => {
            const { rows } = await database.pool.query("SELECT status, total_cents::int AS total FROM orders_view WHERE order_id = 'o-1'");
            return rows[0]?.status === 'shipped' && (await accountRow('m-c'))?.balance === 5_000 ? rows[0] : undefined;
          },
          5_000,
          'o-1 shipped and m-c debited in the views',
        );
        expect(Date.now() - started).toBeLessThan(5_000);
        const { rows } = await database.pool.query("SELECT projection_name, source FROM projection_checkpoints WHERE projection_name = 'accounts_view'");
        expect(rows.length).toBeGreaterThan(0);
      } finally {
        await restarted.stop();
      }
    } finally {
      await relay.stop();
      await orders.stop();
    }
  });
});
