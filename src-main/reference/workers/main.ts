/**
 * Runs one worker of the reference system on its own, as a deployment would:
 *   bun run reference:worker --role pg-relay        --pg URL --kafka BROKERS [--topic T]
 *   bun run reference:worker --role mongo-relay     --mongo URL --kafka BROKERS [--topic T]
 *   bun run reference:worker --role products-view   --mongo URL --kafka BROKERS [--group G]
 *   bun run reference:worker --role accounts-view|orders-view --pg URL --kafka BROKERS [--group G]
 *   bun run reference:worker --role direct-projector --pg URL
 * Options: --batch-size N, --throttle-ms M (pause after each batch). Stops on SIGINT/SIGTERM.
 */
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { integerFlag, readFlags } from '../cli-args';
import { connectOrderedProducer, createKafka, ensureTopic } from '../kafka/client';
import { ensureMongoIndexes } from '../mongo/event-store';
import { MongoRelay } from '../mongo/relay';
import { DEFAULT_TOPIC } from '../postgres/event-store';
import { PostgresOutboxRelay } from '../postgres/outbox-relay';
import { ensureReferenceSchema } from '../postgres/schema';
import { accountsViewSpec } from '../projectors/accounts-view';
import { DirectProjector } from '../projectors/direct-projector';
import { KafkaProjector } from '../projectors/kafka-projector';
import { ordersViewSpec } from '../projectors/orders-view';
import { productsViewSpec } from '../projectors/products-view';
import { mongoProductsProjection, postgresViewProjection } from '../projectors/projections';

const ROLES = ['pg-relay', 'mongo-relay', 'products-view', 'accounts-view', 'orders-view', 'direct-projector'] as const;

async function main(): Promise<void> {
  const flags = readFlags(process.argv.slice(2), ['role', 'pg', 'mongo', 'kafka', 'topic', 'group', 'batch-size', 'throttle-ms']);
  const role = flags.role as (typeof ROLES)[number];
  if (!ROLES.includes(role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
  const topic = flags.topic ?? DEFAULT_TOPIC;
  const batchSize = integerFlag(flags['batch-size'], 'batch-size', 500);
  const throttleMs = integerFlag(flags['throttle-ms'], 'throttle-ms', 0);
  const need = (value: string | undefined, flag: string) => {
    if (!value) throw new Error(`--${flag} is required for --role ${role}`);
    return value;
  };
  const log = (m: string) => console.error(`[${role}] ${m}`);
  const onError = (err: unknown) => log((err as Error).message);
  const kafka = () => createKafka({ brokers: need(flags.kafka ?? process.env.CHRONO_REF_KAFKA_BROKERS, 'kafka').split(',') });
  const cleanups: (() => Promise<unknown>)[] = [];

  if (role === 'pg-relay' || role === 'accounts-view' || role === 'orders-view' || role === 'direct-projector') {
    const pool = new pg.Pool({ connectionString: need(flags.pg ?? process.env.CHRONO_REF_PG_URL, 'pg'), max: 4 });
    await ensureReferenceSchema(pool);
    cleanups.push(() => pool.end());
    if (role === 'pg-relay') {
      const k = kafka();
      await ensureTopic(k, topic);
      const producer = await connectOrderedProducer(k);
      const relay = new PostgresOutboxRelay(pool, producer, { batchSize, pauseBetweenBatchesMs: throttleMs, onError });
      relay.start();
      cleanups.unshift(
        () => relay.stop(),
        () => producer.disconnect(),
      );
    } else if (role === 'direct-projector') {
      const projector = new DirectProjector(pool, { name: 'direct', views: [productsViewSpec, accountsViewSpec, ordersViewSpec], batchSize });
      projector.start(onError);
      cleanups.unshift(() => projector.stop());
    } else {
      const projection = role === 'accounts-view' ? postgresViewProjection(pool, accountsViewSpec) : postgresViewProjection(pool, ordersViewSpec);
      const projector = new KafkaProjector(kafka(), projection, {
        topic,
        groupId: flags.group ?? `reference-${role}`,
        chunkSize: batchSize,
        throttleMs,
        onError,
      });
      await projector.start();
      cleanups.unshift(() => projector.stop());
    }
  } else {
    const client = new MongoClient(need(flags.mongo ?? process.env.CHRONO_REF_MONGO_URL, 'mongo'));
    await client.connect();
    const db = client.db();
    await ensureMongoIndexes(db);
    cleanups.push(() => client.close());
    if (role === 'mongo-relay') {
      const k = kafka();
      await ensureTopic(k, topic);
      const producer = await connectOrderedProducer(k);
      const relay = new MongoRelay(db, producer, { topic, batchSize, onError });
      relay.start();
      cleanups.unshift(
        () => relay.stop(),
        () => producer.disconnect(),
      );
    } else {
      const projector = new KafkaProjector(kafka(), mongoProductsProjection(db), {
        topic,
        groupId: flags.group ?? 'reference-products-view',
        chunkSize: batchSize,
        throttleMs,
        onError,
      });
      await projector.start();
      cleanups.unshift(() => projector.stop());
    }
  }
  log('running');
  const stop = async () => {
    for (const cleanup of cleanups) await cleanup().catch(onError);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(`worker failed: ${(err as Error).message}`);
  process.exit(1);
});
