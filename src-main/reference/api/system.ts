import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Producer } from 'kafkajs';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { CommandHandler } from '../commands/handlers';
import { PersonalDataCodec } from '../crypto/personal-data';
import type { AggregateType } from '../events';
import { connectOrderedProducer, createKafka, ensureTopic } from '../kafka/client';
import { ensureMongoIndexes, ReferenceMongoStore } from '../mongo/event-store';
import { MongoRelay } from '../mongo/relay';
import { DEFAULT_TOPIC, ReferencePostgresStore } from '../postgres/event-store';
import { PostgresOutboxRelay } from '../postgres/outbox-relay';
import { ensureReferenceSchema } from '../postgres/schema';
import { PostgresSubjectKeyStore } from '../postgres/subject-keys';
import { accountsViewSpec } from '../projectors/accounts-view';
import { KafkaProjector } from '../projectors/kafka-projector';
import { ordersViewSpec } from '../projectors/orders-view';
import { readMongoProductView } from '../projectors/products-view';
import { mongoProductsProjection, postgresViewProjection } from '../projectors/projections';
import { buildRoutes } from './routes';
import { createApiServer } from './server';

export interface ReferenceSystemConfig {
  postgresUrl: string;
  /** Must name a database in its path (e.g. mongodb://host:27017/reference). */
  mongoUrl: string;
  kafkaBrokers: string[];
  port?: number;
  host?: string;
  topic?: string;
  /** Prefix of the projector consumer group ids. */
  groupPrefix?: string;
  quietKafka?: boolean;
  log?: (message: string) => void;
}

export type ReferenceProjectorName = 'products_view' | 'accounts_view' | 'orders_view';

export interface RunningReferenceSystem {
  url: string;
  server: Server;
  /** Stops one Kafka projector (its consumer leaves the group); the rest keeps running. Tests use it for a stopped projector. */
  stopProjector(name: ReferenceProjectorName): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Which store holds which aggregates, after the seed systems: the product
 * service (and the customer data) on Postgres, the booking-style services
 * (accounts, orders) on Mongo.
 */
export const STORE_OF: Record<AggregateType, 'postgres' | 'mongo'> = { Product: 'postgres', Customer: 'postgres', Account: 'mongo', Order: 'mongo' };

/**
 * Starts the whole reference system in one process: command API, both stores,
 * both relays, and the three Kafka projectors (products_view in Mongo,
 * accounts_view and orders_view in Postgres).
 */
export async function startReferenceSystem(config: ReferenceSystemConfig): Promise<RunningReferenceSystem> {
  const log = config.log ?? ((m: string) => console.log(m));
  const topic = config.topic ?? DEFAULT_TOPIC;
  const groupPrefix = config.groupPrefix ?? 'reference';
  const onError = (what: string) => (err: unknown) => log(`${what}: ${(err as Error).message}`);

  const pool = new pg.Pool({ connectionString: config.postgresUrl, max: 10 });
  const mongoClient = new MongoClient(config.mongoUrl);
  const kafka = createKafka({ brokers: config.kafkaBrokers, quiet: config.quietKafka });
  let producer: Producer | undefined;
  const stops: (() => Promise<void>)[] = [];
  try {
    await ensureReferenceSchema(pool);
    await mongoClient.connect();
    const mongo = mongoClient.db();
    await ensureMongoIndexes(mongo);
    await ensureTopic(kafka, topic, 3);
    producer = await connectOrderedProducer(kafka);

    const stores = { postgres: new ReferencePostgresStore(pool, { topic }), mongo: new ReferenceMongoStore(mongo) };
    const handler = new CommandHandler({ storeFor: (type) => stores[STORE_OF[type]], codec: new PersonalDataCodec(new PostgresSubjectKeyStore(pool)) });

    const pgRelay = new PostgresOutboxRelay(pool, producer, { idleDelayMs: 25, onError: onError('postgres outbox relay') });
    const mongoRelay = new MongoRelay(mongo, producer, { topic, idleDelayMs: 25, onError: onError('mongo relay') });
    const byName: Record<ReferenceProjectorName, KafkaProjector> = {
      products_view: new KafkaProjector(kafka, mongoProductsProjection(mongo), {
        topic,
        groupId: `${groupPrefix}-products-view`,
        onError: onError('products_view'),
      }),
      accounts_view: new KafkaProjector(kafka, postgresViewProjection(pool, accountsViewSpec), {
        topic,
        groupId: `${groupPrefix}-accounts-view`,
        onError: onError('accounts_view'),
      }),
      orders_view: new KafkaProjector(kafka, postgresViewProjection(pool, ordersViewSpec), {
        topic,
        groupId: `${groupPrefix}-orders-view`,
        onError: onError('orders_view'),
      }),
    };
    const projectors = Object.values(byName);
    await Promise.all(projectors.map((p) => p.start()));
    stops.push(...projectors.map((p) => () => p.stop()));
    pgRelay.start();
    mongoRelay.start();
    stops.push(
      () => pgRelay.stop(),
      () => mongoRelay.stop(),
    );

    const pgRow = async (sql: string, id: string) => (await pool.query(sql, [id])).rows[0] ?? null;
    const server = createApiServer(
      buildRoutes(handler, {
        product: (id) => readMongoProductView(mongo, id),
        account: (id) =>
          pgRow(
            'SELECT account_id AS "accountId", owner_id AS "ownerId", currency, balance_cents::float8 AS "balanceCents", status, version, updated_at AS "updatedAt" FROM accounts_view WHERE account_id = $1',
            id,
          ),
        order: (id) =>
          pgRow(
            'SELECT order_id AS "orderId", customer_id AS "customerId", status, currency, total_cents::float8 AS "totalCents", item_count AS "itemCount", carrier, tracking_number AS "trackingNumber", version, updated_at AS "updatedAt" FROM orders_view WHERE order_id = $1',
            id,
          ),
      }),
      onError('api'),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port ?? 8787, config.host ?? '127.0.0.1', () => resolve());
    });
    const address = server.address() as AddressInfo;
    const url = `http://${address.address}:${address.port}`;
    log(`reference API listening on ${url} (topic ${topic})`);
    return {
      url,
      server,
      stopProjector: (name) => byName[name].stop(),
      async stop() {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        for (const stop of stops.reverse()) await stop().catch(onError('stop'));
        await producer?.disconnect();
        await mongoClient.close();
        await pool.end();
      },
    };
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await mongoClient.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    throw err;
  }
}
