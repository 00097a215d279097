/**
 * The Kafka scale-out of a rebuild beside the single-process rebuild, on the same
 * store in the same run: events/s end to end (shadow created, feed read, folded,
 * written, indexes built; for the scale-out also the topic created, the feed
 * published, the worker processes started and stopped), and the shadows' checksums.
 *   node --import tsx bench/rebuild-scale-out.ts [--events 200000] [--workers 2] [--pg URL] [--brokers host:port]
 * Writes into a scratch database (created and dropped) on CHRONO_TEST_PG_URL's server;
 * the replay topic goes to CHRONO_TEST_KAFKA_BROKERS and is deleted afterwards.
 */
import { createHash, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { REFERENCE_POSTGRES_MODELS } from '../src-main/engine/local-workspace/reference-read-models';
import { createShadow } from '../src-main/engine/rebuild/postgres-target';
import { rebuildPostgres } from '../src-main/engine/rebuild/rebuild-postgres';
import { rebuildScaleOut } from '../src-main/engine/rebuild/scale-out/coordinator';
import { BENCH_PG_URL, createScratchDatabase, fillReferenceEvents } from './database';

const { values } = parseArgs({ options: { events: { type: 'string' }, workers: { type: 'string' }, pg: { type: 'string' }, brokers: { type: 'string' } } });
const events = Number(values.events ?? 200_000);
const workers = Number(values.workers ?? 2);
const baseUrl = values.pg ?? BENCH_PG_URL;
const brokers = (values.brokers ?? process.env.CHRONO_TEST_KAFKA_BROKERS ?? '127.0.0.1:59092').split(',');
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

const scratch = await createScratchDatabase('bench_scaleout', baseUrl, 6);
const pool = scratch.pool;

async function checksum(table: string, key: string): Promise<string> {
  const { rows } = await pool.query<{ r: unknown }>(`SELECT to_jsonb(t) AS r FROM ${table} t ORDER BY ${key}`);
  const hash = createHash('sha256');
  for (const row of rows) hash.update(JSON.stringify(row.r));
  return `${rows.length} rows, ${hash.digest('hex').slice(0, 12)}`;
}

try {
  const store = await fillReferenceEvents(pool, events);
  console.log(`${fmt(events)} reference events; ${availableParallelism()} cores shared by PostgreSQL, Kafka, the coordinator and the workers`);
  for (const model of ['accounts_view', 'orders_view']) {
    const definition = REFERENCE_POSTGRES_MODELS[model]!;
    const key = definition.keyColumn!;

    let t = performance.now();
    const single = await rebuildPostgres({ pool, feed: store, id: `one${model.slice(0, 3)}`, model, definition });
    const singleSeconds = (performance.now() - t) / 1000;
    console.log(
      `${model}, 1 process: ${fmt(single.events)} events in ${singleSeconds.toFixed(1)} s: ${fmt(single.events / singleSeconds)} events/s (${await checksum(single.shadow, key)})`,
    );

    const id = `kaf${model.slice(0, 3)}${randomBytes(2).toString('hex')}`;
    await createShadow(pool, { id, schema: 'public', model, definition: definition.name });
    t = performance.now();
    let firstApplied: number | null = null;
    const scaled = await rebuildScaleOut({
      pool,
      feed: store,
      kafka: new Kafka({ clientId: 'chronoscope-bench', brokers, logLevel: logLevel.NOTHING }),
      workerConfig: { postgres: { connectionString: scratch.url }, kafka: { brokers } },
      id,
      definition,
      workers,
      onProgress: (p) => {
        if (firstApplied === null && p.applied > 0) firstApplied = (performance.now() - t) / 1000;
        process.stderr.write(`\r${model}: ${p.phase}, published ${fmt(p.published)}, applied ${fmt(p.applied)}, ${fmt(p.eventsPerSecond)} events/s   `);
      },
    });
    const scaledSeconds = (performance.now() - t) / 1000;
    process.stderr.write('\n');
    const startup = firstApplied ?? 0;
    console.log(
      `${model}, ${workers} Kafka workers: ${fmt(scaled.events)} events in ${scaledSeconds.toFixed(1)} s: ${fmt(scaled.events / scaledSeconds)} events/s end to end, ${fmt(scaled.events / Math.max(0.1, scaledSeconds - startup))} events/s once applying (first rows after ${startup.toFixed(1)} s: worker start-up and group join) (${await checksum(scaled.shadow, key)})`,
    );
  }
  await store.close();
} finally {
  await scratch.drop();
}
